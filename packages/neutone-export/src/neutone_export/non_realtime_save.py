"""Save a non-realtime ("Gen") model as a `.nm` file, then prove the file with the Gen suite.

`root_dir` receives `model.nm` (the scripted `NonRealtimeAdapter` with `metadata.json` inside),
`metadata.json` and `report.json`. Each file is written under a temporary name and renamed into
place. ``sample_sound_files`` stays empty, as in the Neutone SDK: a Gen model's demo depends on
prompts and knobs that only its author can choose.
"""

import io
import json
import sys
from pathlib import Path
from typing import Sequence, Union

import torch

from neutone_core import validate_metadata
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_export.atomic import atomic_write_text, atomic_write_with
from neutone_export.load import METADATA_FILE, load_neutone_model
from neutone_export.non_realtime_checks import validate_non_realtime_model
from neutone_export.report import CheckResult, ValidationReport
from neutone_export.scripting import explain_scripting_error

MODEL_FILE = "model.nm"
REPORT_FILE = "report.json"


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


def _say(quiet: bool, line: str) -> None:
    if not quiet:
        print(f"neutone-export: {line}", file=sys.stderr, flush=True)


def save_non_realtime_model(
    model: NonRealtimeBase,
    root_dir: Union[str, Path],
    *,
    freeze: bool = False,
    optimize: bool = False,
    sample_rates: Sequence[int] = (),
    quiet: bool = False,
) -> ValidationReport:
    """Script `model`, write `model.nm`, `metadata.json`, and validate the file as loaded.

    Args:
        model: the researcher's non-realtime model.
        root_dir: output folder, created if needed.
        freeze: `torch.jit.freeze` the wrapper (plugin methods preserved); off by default.
        optimize: `torch.jit.optimize_for_inference`; off by default.
        sample_rates: host sample rates to check besides 48000 and 44100 Hz.
        quiet: no progress lines on stderr.

    Returns:
        the validation report of the loaded file (also written as `report.json`).
    """
    root = Path(root_dir)
    root.mkdir(parents=True, exist_ok=True)
    _say(quiet, f"scripting {type(model).__name__} (non-realtime)")
    scripted = script_non_realtime_model(model, freeze=freeze, optimize=optimize)
    metadata = json.loads(json.dumps(scripted.to_metadata()))
    metadata["sample_sound_files"] = []
    validate_metadata(metadata, realtime=False)
    text = json.dumps(metadata, indent=2)
    model_path = root / MODEL_FILE
    _say(quiet, f"writing {model_path}")
    atomic_write_with(
        model_path,
        lambda path: torch.jit.save(scripted, str(path), _extra_files={METADATA_FILE: text}),
    )
    atomic_write_text(root / METADATA_FILE, text + "\n")

    _say(quiet, f"validating {model_path} as loaded")
    loaded, loaded_metadata = load_neutone_model(
        model_path,
    )

    def show(result: CheckResult) -> None:
        figure = f" ({result.figure_text()})" if result.figure_text() else ""
        _say(quiet, f"  {result.status:<4} {result.name}{figure}")

    report = validate_non_realtime_model(
        loaded, metadata=loaded_metadata, sample_rates=sample_rates, on_check=show
    )
    report.source = str(model_path)
    report.write_json(root / REPORT_FILE)
    verdict = "all checks passed" if report.passed else f"{len(report.failures)} check(s) failed"
    _say(quiet, f"{verdict}; report in {root / REPORT_FILE}")
    return report
