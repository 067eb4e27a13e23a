"""neutone_export: save, load and validate Neutone `.nm` model files.

Modules:
    scripting: `script_neutone_model` builds the realtime adapter and scripts it; `ScriptingError`
    teaches. save: `save_neutone_model` writes `model.nm`, `metadata.json`, demo samples and
    `report.json`. load: `load_neutone_model` reads ours and the Neutone SDK 1.5's files;
    `NotANeutoneModelError`. validation: `validate_neutone_model` runs the suite on a file or a
    module. checks: one function per check (contract, metadata, shapes, finite, determinism, reset,
    streaming,
        delay, delay_breakdown, eager, realtime).
    contract: the methods and TorchScript signatures the plugin calls.
    report: `CheckResult` and `ValidationReport`.
    host: drives a module like the plugin does (settings, buffers) and makes the test signals.
    measure: delay from an impulse peak and from a cross-correlation.
    samples: synthetic demo input, delay-compensated renders, WAV and MP3 encoding.
    cli: the `neutone-export` command (`neutone-export check model.nm`).
"""

from neutone_export.__about__ import __version__
from neutone_export.load import NotANeutoneModelError, load_neutone_model
from neutone_export.report import CheckResult, ValidationReport
from neutone_export.save import save_neutone_model
from neutone_export.scripting import ScriptingError, script_neutone_model
from neutone_export.validation import validate_neutone_model

__all__ = [
    "CheckResult",
    "NotANeutoneModelError",
    "ScriptingError",
    "ValidationReport",
    "__version__",
    "load_neutone_model",
    "save_neutone_model",
    "script_neutone_model",
    "validate_neutone_model",
]
