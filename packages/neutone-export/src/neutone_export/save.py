"""Save a model as a `.nm` file, then prove the file: load it back and run the validation suite on
it.

`root_dir` receives `model.nm` (the scripted adapter with `metadata.json` inside), `metadata.json`,
the demo audio under `samples/` (WAV and MP3, input and delay-compensated output; by default three
clips at every knob extreme) and `report.json` (what was checked and measured). A non-realtime
(`NonRealtimeBase`) model goes to `save_non_realtime_model`. The Neutone SDK 1.5's keywords are
accepted in its order, so an SDK script runs unchanged (`neutone_export.sdk_compat`). Nothing
global is changed (no thread settings), so saving twice in one process works.

The export is atomic and never replaces a passing one with a failing one unless asked
(`neutone_export.staged_export`).
"""

import json
import warnings
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Union

import torch

from neutone_core import WaveformToWaveformBase, validate_metadata
from neutone_core.limits import check_sample_rate
from neutone_core.non_realtime import NonRealtimeBase
from neutone_export.audio_sample import AudioSamplePair
from neutone_export.load import copy_script_module
from neutone_export.non_realtime_save import save_non_realtime_model
from neutone_export.porting_notes import PortingWarning, warn_porting_notes
from neutone_export.report import ValidationReport
from neutone_export.samples import (
    DEFAULT_SAMPLE_RATE,
    SamplePair,
    demo_clips,
    encode_mp3,
    render_knob_samples,
    render_samples,
    to_base64,
    write_samples,
)
from neutone_export.scripting import script_neutone_model
from neutone_export.sdk_compat import demo_inputs_from_pairs, submission_error
from neutone_export.staged_export import (
    SAMPLES_DIR,
    ExportError,
    ExportFailedError,
    ExportWriteError,
    Progress,
    check_root,
    save_staged,
    write_and_load,
)
from neutone_export.validation import validate_neutone_model

MAX_SAMPLE_PAIRS = 3

__all__ = [
    "ExportError",
    "ExportFailedError",
    "ExportWriteError",
    "save_neutone_model",
]


def _one_line(error: BaseException) -> str:
    """The meaningful line of an error: for a TorchScript error, the Python exception it carries."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("builtins."):  # TorchScript's trace ends with the original exception
            return line[len("builtins.") :]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _to_json_ready(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """A plain-Python copy of TorchScript's metadata dictionary."""
    return json.loads(json.dumps(metadata))


def _render_and_write_samples(
    scripted: torch.jit.ScriptModule,
    inputs: List[torch.Tensor] | None,
    sample_rate: int,
    samples_dir: Path | None,
    max_pairs: int,
) -> List[Dict[str, str]]:
    """Render the demos through the scripted model, write them as WAV and MP3 into `samples_dir`
    (none when None), and return the base64 MP3s of at most `max_pairs` default-knob pairs.

    Without `inputs`, every demo clip is rendered at every knob extreme (`render_knob_samples`).
    """
    try:
        if inputs is None:
            pairs = render_knob_samples(
                copy_script_module(scripted), demo_clips(sample_rate), sample_rate
            )
        else:
            pairs = render_samples(copy_script_module(scripted), inputs, sample_rate)
    except (torch.jit.Error, RuntimeError, ValueError) as error:
        raise ExportError(
            f"save_neutone_model: the model failed while rendering the demo samples at "
            f"{sample_rate} Hz with host buffers of 512 samples: {_one_line(error)}; "
            "fix do_forward_pass (neutone-export check on a saved file lists every failing setting)"
        ) from None
    if samples_dir is not None:
        write_samples(pairs, samples_dir)
    defaults = [pair for pair in pairs if pair.label.endswith("default")][:max_pairs]
    return [_sound_file(pair) for pair in defaults]


def _sound_file(pair: SamplePair) -> Dict[str, str]:
    """A `sample_sound_files` entry: the pair's input and output as base64 MP3."""
    return {
        side: to_base64(encode_mp3(audio, pair.sample_rate))
        for side, audio in (("in", pair.audio_in), ("out", pair.audio_out))
    }


def _check_max_n_samples(max_n_samples: int | None) -> int:
    """The number of demo pairs the metadata may embed: `max_n_samples`, 3 when None."""
    if max_n_samples is None:
        return MAX_SAMPLE_PAIRS
    if (
        isinstance(max_n_samples, bool)
        or not isinstance(max_n_samples, int)
        or not 1 <= max_n_samples <= MAX_SAMPLE_PAIRS
    ):
        raise ValueError(
            f"save_neutone_model: max_n_samples must be an int in 1..{MAX_SAMPLE_PAIRS}, got "
            f"{max_n_samples!r}; pass 1, 2 or 3, or None for 3"
        )
    return max_n_samples


def _skipped_checks(speed_benchmark: bool | None, test_offline_mode: bool | None) -> Dict[str, str]:
    """Check name -> reason, for the checks the Neutone SDK's keywords switch off."""
    skipped = {}
    if speed_benchmark is False:
        skipped["realtime"] = "skipped: speed_benchmark=False"
    if test_offline_mode is False:
        skipped["streaming"] = "skipped: test_offline_mode=False"
    return skipped


def save_neutone_model(
    model: WaveformToWaveformBase | NonRealtimeBase,
    root_dir: Union[str, Path],
    dump_samples: bool | None = None,
    submission: bool | None = None,
    audio_sample_pairs: Sequence[AudioSamplePair] | None = None,
    max_n_samples: int | None = None,
    freeze: bool = False,
    optimize: bool = False,
    speed_benchmark: bool | None = None,
    test_offline_mode: bool | None = None,
    *,
    trace: bool = False,
    input_samples: Sequence[torch.Tensor] | None = None,
    samples_sample_rate: int = DEFAULT_SAMPLE_RATE,
    sample_rates: Sequence[int] = (),
    overwrite_passing: bool = False,
    quiet: bool = False,
) -> ValidationReport:
    """Script `model`, write the `.nm` file and its companions, and validate the file as loaded.

    The positional arguments after `root_dir` are the Neutone SDK 1.5's, in its order; giving
    any SDK-only one (not None) marks the call as a ported script for the porting notes.

    Args:
        model: the researcher's model; a `NonRealtimeBase` is saved by `save_non_realtime_model`
            (with `freeze`, `optimize`, `sample_rates`, `overwrite_passing`, `submission` and
            `quiet`; the SDK's other keywords change nothing for it and are warned about once;
            `trace`, `input_samples` and `samples_sample_rate` are refused).
        root_dir: output folder, created if needed; a previous export there is replaced only by a
            finished one (see `overwrite_passing`).
        dump_samples: False writes no files under `samples/` (the metadata still embeds the
            demo MP3s); None or True writes them.
        submission: True raises `SubmissionError` after writing when a check failed.
        audio_sample_pairs: the SDK's demo pairs; their inputs become the demo inputs, rendered
            by the saved file. Not together with `input_samples`.
        max_n_samples: how many demo pairs (1 to 3) the metadata embeds; 3 when None.
        freeze: `torch.jit.freeze` the adapter (contract methods preserved); off by default.
        optimize: `torch.jit.optimize_for_inference`; off by default.
        speed_benchmark: False skips the `realtime` check (reported as skipped).
        test_offline_mode: False skips the `streaming` check (reported as skipped).
        trace: trace the inner model where TorchScript cannot compile it (see
            `script_neutone_model`); off by default.
        input_samples: up to 3 demo inputs `(1 or 2, n)` at `samples_sample_rate`; default:
            3 s each of speech, drums and a sustained tone, at the default knobs and at each
            knob's extremes.
        samples_sample_rate: sample rate of the demo audio, in Hz.
        sample_rates: host sample rates to validate besides 44100 and 48000 Hz.
        overwrite_passing: replace a passing export in `root_dir` even when this one fails its
            checks. Off by default: the failed attempt is kept as `<root_dir>.failed` instead.
        quiet: no progress lines on stderr.

    Returns:
        the validation report of the loaded file (also written as `report.json`; the porting
        notes in `settings["porting_notes"]`). It may have failed checks when `root_dir` held no
        passing export.

    Raises:
        ScriptingError: TorchScript cannot compile the model (the message says where and how
            to fix it).
        ExportFailedError: the checks failed and `root_dir` keeps its passing export.
        ExportError: a bad `root_dir`, or the model failed to run.
        ExportWriteError: a write failed (disk full); `root_dir` is unchanged.
        SubmissionError: `submission=True` and a check failed (the export is written).
        ValueError: bad arguments, or the model's getters break a rule (MetadataError included).
    """
    if isinstance(model, NonRealtimeBase):
        _refuse_realtime_only(trace, input_samples, samples_sample_rate)
        _warn_without_effect(
            dump_samples, audio_sample_pairs, max_n_samples, speed_benchmark, test_offline_mode
        )
        return save_non_realtime_model(
            model,
            root_dir,
            freeze=freeze,
            optimize=optimize,
            sample_rates=sample_rates,
            overwrite_passing=overwrite_passing,
            submission=bool(submission),
            quiet=quiet,
        )
    progress = Progress(quiet)
    root = check_root(root_dir, "save_neutone_model")
    samples_sample_rate = check_sample_rate(
        samples_sample_rate, "save_neutone_model: samples_sample_rate"
    )
    rates = [check_sample_rate(rate, "save_neutone_model: sample_rates") for rate in sample_rates]
    max_pairs = _check_max_n_samples(max_n_samples)
    if audio_sample_pairs is not None:
        if input_samples is not None:
            raise ValueError(
                "save_neutone_model: got both audio_sample_pairs and input_samples; pass one "
                "(both give the demo inputs)"
            )
        input_samples = demo_inputs_from_pairs(audio_sample_pairs, max_pairs, samples_sample_rate)
    inputs = None if input_samples is None else list(input_samples)
    if inputs is not None and len(inputs) > MAX_SAMPLE_PAIRS:
        raise ValueError(
            f"save_neutone_model: input_samples holds at most {MAX_SAMPLE_PAIRS} inputs, "
            f"got {len(inputs)}; pass fewer"
        )
    sdk_only = (
        dump_samples,
        submission,
        audio_sample_pairs,
        max_n_samples,
        speed_benchmark,
        test_offline_mode,
    )
    reference_call = any(value is not None for value in sdk_only)
    notes = warn_porting_notes(model, reference_call)

    def build(staging: Path) -> ValidationReport:
        report = _export(
            model,
            staging,
            root_dir,
            inputs,
            samples_sample_rate,
            rates,
            progress,
            freeze=freeze,
            optimize=optimize,
            trace=trace,
            dump_samples=dump_samples is not False,
            max_pairs=max_pairs,
            skipped=_skipped_checks(speed_benchmark, test_offline_mode),
        )
        report.settings["porting_notes"] = notes
        return report

    report = save_staged(
        root,
        root_dir,
        build,
        progress,
        overwrite_passing=overwrite_passing,
        caller="save_neutone_model",
    )
    if submission and not report.passed:
        raise submission_error(report, notes)
    return report


def _refuse_realtime_only(
    trace: bool, input_samples: Sequence[torch.Tensor] | None, samples_sample_rate: int
) -> None:
    """ValueError naming neutone's realtime-only keywords given for a non-realtime model."""
    given = [
        name
        for name, value in (
            ("trace=True", trace),
            ("input_samples", input_samples is not None),
            ("samples_sample_rate", samples_sample_rate != DEFAULT_SAMPLE_RATE),
        )
        if value
    ]
    if given:
        raise ValueError(
            f"save_neutone_model: {', '.join(given)} apply to realtime models only; a "
            "NonRealtimeBase model is scripted whole and its export holds no demo audio "
            "(it takes freeze, optimize, sample_rates, overwrite_passing, submission and quiet)"
        )


def _warn_without_effect(
    dump_samples: bool | None,
    audio_sample_pairs: Sequence[AudioSamplePair] | None,
    max_n_samples: int | None,
    speed_benchmark: bool | None,
    test_offline_mode: bool | None,
) -> None:
    """Warn once about the Neutone SDK keywords that change nothing for a non-realtime model (an
    SDK script passes them; refusing them would stop it)."""
    given = [
        name
        for name, value in (
            ("dump_samples", dump_samples),
            ("audio_sample_pairs", audio_sample_pairs),
            ("max_n_samples", max_n_samples),
            ("speed_benchmark", speed_benchmark),
            ("test_offline_mode", test_offline_mode),
        )
        if value is not None
    ]
    if given:
        warnings.warn(
            f"save_neutone_model: {', '.join(given)} change nothing for a non-realtime model: "
            "its export holds no demo audio, and the non-realtime checks have no realtime or "
            "streaming check to skip",
            PortingWarning,
            stacklevel=3,
        )


def _export(
    model: WaveformToWaveformBase,
    staging: Path,
    root_dir: Union[str, Path],
    inputs: List[torch.Tensor] | None,
    samples_sample_rate: int,
    sample_rates: Sequence[int],
    progress: Progress,
    *,
    freeze: bool,
    optimize: bool,
    trace: bool,
    dump_samples: bool,
    max_pairs: int,
    skipped: Mapping[str, str],
) -> ValidationReport:
    """Script, render, write and validate into `staging`; everything but `report.json`."""
    progress(f"scripting {type(model).__name__}")
    scripted = script_neutone_model(model, freeze=freeze, optimize=optimize, trace=trace)
    trace_report = getattr(scripted, "trace_report", None)
    if trace_report is not None:
        progress(trace_report.summary())

    what = "the demo clips at every knob extreme" if inputs is None else f"{len(inputs)} input(s)"
    progress(f"rendering {what} at {samples_sample_rate} Hz")
    sound_files = _render_and_write_samples(
        scripted,
        inputs,
        samples_sample_rate,
        staging / SAMPLES_DIR if dump_samples else None,
        max_pairs,
    )

    metadata = _to_json_ready(scripted.to_metadata())
    metadata["sample_sound_files"] = sound_files
    validate_metadata(metadata)
    loaded, loaded_metadata = write_and_load(staging, scripted, metadata, root_dir, progress)
    report = validate_neutone_model(
        loaded,
        metadata=loaded_metadata,
        eager_model=model,
        sample_rates=sample_rates,
        skip=skipped,
        on_check=progress.check,
    )
    if trace_report is not None:
        report.trace = dict(trace_report.to_dict(), summary=trace_report.summary())
    return report
