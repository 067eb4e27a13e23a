"""Run the validation suite on a `.nm` file or a scripted module and gather a `ValidationReport`.

A check that raises is reported as failed with the error's first line; a check that needs a method
the module lacks is reported as skipped with the reason. Neither stops the suite. A check whose
figure is NaN or infinite never passes, whatever the check itself concluded. A non-realtime module
(`realtime` False) gets the Gen catalogue: the kind of the module (`neutone_export.kinds`)
says which catalogue runs, and the one runner (`neutone_export.suite.runner`) runs it.
"""

from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple, Union

from torch import nn

from neutone_core.limits import check_buffer_size, check_sample_rate, check_seconds
from neutone_export.files.load import load_neutone_model
from neutone_export.kinds.dispatch import kind_of_model, kind_of_module
from neutone_export.kinds.gen import GEN
from neutone_export.kinds.kind import SuiteSettings
from neutone_export.suite.context import DEFAULT_BUFFER_SIZES, DEFAULT_SAMPLE_RATES
from neutone_export.suite.report import CheckResult, ValidationReport


def _sample_rates(extra: Sequence[int]) -> List[int]:
    """44100 and 48000 first, then the extra rates asked for, without repeats."""
    rates = list(DEFAULT_SAMPLE_RATES)
    for given in extra:
        rate = check_sample_rate(given, "validate_neutone_model: sample_rates")
        if rate not in rates:
            rates.append(rate)
    return rates


def _check_buffer_sizes(buffer_sizes: Sequence[int]) -> List[int]:
    if not buffer_sizes:
        raise ValueError(
            "validate_neutone_model: buffer_sizes must be a non-empty list of sizes, got []"
        )
    option = "validate_neutone_model: buffer_sizes"
    return sorted(check_buffer_size(size, option) for size in buffer_sizes)


def validate_neutone_model(
    module_or_path: Union[str, Path, nn.Module],
    *,
    metadata: Dict[str, Any] | None = None,
    eager_model: nn.Module | None = None,
    sample_rates: Sequence[int] = (),
    buffer_sizes: Sequence[int] = DEFAULT_BUFFER_SIZES,
    seconds: float = 0.5,
    seed: int = 0,
    num_threads: int | None = 1,
    skip: Mapping[str, str] | None = None,
    on_check: Callable[[CheckResult], None] | None = None,
    package_dir: Union[str, Path, None] = None,
) -> ValidationReport:
    """Prove a `.nm` model before a host loads it.

    Args:
        module_or_path: a `.nm` path (loaded with `load_neutone_model`; its metadata is checked),
            a module that implements the contract (a loaded or scripted adapter), or a
            `WaveformToWaveformBase` (scripted here and compared with itself).
        metadata: the metadata to check instead of `to_metadata()` when a module is given.
        eager_model: the Python model (a `WaveformToWaveformBase`, or an unscripted adapter)
            to compare the module with; without it the `eager` check is skipped.
        sample_rates: host sample rates (Hz) to test besides 44100 and 48000.
        buffer_sizes: host buffer sizes (samples) for the shape check, 32 to 2048 by default.
        seconds: length of the test signals, in seconds (finite, > 0).
        seed: seed of every random signal and buffer-size sequence.
        num_threads: intra-op threads while checking (restored afterwards); 1 by default, as a
            plugin runs one model per audio thread. None keeps the current setting.
        skip: check name -> reason, for checks to report as skipped instead of running (what
            the Neutone SDK's ``speed_benchmark=False`` asks of `save_neutone_model`).
        on_check: called with each `CheckResult` as soon as it is known (progress display).
        package_dir: the pt2 package (``model.pt2pkg``) of the same model: its checks
            (`suite.pt2`, `suite.pt2_native`) run after the module's. Realtime only.

    A non-realtime module (or a `NonRealtimeBase`, scripted here) is checked by
    `validate_non_realtime_model` with `metadata`, `sample_rates` and `on_check`.

    Returns:
        the report; `report.passed` is False when any check failed.
    """
    seconds = check_seconds(seconds, "validate_neutone_model: seconds")
    if num_threads is not None and num_threads < 1:
        raise ValueError(
            f"validate_neutone_model: num_threads must be >= 1 or None, got {num_threads}"
        )
    rates = _sample_rates(sample_rates)
    sizes = _check_buffer_sizes(buffer_sizes)
    module, metadata, eager_model, source = _subject(module_or_path, metadata, eager_model)
    kind = kind_of_module(module)
    skip = dict(skip or {})
    known = [check.name for check in kind.checks]
    unknown = sorted(set(skip) - set(known))
    if unknown:
        raise ValueError(
            f"validate_neutone_model: skip names unknown checks {unknown}; known: {known}"
        )
    settings = SuiteSettings(
        eager_model=eager_model,
        sample_rates=rates,
        buffer_sizes=sizes,
        seconds=seconds,
        seed=seed,
        num_threads=num_threads,
        skip=skip,
        on_check=on_check,
        package_dir=None if package_dir is None else Path(package_dir),
    )
    if package_dir is not None and not kind.streams:
        raise ValueError(
            "validate_neutone_model: package_dir is for a realtime model's pt2 package; this "
            "module is non-realtime"
        )
    report = kind.validate(module, metadata, settings)
    report.source = source
    return report


def _subject(
    module_or_path: Union[str, Path, nn.Module],
    metadata: Dict[str, Any] | None,
    eager_model: nn.Module | None,
) -> Tuple[nn.Module, Dict[str, Any] | None, nn.Module | None, str]:
    """The module to check, its metadata, the Python model to compare with, and its name: a
    path is loaded, a researcher's model is scripted by its kind (and compared with itself)."""
    if isinstance(module_or_path, (str, Path)):
        module, file_metadata = load_neutone_model(module_or_path, strict=False)
        return (
            module,
            file_metadata if metadata is None else metadata,
            eager_model,
            str(module_or_path),
        )
    kind = kind_of_model(module_or_path)
    if kind.owns(module_or_path):
        scripted = kind.script(module_or_path, freeze=False, optimize=False, trace=False)
        eager = module_or_path if eager_model is None else eager_model
        return scripted, metadata, eager, type(module_or_path).__name__
    source = getattr(module_or_path, "original_name", type(module_or_path).__name__)
    return module_or_path, metadata, eager_model, source


def validate_non_realtime_model(
    module_or_path: Union[nn.Module, str, Path],
    *,
    metadata: Dict[str, Any] | None = None,
    sample_rates: Sequence[int] = (),
    on_check: Callable[[CheckResult], None] | None = None,
) -> ValidationReport:
    """Run every non-realtime check on a loaded module or a `.nm` file.

    Args:
        module_or_path: the scripted wrapper (or a `NonRealtimeAdapter`), or a file path.
        metadata: the file's metadata; default: the module's ``to_metadata()``.
        sample_rates: host rates for the outputs check besides 48000 and 44100 Hz.
        on_check: called with each result as it is known (progress lines).
    """
    module: nn.Module
    if isinstance(module_or_path, (str, Path)):
        module, file_metadata = load_neutone_model(module_or_path)
        source = str(module_or_path)
        metadata = file_metadata if metadata is None else metadata
    else:
        module, source = module_or_path, type(module_or_path).__name__
    report = GEN.validate(
        module, metadata, SuiteSettings(sample_rates=sample_rates, on_check=on_check)
    )
    report.source = source
    return report
