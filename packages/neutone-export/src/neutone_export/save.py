"""Save a model as a `.nm` file, then prove the file: load it back and run the validation suite on
it.

`root_dir` receives `model.nm` (the scripted adapter with `metadata.json` inside), `metadata.json`,
the demo audio under `samples/` (WAV and MP3, input and delay-compensated output) and `report.json`
(what was checked and measured). Nothing global is changed (no thread settings), so saving twice in
one process works.
"""

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Union

import torch

from neutone_core import WaveformToWaveformBase, validate_metadata
from neutone_export.load import METADATA_FILE, copy_script_module, load_neutone_model
from neutone_export.report import CheckResult, ValidationReport
from neutone_export.samples import (
    DEFAULT_SAMPLE_RATE,
    demo_input,
    encode_mp3,
    encode_wav,
    render_samples,
    to_base64,
)
from neutone_export.scripting import script_neutone_model
from neutone_export.validation import validate_neutone_model

MODEL_FILE = "model.nm"
REPORT_FILE = "report.json"
SAMPLES_DIR = "samples"
MAX_SAMPLE_PAIRS = 3


class _Progress:
    """One line per step on stderr, unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, line: str) -> None:
        if not self.quiet:
            print(f"neutone-export: {line}", file=sys.stderr, flush=True)

    def check(self, result: CheckResult) -> None:
        figure = f" ({result.figure_text()})" if result.figure_text() else ""
        self(f"  {result.status:<4} {result.name}{figure}")


def _to_json_ready(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """A plain-Python copy of TorchScript's metadata dictionary."""
    return json.loads(json.dumps(metadata))


def save_neutone_model(
    model: WaveformToWaveformBase,
    root_dir: Union[str, Path],
    *,
    freeze: bool = False,
    optimize: bool = False,
    input_samples: Sequence[torch.Tensor] | None = None,
    samples_sample_rate: int = DEFAULT_SAMPLE_RATE,
    sample_rates: Sequence[int] = (),
    quiet: bool = False,
) -> ValidationReport:
    """Script `model`, write the `.nm` file and its companions, and validate the file as loaded.

    Args:
        model: the researcher's model.
        root_dir: output folder, created if needed.
        freeze: `torch.jit.freeze` the adapter (contract methods preserved); off by default.
        optimize: `torch.jit.optimize_for_inference`; off by default.
        input_samples: up to 3 demo inputs `(1 or 2, n)` at `samples_sample_rate`; default:
            3 s of synthetic plucked notes.
        samples_sample_rate: sample rate of the demo audio, in Hz.
        sample_rates: host sample rates to validate besides 44100 and 48000 Hz.
        quiet: no progress lines on stderr.

    Returns:
        the validation report of the loaded file (also written as `report.json`).

    Raises:
        ScriptingError: TorchScript cannot compile the model (the message says where and how
            to fix it).
        ValueError: bad arguments, or the model's getters break a rule (MetadataError included).
    """
    progress = _Progress(quiet)
    root = Path(root_dir)
    inputs = [demo_input(samples_sample_rate)] if input_samples is None else list(input_samples)
    if len(inputs) > MAX_SAMPLE_PAIRS:
        raise ValueError(f"input_samples: at most {MAX_SAMPLE_PAIRS} inputs, got {len(inputs)}")
    root.mkdir(parents=True, exist_ok=True)

    progress(f"scripting {type(model).__name__}")
    scripted = script_neutone_model(model, freeze=freeze, optimize=optimize)

    progress(f"rendering {len(inputs)} demo sample(s) at {samples_sample_rate} Hz")
    pairs = render_samples(copy_script_module(scripted), inputs, samples_sample_rate)
    samples_dir = root / SAMPLES_DIR
    samples_dir.mkdir(exist_ok=True)
    sound_files: List[Dict[str, str]] = []
    for i, pair in enumerate(pairs):
        entry: Dict[str, str] = {}
        for side, audio in (("in", pair.audio_in), ("out", pair.audio_out)):
            stem = samples_dir / f"sample_{side}_{i}"
            mp3 = encode_mp3(audio, pair.sample_rate)
            stem.with_suffix(".wav").write_bytes(encode_wav(audio, pair.sample_rate))
            stem.with_suffix(".mp3").write_bytes(mp3)
            entry[side] = to_base64(mp3)
        sound_files.append(entry)

    metadata = _to_json_ready(scripted.to_metadata())
    metadata["sample_sound_files"] = sound_files
    validate_metadata(metadata)
    metadata_json = json.dumps(metadata, indent=2)
    model_path = root / MODEL_FILE
    progress(f"writing {model_path}")
    torch.jit.save(scripted, str(model_path), _extra_files={METADATA_FILE: metadata_json})
    (root / METADATA_FILE).write_text(metadata_json + "\n", encoding="utf-8")

    progress(f"validating {model_path} as loaded")
    loaded, loaded_metadata = load_neutone_model(model_path)
    report = validate_neutone_model(
        loaded,
        metadata=loaded_metadata,
        eager_model=model,
        sample_rates=sample_rates,
        on_check=progress.check,
    )
    report.source = str(model_path)
    report.write_json(root / REPORT_FILE)
    verdict = "all checks passed" if report.passed else f"{len(report.failures)} check(s) failed"
    progress(f"{verdict}; report in {root / REPORT_FILE}")
    return report
