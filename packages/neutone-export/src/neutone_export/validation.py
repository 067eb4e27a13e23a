"""Run the validation suite on a `.nm` file or a scripted module and gather a `ValidationReport`.

A check that raises is reported as failed with the error's first line; a check that needs a method
the module lacks is reported as skipped with the reason. Neither stops the suite. A check whose
figure is NaN or infinite never passes, whatever the check itself concluded. A non-realtime module
(`realtime` False) gets the Gen suite (`validate_non_realtime_model`) instead.
"""

from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Sequence, Union

import torch
from torch import nn

from neutone_core import WaveformToWaveformBase
from neutone_core.limits import check_buffer_size, check_sample_rate, check_seconds
from neutone_core.non_realtime import NonRealtimeBase
from neutone_export.checks import (
    ALL_CHECKS,
    DEFAULT_BUFFER_SIZES,
    DEFAULT_SAMPLE_RATES,
    CheckContext,
)
from neutone_export.load import load_neutone_model, made_by_reference_sdk
from neutone_export.non_realtime_checks import validate_non_realtime_model
from neutone_export.non_realtime_save import script_non_realtime_model
from neutone_export.report import CheckResult, ValidationReport
from neutone_export.scripting import script_neutone_model


def _sample_rates(extra: Sequence[int]) -> List[int]:
    """44100 and 48000 first, then the extra rates asked for, without repeats."""
    rates = list(DEFAULT_SAMPLE_RATES)
    for rate in extra:
        rate = check_sample_rate(rate, "validate_neutone_model: sample_rates")
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
    skip = dict(skip or {})
    unknown = sorted(set(skip) - {name for name, _, _ in ALL_CHECKS})
    if unknown:
        raise ValueError(
            f"validate_neutone_model: skip names unknown checks {unknown}; known: "
            f"{[name for name, _, _ in ALL_CHECKS]}"
        )
    if isinstance(module_or_path, (str, Path)):
        module, file_metadata = load_neutone_model(module_or_path, strict=False)
        metadata = file_metadata if metadata is None else metadata
        source = str(module_or_path)
    elif isinstance(module_or_path, NonRealtimeBase):
        module = script_non_realtime_model(module_or_path)
        source = type(module_or_path).__name__
    elif isinstance(module_or_path, WaveformToWaveformBase):
        module = script_neutone_model(module_or_path)
        eager_model = module_or_path if eager_model is None else eager_model
        source = type(module_or_path).__name__
    else:
        module = module_or_path
        source = getattr(module, "original_name", type(module).__name__)
    if getattr(module, "realtime", True) is False:
        report = validate_non_realtime_model(
            module, metadata=metadata, sample_rates=sample_rates, on_check=on_check
        )
        report.source = source
        return report
    context = CheckContext(
        module=module,
        metadata=metadata,
        eager_model=eager_model,
        sample_rates=rates,
        buffer_sizes=sizes,
        seconds=seconds,
        seed=seed,
        made_by_reference=made_by_reference_sdk(module),
    )
    report = ValidationReport(
        source=source,
        settings={
            "sample_rates": list(context.sample_rates),
            "buffer_sizes": list(context.buffer_sizes),
            "seconds": seconds,
            "seed": seed,
            "torch_threads": num_threads or torch.get_num_threads(),
        },
    )
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        _run_checks(context, report, skip, on_check)
    finally:
        torch.set_num_threads(previous_threads)
    return report


def _run_checks(
    context: CheckContext,
    report: ValidationReport,
    skip: Mapping[str, str],
    on_check: Callable[[CheckResult], None] | None,
) -> None:
    """Run every check in order, appending to `report` and calling `on_check` after each."""
    for name, check, needs in ALL_CHECKS:
        missing = [method for method in needs if not context.has(method)]
        if name in skip:
            result = CheckResult(name, True, None, skip[name], skipped=True)
        elif missing:
            reason = f"skipped: needs {', '.join(missing)}, which the module lacks"
            if name == "delay_breakdown":
                reason += " (files written by the Neutone SDK 1.5 lack it)"
            result = CheckResult(name, True, None, reason, skipped=True)
        else:
            try:
                with torch.no_grad():
                    result = check(context)
            except Exception as error:  # a check must report, never crash the suite
                lines = [line.strip() for line in str(error).splitlines() if line.strip()]
                detail = lines[0] if lines else ""
                result = CheckResult(name, False, None, f"raised {type(error).__name__}: {detail}")
        if result.passed and not result.figure_is_finite:
            result = CheckResult(
                name,
                False,
                result.figure,
                f"figure is {result.figure}: a NaN or infinite figure never passes; "
                + result.message,
                result.unit,
            )
        report.checks.append(result)
        if on_check is not None:
            on_check(result)
