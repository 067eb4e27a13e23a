"""Save a model as a `.nm` file, then prove the file: load it back and run the validation suite on
it.

`root_dir` receives `model.nm` (the scripted adapter with `metadata.json` inside), `metadata.json`,
`report.json` (what was checked and measured) and, for a realtime model, the demo audio under
`samples/` (WAV and MP3, input and delay-compensated output; by default three clips at every knob
extreme). With ``formats=("nm", "pt2")`` a realtime model also gets its torch.export /
AOTInductor package, `model.pt2pkg/` (`neutone_export.pt2`), proven against the `.nm`.
What differs between realtime and non-realtime ("Gen") models is asked of the model's
kind (`neutone_export.kinds`). The Neutone SDK 1.5's keywords are accepted in its order, so an SDK
script runs unchanged (`neutone_export.sdk15.compat`). Nothing global is changed (no thread
settings), so saving twice in one process works.

The export is atomic and never replaces a passing one with a failing one unless asked
(`neutone_export.files.staging`).
"""

import json
import warnings
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple, Union

import torch

from neutone_core import WaveformToWaveformBase, validate_metadata
from neutone_core.limits import check_metadata_limits
from neutone_core.non_realtime import NonRealtimeBase
from neutone_export.audio.samples import DEFAULT_SAMPLE_RATE
from neutone_export.files.reference_knobs import write_reference_loader_knobs
from neutone_export.files.staging import (
    SAMPLES_DIR,
    ExportError,
    ExportFailedError,
    ExportWriteError,
    Progress,
    check_root,
    save_staged,
    write_and_load,
)
from neutone_export.kinds.dispatch import kind_of_model
from neutone_export.kinds.gen import require_non_realtime
from neutone_export.kinds.kind import ModelKind, SaveOptions
from neutone_export.pt2.capture import PackageExportError
from neutone_export.pt2.package import PACKAGE_DIR, write_package
from neutone_export.sdk15.audio_sample import AudioSamplePair
from neutone_export.sdk15.compat import submission_error
from neutone_export.suite.report import CheckResult, ValidationReport
from neutone_export.suite.runner import blocking_failures, quality_findings
from neutone_export.suite.validate import validate_neutone_model

__all__ = [
    "ExportError",
    "ExportFailedError",
    "ExportWriteError",
    "PackageNotWrittenWarning",
    "QualityWarning",
    "save_neutone_model",
    "save_non_realtime_model",
]


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
    strict: bool = False,
    reference_loader_knobs: bool = False,
    formats: Sequence[str] = ("nm",),
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
        submission: True raises `SubmissionError` after writing when a check that would break
            in the plugin failed (it does not load, wrong contract, NaN/inf, wrong shape,
            reported delay off); a quality finding (reset, streaming, eager, determinism, speed)
            is a warning with its fix (`QualityWarning`), and the export stands.
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
        strict: with `submission`, refuse the submission for a quality finding too (every
            failed check but the speed check).
        reference_loader_knobs: write each categorical knob in the form the Neutone SDK 1.5.2
            loader accepts (a `continuous` entry with `n_values` and `labels`; neutone reads it
            back as categorical). Off by default: that loader then refuses a file with a
            categorical knob, which `plugin_load` and a `QualityWarning` say.
        formats: what to write: ``("nm",)`` (the default) or ``("nm", "pt2")``, which also
            writes the pt2 package `model.pt2pkg/` (one AOTInductor compile per graph, tens of
            seconds each) and runs its checks. A model torch.export cannot capture still gets
            its `.nm`, with a `PackageNotWrittenWarning` saying why in one line. Realtime models
            only.

    Returns:
        the validation report of the loaded file (also written as `report.json`; the porting
        notes in `settings["porting_notes"]`; with "pt2" asked for, `settings["pt2_package"]`
        says whether the package was written: ``{"written": bool, "path": "model.pt2pkg" or
        None, "reason": "" or the one line}``). It may have failed checks when `root_dir` held
        no passing export.

    Raises:
        ScriptingError: TorchScript cannot compile the model (the message says where and how
            to fix it).
        ExportFailedError: the checks failed and `root_dir` keeps its passing export.
        ExportError: a bad `root_dir`, or the model failed to run.
        ExportWriteError: a write failed (disk full); `root_dir` is unchanged.
        SubmissionError: `submission=True` and a check that blocks a submission failed (any
            check with `strict=True`); the export is written.
        ValueError: bad arguments, or the model's getters break a rule (MetadataError included).
    """
    options = SaveOptions(
        caller="save_neutone_model",
        freeze=freeze,
        optimize=optimize,
        trace=trace,
        sample_rates=sample_rates,
        submission=submission,
        dump_samples=dump_samples,
        audio_sample_pairs=audio_sample_pairs,
        max_n_samples=max_n_samples,
        speed_benchmark=speed_benchmark,
        test_offline_mode=test_offline_mode,
        input_samples=input_samples,
        samples_sample_rate=samples_sample_rate,
        strict=strict,
        reference_loader_knobs=reference_loader_knobs,
        formats=check_formats(formats, "save_neutone_model"),
    )
    kind = kind_of_model(model)
    if "pt2" in options.formats and not kind.streams:
        raise ValueError(
            "save_neutone_model: formats: 'pt2' is for realtime models; a non-realtime (Gen) "
            "model runs once per whole clip with prompts and clip-length outputs, which the "
            "package's per-block graph does not express; pass formats=('nm',)"
        )
    options = kind.check_save_options(options)  # every argument, before any work
    return _save(kind, model, root_dir, options, overwrite_passing, quiet)


FORMATS = ("nm", "pt2")


def check_formats(formats: Sequence[str], caller: str) -> Tuple[str, ...]:
    """`formats` as a tuple of known names that includes "nm" (ValueError naming the fix).

    Example:
        >>> check_formats(["pt2", "nm"], "save_neutone_model")
        ('nm', 'pt2')
    """
    if isinstance(formats, str) or not all(isinstance(name, str) for name in formats):
        raise ValueError(
            f"{caller}: formats must be a sequence of names from {FORMATS}, got {formats!r}; "
            "e.g. formats=('nm', 'pt2')"
        )
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or "nm" not in formats:
        raise ValueError(
            f"{caller}: formats must name 'nm' and may add 'pt2' (the package is proven against "
            f"the .nm), got {list(formats)}"
        )
    return tuple(name for name in FORMATS if name in formats)


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
    strict: bool = False,
    reference_loader_knobs: bool = False,
) -> ValidationReport:
    """`save_neutone_model` for a non-realtime ("Gen") model, with the keywords that apply to it.

    Raises:
        ValueError: `model` is not a `NonRealtimeBase`; otherwise as `save_neutone_model`.
    """
    model = require_non_realtime(model)
    options = SaveOptions(
        caller="save_non_realtime_model",
        freeze=freeze,
        optimize=optimize,
        sample_rates=sample_rates,
        strict=strict,
        reference_loader_knobs=reference_loader_knobs,
    )
    kind = kind_of_model(model)
    options = kind.check_save_options(options)
    options.submission = submission
    return _save(kind, model, root_dir, options, overwrite_passing, quiet)


def _save(
    kind: ModelKind,
    model: Any,
    root_dir: Union[str, Path],
    options: SaveOptions,
    overwrite_passing: bool,
    quiet: bool,
) -> ValidationReport:
    """The stages of every save: porting notes, the build in a hidden folder swapped into place,
    then the submission verdict."""
    progress = Progress(quiet)
    root = check_root(root_dir, options.caller)
    notes = kind.porting_notes(model, options)
    report = save_staged(
        root,
        root_dir,
        lambda staging: _build(kind, model, staging, root_dir, options, progress, notes),
        progress,
        overwrite_passing=overwrite_passing,
        caller=options.caller,
    )
    package = report.settings.get("pt2_package")
    if package is not None and not package["written"]:
        warnings.warn(
            f"{options.caller}: the pt2 package was not written (the .nm was): "
            f"{package['reason']}",
            PackageNotWrittenWarning,
            stacklevel=3,
        )
    refused = blocking_failures(report.checks, kind.checks, strict=options.strict)
    if not (options.submission and refused):
        warn_findings(report.checks, kind, options.caller)
    if options.submission and refused:
        raise submission_error(report, notes, refused)
    return report


class QualityWarning(UserWarning):
    """A check that would not break the plugin failed (reset, streaming, ...) or passed with a
    warning (a knob the Neutone SDK 1.5.2 loader refuses): the export is written, and the
    warning says how to fix it."""


class PackageNotWrittenWarning(UserWarning):
    """The pt2 package was asked for and could not be made (torch.export cannot capture the
    model); the `.nm` is written and validated, and the warning says why in one line."""


def warn_findings(results: Sequence[CheckResult], kind: ModelKind, caller: str) -> None:
    """One `QualityWarning` per failed quality check (with the check's fix) and per check that
    passed with a warning, after the save."""
    fixes = {check.name: check.fix for check in kind.checks}
    for finding in quality_findings(results, kind.checks):
        fix = f"; fix: {fixes[finding.name]}" if fixes.get(finding.name) else ""
        _warn(
            f"{caller}: {finding.name} failed (a quality finding: the export is written): "
            f"{finding.message}{fix}"
        )
    for result in results:
        if result.passed and result.warning:
            _warn(f"{caller}: {result.name}: {result.message}")


def _warn(message: str) -> None:
    """Warn at the line that called the public save function."""
    warnings.warn(message, QualityWarning, stacklevel=5)


def _build(
    kind: ModelKind,
    model: Any,
    staging: Path,
    root_dir: Union[str, Path],
    options: SaveOptions,
    progress: Progress,
    notes: List[str],
) -> ValidationReport:
    """Script, render the demos, write and validate into `staging`; all but `report.json`."""
    progress(f"scripting {type(model).__name__} ({kind.name})")
    scripted = kind.script(
        model, freeze=options.freeze, optimize=options.optimize, trace=options.trace
    )
    trace_report = getattr(scripted, "trace_report", None)
    if trace_report is not None:
        progress(trace_report.summary())
    samples_dir = staging / SAMPLES_DIR if options.dump_samples is not False else None
    metadata = _to_json_ready(scripted.to_metadata())
    check_metadata_limits(metadata)  # before the demos: a 1 Hz rate must not render for minutes
    metadata["sample_sound_files"] = kind.demo_sound_files(scripted, options, samples_dir, progress)
    validate_metadata(metadata, realtime=kind.streams)
    if options.reference_loader_knobs:
        metadata = write_reference_loader_knobs(metadata)
    loaded, loaded_metadata = write_and_load(staging, scripted, metadata, root_dir, progress)
    package = _write_package(model, staging, options, progress)
    report = validate_neutone_model(
        loaded,
        metadata=loaded_metadata,
        eager_model=model,
        sample_rates=options.sample_rates,
        skip=options.skip,
        on_check=progress.check,
        package_dir=staging / PACKAGE_DIR if package and package["written"] else None,
    )
    if package is not None:
        report.settings["pt2_package"] = package
    if trace_report is not None:
        report.trace = dict(trace_report.to_dict(), summary=trace_report.summary())
    report.settings["porting_notes"] = notes
    return report


def _write_package(
    model: Any, staging: Path, options: SaveOptions, progress: Progress
) -> Dict[str, Any] | None:
    """The pt2 package in `staging` when asked for: whether it was written, and why not."""
    if "pt2" not in options.formats:
        return None
    progress("pt2: capturing the model with torch.export")
    try:
        write_package(model, staging, progress=progress)
    except PackageExportError as error:
        progress(f"pt2: not written: {error}")
        return {"written": False, "path": None, "reason": str(error)}
    return {"written": True, "path": PACKAGE_DIR, "reason": ""}


def _to_json_ready(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """A plain-Python copy of TorchScript's metadata dictionary."""
    return json.loads(json.dumps(metadata))
