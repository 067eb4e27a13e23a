"""neutone_export: save, load and validate Neutone `.nm` model files.

Modules:
    scripting: `script_neutone_model` builds the realtime adapter and scripts it; `ScriptingError`
        teaches, naming the submodule and whether tracing applies.
    tracing: `trace_inner_model`, the trace fallback for inner models TorchScript cannot compile.
    save: `save_neutone_model` writes `model.nm`, `metadata.json`, demo samples and `report.json`
        atomically (a failed export leaves the previous one as it was).
    load: `load_neutone_model` reads ours and the Neutone SDK 1.5's files; `NotANeutoneModelError`.
    validation: `validate_neutone_model` runs the suite on a file or a module.
    checks: one function per check (origin, plugin_load, contract, metadata, consistency, shapes,
        finite, determinism, reset, streaming, delay, delay_breakdown, eager, realtime).
    non_realtime_save, non_realtime_checks: the same for non-realtime (whole-clip) models.
    contract: the methods and TorchScript signatures the plugin calls.
    report: `CheckResult` and `ValidationReport`.
    host: drives a module like the plugin does (settings, buffers) and makes the test signals.
    measure: delay from an impulse peak and from a cross-correlation.
    samples: synthetic demo clips, labelled renders at each knob's extremes, WAV and MP3 encoding.
    audio_io: audio files in and out (WAV, FLAC, OGG, MP3) through soundfile.
    knobs: knob values by name (`drive=0.7`, ramps `drive=0:1`) for rendering.
    render: `render` / `render_file`, audio through a `.nm` as the plugin runs it.
    info: `model_info`, what a `.nm` is, knobs, settings, delays and last validation.
    atomic: files and folders written to a temporary name and renamed into place.
    native_host, native_checks: a C++ libtorch host that loads and times a `.nm` as the plugin does.
    nam: Neural Amp Modeler captures as neutone models (`import_nam`; extra `nam`).
    port, porting_notes, audio_sample, sdk_compat, no_grad: porting from the Neutone SDK (the
        `port` codemod, `AudioSample`, the SDK's save keywords, what behaves differently).
    cli_contract: the contract every neutone command line follows (errors, exit status, JSON).
    cli: the `neutone-export` command; one module per command (`cli_check`: `check`, ...).

The names below are imported on first use, so that a command line's `--help` does not load torch.
`render` is a module here; its function is `neutone_export.render.render`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from neutone_export.__about__ import __version__

_HOMES = {
    "AudioSample": "audio_sample",
    "AudioSamplePair": "audio_sample",
    "CheckResult": "report",
    "ExportError": "staged_export",
    "ExportFailedError": "staged_export",
    "ExportWriteError": "staged_export",
    "ModelDefinitionError": "scripting",
    "SubmissionError": "sdk_compat",
    "NotANeutoneModelError": "load",
    "ScriptingError": "scripting",
    "TracingError": "tracing",
    "ValidationReport": "report",
    "load_neutone_model": "load",
    "made_by_reference_sdk": "load",
    "model_info": "info",
    "plugin_load_problems": "load",
    "render_audio_sample": "audio_sample",
    "render_file": "render",
    "save_neutone_model": "save",
    "save_non_realtime_model": "non_realtime_save",
    "script_neutone_model": "scripting",
    "script_non_realtime_model": "non_realtime_save",
    "validate_neutone_model": "validation",
    "validate_non_realtime_model": "non_realtime_checks",
}

__all__ = [
    "AudioSample",
    "AudioSamplePair",
    "CheckResult",
    "ExportError",
    "ExportFailedError",
    "ExportWriteError",
    "ModelDefinitionError",
    "NotANeutoneModelError",
    "ScriptingError",
    "SubmissionError",
    "TracingError",
    "ValidationReport",
    "__version__",
    "load_neutone_model",
    "made_by_reference_sdk",
    "model_info",
    "plugin_load_problems",
    "render_audio_sample",
    "render_file",
    "save_neutone_model",
    "save_non_realtime_model",
    "script_neutone_model",
    "script_non_realtime_model",
    "validate_neutone_model",
    "validate_non_realtime_model",
]

if TYPE_CHECKING:
    from neutone_export.audio_sample import AudioSample, AudioSamplePair, render_audio_sample
    from neutone_export.info import model_info
    from neutone_export.load import (
        NotANeutoneModelError,
        load_neutone_model,
        made_by_reference_sdk,
        plugin_load_problems,
    )
    from neutone_export.non_realtime_checks import validate_non_realtime_model
    from neutone_export.non_realtime_save import save_non_realtime_model, script_non_realtime_model
    from neutone_export.render import render_file
    from neutone_export.report import CheckResult, ValidationReport
    from neutone_export.save import save_neutone_model
    from neutone_export.scripting import (
        ModelDefinitionError,
        ScriptingError,
        script_neutone_model,
    )
    from neutone_export.sdk_compat import SubmissionError
    from neutone_export.staged_export import ExportError, ExportFailedError, ExportWriteError
    from neutone_export.tracing import TracingError
    from neutone_export.validation import validate_neutone_model


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'neutone_export' has no attribute {name!r}")
    value = getattr(import_module(f"neutone_export.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
