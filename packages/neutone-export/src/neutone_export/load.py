"""Read a `.nm` file back: the scripted adapter and the metadata stored beside it.

The file is a TorchScript archive with one extra file, `metadata.json` (see the `.nm` contract).
Files written by the Neutone SDK 1.5 have the same layout, so they load here too. Anything else
raises `NotANeutoneModelError` with one line that says what is wrong, so that a command line can
print it without a traceback.
"""

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import torch

METADATA_FILE = "metadata.json"
ENTRY_METHODS = ("forward", "set_daw_sample_rate_and_buffer_size")


class NotANeutoneModelError(ValueError):
    """A path that is missing, unreadable, or not a Neutone `.nm` file; the message is one line."""


def _first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's text, for one-line messages."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__


def load_neutone_model(
    path: Union[str, Path],
) -> Tuple[torch.jit.ScriptModule, Dict[str, Any]]:
    """Load a `.nm` file (ours or the Neutone SDK 1.5's) on the CPU.

    Returns the scripted adapter and the metadata dictionary read from the archive's
    `metadata.json`. Raises `NotANeutoneModelError` for a missing or corrupt file, a TorchScript
    archive without `metadata.json`, or one whose module lacks the host's entry points.
    """
    path = Path(path)
    if not path.exists():
        raise NotANeutoneModelError(f"{path}: no such file")
    if not path.is_file():
        raise NotANeutoneModelError(f"{path}: not a file")
    if not zipfile.is_zipfile(path):
        raise NotANeutoneModelError(f"{path}: not a TorchScript archive (not a zip file)")
    extra_files = {METADATA_FILE: ""}
    try:
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra_files)
    except (
        Exception
    ) as error:  # torch raises RuntimeError, ValueError or zip errors for foreign archives
        raise NotANeutoneModelError(
            f"{path}: not a TorchScript archive ({_first_line(error)})"
        ) from error
    metadata = parse_metadata_json(extra_files[METADATA_FILE], str(path))
    missing = [name for name in ENTRY_METHODS if not module._c._has_method(name)]
    if missing:
        raise NotANeutoneModelError(
            f"{path}: a TorchScript file but not a Neutone model (no method {', '.join(missing)})"
        )
    return module, metadata


def parse_metadata_json(raw: Union[str, bytes], source: str) -> Dict[str, Any]:
    """Decode the archive's `metadata.json`; `source` names the file in the error message."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not raw:
        raise NotANeutoneModelError(f"{source}: no {METADATA_FILE} inside, not a Neutone model")
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotANeutoneModelError(
            f"{source}: {METADATA_FILE} is not valid JSON ({error})"
        ) from error
    if not isinstance(metadata, dict):
        raise NotANeutoneModelError(f"{source}: {METADATA_FILE} is not a JSON object")
    return metadata


def copy_script_module(module: torch.jit.ScriptModule) -> torch.jit.ScriptModule:
    """An independent copy of a scripted module (own state), via an in-memory archive."""
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer, map_location="cpu")
