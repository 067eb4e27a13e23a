"""Read a `.nm` file back: the scripted adapter and the metadata stored beside it.

The file is a TorchScript archive with one extra file, `metadata.json` (see
docs/plugin-interface.md). Files written by the Neutone SDK 1.5 have the same layout, so they load
here too. Anything else raises `NotANeutoneModelError` with one line that says what is wrong, so
that a command line can print it without a traceback.

The plugin's loader (the reference's `load_neutone_model`) reads the attribute `realtime` and then
checks every preserved name; `plugin_load_problems` names what it would refuse, and a strict load
(the default) refuses the same files, naming the missing names.
"""

import json
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Tuple, Union

import torch
from torch import nn

from neutone_core.adapter import REFERENCE_PRESERVED_ATTRIBUTES
from neutone_core.limits import (
    MAX_JSON_DEPTH,
    LimitError,
    check_json_text,
    check_metadata_limits,
    json_depth,
)
from neutone_export.errors import one_line
from neutone_export.files.reference_knobs import read_reference_loader_knobs
from neutone_export.kinds.flag import realtime_flag
from neutone_export.module_types import as_plugin

METADATA_FILE = "metadata.json"
ENTRY_METHODS = ("forward", "set_daw_sample_rate_and_buffer_size")
REFERENCE_SDK_PACKAGE = "neutone_sdk"


class NotANeutoneModelError(ValueError):
    """A path that is missing, unreadable, or not a Neutone `.nm` file; the message is one line."""


def _has(module: nn.Module, name: str) -> bool:
    """Whether a scripted (or Python) module has the attribute, submodule or method `name`."""
    if isinstance(module, torch.jit.ScriptModule) and module._c._has_method(name):
        return True
    return hasattr(module, name)


def plugin_load_problems(module: nn.Module) -> List[str]:
    """What the Neutone plugin's loader would refuse in `module`, each naming the attribute.

    It reads `realtime` (a bool, True for a realtime model) and checks that every name of the
    module's own `get_preserved_attributes()` exists, and for a realtime model every name of the
    reference's realtime list.
    An empty list means the loader accepts the module.
    """
    problems: List[str] = []
    realtime = realtime_flag(module)
    if realtime is None:
        problems.append("no attribute realtime")
    elif not isinstance(realtime, bool):
        problems.append(f"realtime is {realtime!r}, must be a bool")
    # A non-realtime module (realtime False) is held to its own list only.
    names = list(REFERENCE_PRESERVED_ATTRIBUTES) if realtime is not False else []
    if _has(module, "get_preserved_attributes"):
        preserved = as_plugin(module).get_preserved_attributes()
        names += [name for name in preserved if name not in names]
    missing = [name for name in names if not _has(module, name)]
    if missing:
        problems.append(f"missing preserved attribute(s) {', '.join(missing)}")
    return problems


def made_by_reference_sdk(module: nn.Module) -> bool:
    """Whether a loaded module was written by the Neutone SDK 1.5 (its classes live in
    `neutone_sdk`), which drives its model with one fixed host buffer size."""
    if not isinstance(module, torch.jit.ScriptModule):
        return False
    qualified = module._c._type().qualified_name()
    return qualified.split(".")[1:2] == [REFERENCE_SDK_PACKAGE]


def load_neutone_model(
    path: Union[str, Path],
    *,
    strict: bool = True,
) -> Tuple[torch.jit.ScriptModule, Dict[str, Any]]:
    """Load a `.nm` file (ours or the Neutone SDK 1.5's) on the CPU.

    Returns the scripted adapter and the metadata dictionary read from the archive's
    `metadata.json`. Raises `NotANeutoneModelError` for a missing or corrupt file, a TorchScript
    archive without `metadata.json`, or one whose module lacks the host's entry points. With
    `strict` (the default) it also refuses, naming them, a file without `realtime` or a preserved
    name, as the plugin does; `strict=False` loads such a file for inspection
    (`validate_neutone_model` then fails its `plugin_load` check).
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
            f"{path}: not a TorchScript archive ({one_line(error)})"
        ) from error
    metadata = parse_metadata_json(extra_files[METADATA_FILE], str(path))
    missing = [name for name in ENTRY_METHODS if not module._c._has_method(name)]
    if missing:
        raise NotANeutoneModelError(
            f"{path}: a TorchScript file but not a Neutone model (no method {', '.join(missing)})"
        )
    problems = plugin_load_problems(module) if strict else []
    if problems:
        raise NotANeutoneModelError(
            f"{path}: the Neutone plugin would refuse this file: {'; '.join(problems)}; "
            "export it again with neutone's save_neutone_model"
        )
    return module, metadata


def parse_metadata_json(raw: Union[str, bytes], source: str) -> Dict[str, Any]:
    """Decode the archive's `metadata.json`; `source` names the file in the error message.

    A categorical knob written for the Neutone SDK 1.5.2 loader (`reference_loader_knobs=True`)
    is read back as the categorical knob it is (`files.reference_knobs`). Metadata outside the
    limits every tool enforces (`neutone_core.limits.check_metadata_limits`: a 1 Hz native rate,
    a 50 MB name, a key of the wrong type, JSON nested too deeply) is refused, naming the key.
    """
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not raw:
        raise NotANeutoneModelError(f"{source}: no {METADATA_FILE} inside, not a Neutone model")
    if json_depth(raw) > MAX_JSON_DEPTH:  # json nests one Python call per level
        raise NotANeutoneModelError(
            f"{source}: {METADATA_FILE} nests too deeply to be read, not a Neutone model "
            f"(more than {MAX_JSON_DEPTH} levels)"
        )
    try:
        check_json_text(raw, METADATA_FILE)
    except LimitError as error:
        raise NotANeutoneModelError(f"{source}: {error}") from None
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotANeutoneModelError(
            f"{source}: {METADATA_FILE} is not valid JSON ({error})"
        ) from error
    if not isinstance(metadata, dict):
        raise NotANeutoneModelError(f"{source}: {METADATA_FILE} is not a JSON object")
    try:
        check_metadata_limits(metadata)
    except LimitError as error:
        raise NotANeutoneModelError(f"{source}: {METADATA_FILE}: {error}") from None
    return read_reference_loader_knobs(metadata)
