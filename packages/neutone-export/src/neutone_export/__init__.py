"""neutone_export: save, load and validate Neutone `.nm` model files.

Subpackages, one concern each (a change goes where its folder name says):
    files: what is written and read: `save` (`save_neutone_model`, a short list of stages),
        `load`, `staging` (the hidden folder swapped into place), `atomic`, `scripting`,
        `tracing`, `info` (what a `.nm` holds), `copying`, `locking`.
    kinds: the one place that knows realtime from non-realtime ("Gen") models: `kind` (the
        `ModelKind` protocol), `realtime`, `gen`, `dispatch` (`kind_of_model`, `kind_of_module`).
    suite: the validation suite: `runner` (the `Check` record and the one runner), `report`,
        `validate` (`validate_neutone_model`), `compare` (two streams), `context`, and the
        catalogues by subject: `contract`, `signal`, `delay`, `speed` (gathered in `realtime`),
        `non_realtime`, `native`, `pt2` and `pt2_native` (the package's, Python and C++);
        `plugin_methods` lists what the plugin calls.
    audio: audio as the plugin hears it: `host` (drive a module buffer by buffer), `render`
        (`render`, `render_file`, `render_aligned`), `samples` (demo clips), `knobs`, `measure`,
        `audio_io`.
    native: the C++ programs, built on first use into a verified private cache (`build`): the
        libtorch host of a `.nm` (`neutone_host.cpp`, `host`) and the streaming runtime of a pt2
        package (`pt2_runtime.{h,cpp}`, driven by `pt2_main.cpp`).
    pt2: the torch.export / AOTInductor package beside the `.nm` (docs/pt2.md): `capture`,
        `package` (`write_package`), `plan` (the C++ runtime's tables), `runtime` (the Python
        runtime: core's adapter driving the package), `native_runtime` (the C++ one from Python).
    sdk15: porting from the Neutone SDK 1.5: `port`, `porting_notes`, `audio_sample`, `compat`,
        `no_grad`.
    nam: Neural Amp Modeler captures (`capture.import_nam`; extra `nam`).
    cli: the `neutone-export` app; `contract` (what every neutone command line follows) and one
        module per command.
    errors: `one_line`, the one rule for telling an exception in one line.

The names below are imported on first use, so that a command line's `--help` does not load torch.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from neutone_export.__about__ import __version__

_HOMES = {
    "AudioSample": "sdk15.audio_sample",
    "AudioSamplePair": "sdk15.audio_sample",
    "CheckResult": "suite.report",
    "ExportError": "files.staging",
    "ExportFailedError": "files.staging",
    "ExportWriteError": "files.staging",
    "ModelDefinitionError": "files.scripting",
    "SubmissionError": "sdk15.compat",
    "NotANeutoneModelError": "files.load",
    "PackageNotWrittenWarning": "files.save",
    "QualityWarning": "files.save",
    "ScriptingError": "files.scripting",
    "TracingError": "files.tracing",
    "ValidationReport": "suite.report",
    "load_neutone_model": "files.load",
    "made_by_reference_sdk": "files.load",
    "model_info": "files.info",
    "plugin_load_problems": "files.load",
    "render_audio_sample": "sdk15.audio_sample",
    "render_file": "audio.render",
    "save_neutone_model": "files.save",
    "save_non_realtime_model": "files.save",
    "script_neutone_model": "files.scripting",
    "script_non_realtime_model": "kinds.gen",
    "validate_neutone_model": "suite.validate",
    "validate_non_realtime_model": "suite.validate",
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
    "PackageNotWrittenWarning",
    "QualityWarning",
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
    from neutone_export.audio.render import render_file
    from neutone_export.files.info import model_info
    from neutone_export.files.load import (
        NotANeutoneModelError,
        load_neutone_model,
        made_by_reference_sdk,
        plugin_load_problems,
    )
    from neutone_export.files.save import (
        PackageNotWrittenWarning,
        QualityWarning,
        save_neutone_model,
        save_non_realtime_model,
    )
    from neutone_export.files.scripting import (
        ModelDefinitionError,
        ScriptingError,
        script_neutone_model,
    )
    from neutone_export.files.staging import ExportError, ExportFailedError, ExportWriteError
    from neutone_export.files.tracing import TracingError
    from neutone_export.kinds.gen import script_non_realtime_model
    from neutone_export.sdk15.audio_sample import AudioSample, AudioSamplePair, render_audio_sample
    from neutone_export.sdk15.compat import SubmissionError
    from neutone_export.suite.report import CheckResult, ValidationReport
    from neutone_export.suite.validate import validate_neutone_model, validate_non_realtime_model


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'neutone_export' has no attribute {name!r}")
    value = getattr(import_module(f"neutone_export.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
