"""Save a non-realtime ("Gen") model as a `.nm` file, then prove the file with the Gen suite.

`root_dir` receives `model.nm` (the scripted `NonRealtimeAdapter` with `metadata.json` inside),
`metadata.json` and `report.json`, built and proven in a hidden folder and swapped into place like
a realtime export (`neutone_export.staged_export`): a failing export never replaces a passing one
unless asked. ``sample_sound_files`` stays empty, as in the Neutone SDK: a Gen model's demo
depends on prompts and knobs that only its author can choose.
"""

import io
import json
from pathlib import Path
from typing import Sequence, Union

import torch

from neutone_core import validate_metadata
from neutone_core.limits import check_sample_rate
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_export.non_realtime_checks import validate_non_realtime_model
from neutone_export.report import ValidationReport
from neutone_export.scripting import explain_scripting_error
from neutone_export.sdk_compat import submission_error
from neutone_export.staged_export import (
    Progress,
    check_root,
    save_staged,
    write_and_load,
)


def script_non_realtime_model(
    model: NonRealtimeBase, freeze: bool = False, optimize: bool = False
) -> torch.jit.ScriptModule:
    """Build the `NonRealtimeAdapter` around `model` and script it.

    Raises:
        ScriptingError: TorchScript cannot compile the model (where and how to fix it).
        ValueError: the model's getters or parameters break a rule (MetadataError included).
    """
    if not isinstance(model, NonRealtimeBase):
        raise ValueError(f"model: must be a NonRealtimeBase, got {type(model).__name__}")
    adapter = NonRealtimeAdapter(model).eval()
    try:
        scripted = torch.jit.script(adapter)
        torch.jit.save(scripted, io.BytesIO())  # Python calls left in the graph fail only here
    except Exception as error:  # TorchScript raises RuntimeError and frontend errors alike
        raise explain_scripting_error(model, error) from error
    preserved = list(scripted.get_preserved_attributes())
    if freeze or optimize:
        scripted = torch.jit.freeze(scripted, preserved_attrs=preserved)
    if optimize:
        others = [n for n in preserved if scripted._c._has_method(n) and n != "forward"]
        scripted = torch.jit.optimize_for_inference(scripted, other_methods=others)
    return scripted


def save_non_realtime_model(
    model: NonRealtimeBase,
    root_dir: Union[str, Path],
    *,
    freeze: bool = False,
    optimize: bool = False,
    sample_rates: Sequence[int] = (),
    overwrite_passing: bool = False,
    submission: bool = False,
    quiet: bool = False,
) -> ValidationReport:
    """Script `model`, write `model.nm`, `metadata.json`, and validate the file as loaded.

    Args:
        model: the researcher's non-realtime model.
        root_dir: output folder, created if needed; a previous export there is replaced only by a
            finished one (see `overwrite_passing`).
        freeze: `torch.jit.freeze` the wrapper (plugin methods preserved); off by default.
        optimize: `torch.jit.optimize_for_inference`; off by default.
        sample_rates: host sample rates to check besides 48000 and 44100 Hz.
        overwrite_passing: replace a passing export in `root_dir` even when this one fails its
            checks. Off by default: the failed attempt is kept as `<root_dir>.failed` instead.
        submission: raise `SubmissionError` after writing when a check failed.
        quiet: no progress lines on stderr.

    Returns:
        the validation report of the loaded file (also written as `report.json`).

    Raises:
        ScriptingError: TorchScript cannot compile the model.
        ExportFailedError: the checks failed and `root_dir` keeps its passing export.
        ExportError: a bad `root_dir`.
        ExportWriteError: a write failed (disk full); `root_dir` is unchanged.
        SubmissionError: `submission=True` and a check failed (the export is written).
        ValueError: not a `NonRealtimeBase`, a bad sample rate, or the model's getters break a
            rule (MetadataError included).
    """
    caller = "save_non_realtime_model"
    if not isinstance(model, NonRealtimeBase):
        raise ValueError(f"model: must be a NonRealtimeBase, got {type(model).__name__}")
    progress = Progress(quiet)
    root = check_root(root_dir, caller)
    rates = [check_sample_rate(rate, f"{caller}: sample_rates") for rate in sample_rates]

    def build(staging: Path) -> ValidationReport:
        progress(f"scripting {type(model).__name__} (non-realtime)")
        scripted = script_non_realtime_model(model, freeze=freeze, optimize=optimize)
        metadata = json.loads(json.dumps(scripted.to_metadata()))
        metadata["sample_sound_files"] = []
        validate_metadata(metadata, realtime=False)
        loaded, loaded_metadata = write_and_load(staging, scripted, metadata, root_dir, progress)
        return validate_non_realtime_model(
            loaded, metadata=loaded_metadata, sample_rates=rates, on_check=progress.check
        )

    report = save_staged(
        root, root_dir, build, progress, overwrite_passing=overwrite_passing, caller=caller
    )
    if submission and not report.passed:
        raise submission_error(report)
    return report
