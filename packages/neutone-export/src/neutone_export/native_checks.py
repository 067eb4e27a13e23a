"""The streaming and delay checks run through the native host (`check --host native`).

The suite (``neutone_export.checks``) calls the model from Python, where every op registered from
Python or torchaudio exists. The plugin calls it from plain C++ libtorch. These checks feed the
file through the runner of ``neutone_export.native_host`` instead, so a file that runs in Python
but not in the plugin fails here with the loader's message, and the delay the host compensates is
measured as the plugin would see it. Each returns the suite's `CheckResult`; the report appends
them after the Python checks.
"""

import math
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_export.checks import MIN_CORRELATION, NUMERIC_TOLERANCE
from neutone_export.host import (
    configure,
    fixed_sizes,
    impulse,
    knob_rows,
    noise,
    pad_to,
    random_sizes,
    stream,
)
from neutone_export.load import made_by_reference_sdk
from neutone_export.measure import best_shift, impulse_lag, xcorr_lag
from neutone_export.native_host import NativeHostError, stream_native, time_native
from neutone_export.report import CheckResult

#: (sample rate, largest host buffer) of the streaming cases, as the Python suite uses them.
STREAMING_CASES = ((44100, 512), (48000, 2048))
#: (sample rate, fixed host buffer) of the delay cases.
DELAY_CASES = ((44100, 512), (48000, 128))
SEED = 0


def _default_knobs(module: nn.Module, n: int) -> Optional[Tensor]:
    """The knobs at their defaults, `(4, n)`, as the Python host sends None (else the middle)."""
    if isinstance(module, torch.jit.ScriptModule) and module._c._has_method(
        "get_default_param_values"
    ):
        return knob_rows(module.get_default_param_values(), n)
    return None


def _reference(
    module: nn.Module, x: Tensor, sample_rate: int, sizes: List[int], knobs: Optional[Tensor]
) -> Tensor:
    """What the native stream of `x` (padded to `sum(sizes)`) must equal, delay removed:
    `forward_offline` where the file has it, else the Python host's stream of the same buffers."""
    configure(module, sample_rate, max(sizes))
    n = x.size(1)
    if module._c._has_method("forward_offline"):
        with torch.no_grad():
            return module.forward_offline(x, None if knobs is None else knobs[:, :n]).clone()
    delay = int(module.calc_buffering_delay_samples()) + int(module.calc_model_delay_samples())
    return stream(module, pad_to(x, sum(sizes)), sizes, knobs)[:, delay : delay + n]


def _streaming_case(
    path: Path, module: nn.Module, sample_rate: int, max_size: int, seconds: float
) -> Tuple[float, str]:
    n = max(1, round(seconds * sample_rate))
    x = noise(n, SEED + 3, amplitude=0.5)
    generator = torch.Generator().manual_seed(SEED + sample_rate + max_size)
    configure(module, sample_rate, max_size)
    delay = int(module.calc_buffering_delay_samples()) + int(module.calc_model_delay_samples())
    if made_by_reference_sdk(module):  # its plugin sends one fixed size: so do we
        total = math.ceil((n + delay) / max_size) * max_size
        sizes = fixed_sizes(total, max_size)
    else:
        total = n + delay
        sizes = random_sizes(total, max_size, generator)
    knobs = _default_knobs(module, total)
    streamed, native_delay = stream_native(path, pad_to(x, total), sample_rate, sizes, knobs)
    if native_delay != delay:
        return math.inf, f"the native host reads a delay of {native_delay}, Python {delay}"
    streamed = streamed[:, delay : delay + n]
    expected = _reference(module, x, sample_rate, sizes, knobs)
    if expected.shape != streamed.shape:
        return math.inf, f"shapes differ: native {tuple(streamed.shape)}, {tuple(expected.shape)}"
    if not bool(torch.isfinite(streamed).all()):
        return math.nan, "the native output is not finite"
    diff = float((streamed.double() - expected.double()).abs().max())
    if diff <= NUMERIC_TOLERANCE * max(1.0, float(expected.abs().max())):
        return diff, ""
    shift = best_shift(streamed, expected, min(n // 2, 4 * max_size + delay))
    hint = f"; best match shifted by {shift} samples" if shift else ""
    return diff, f"max difference {diff:.3g}{hint}"


def check_native_streaming(path: Path, module: nn.Module, seconds: float) -> CheckResult:
    """Variable-size streaming in the native host (delay removed) equals the offline output."""
    failures: List[str] = []
    worst = 0.0
    for sample_rate, max_size in STREAMING_CASES:
        label = f"{sample_rate} Hz, buffers of 0..{max_size} samples"
        diff, problem = _streaming_case(path, module, sample_rate, max_size, seconds)
        worst = diff if math.isnan(diff) else max(worst, diff)
        if problem:
            failures.append(f"{label}: {problem}")
    if failures:
        return CheckResult(
            "native_streaming", False, worst, "; ".join(failures), "max |difference|"
        )
    labels = ", ".join(f"{rate} Hz/0..{size}" for rate, size in STREAMING_CASES)
    message = f"variable-size streaming in plain libtorch equals the offline output ({labels})"
    return CheckResult("native_streaming", True, worst, message, "max |difference|")


def _delay_case(
    path: Path, module: nn.Module, sample_rate: int, buffer_size: int, seconds: float
) -> Tuple[int, int, int, float]:
    """Reported delay, impulse peak and cross-correlation delay (and its coefficient), native."""
    configure(module, sample_rate, buffer_size)
    reported = int(module.calc_buffering_delay_samples()) + int(module.calc_model_delay_samples())
    position = 3
    n = max(1, round(seconds * sample_rate))
    total = math.ceil((reported + position + n) / buffer_size) * buffer_size
    sizes = fixed_sizes(total, buffer_size)
    knobs = _default_knobs(module, total)
    y, native_reported = stream_native(path, impulse(total, position), sample_rate, sizes, knobs)
    from_impulse = impulse_lag(y, position)
    x = noise(total, SEED + 4, amplitude=0.5)
    y, _ = stream_native(path, x, sample_rate, sizes, knobs)
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"{sample_rate} Hz/{buffer_size}: the native output is not finite")
    from_xcorr, coefficient = xcorr_lag(x, y, total - 1)
    return native_reported, from_impulse, from_xcorr, coefficient


def check_native_delay(path: Path, module: nn.Module, seconds: float) -> CheckResult:
    """The delay measured in the native host equals the delay the file reports there."""
    lines: List[str] = []
    failures: List[str] = []
    figure: Optional[float] = None
    for sample_rate, buffer_size in DELAY_CASES:
        reported, from_impulse, from_xcorr, coefficient = _delay_case(
            path, module, sample_rate, buffer_size, seconds
        )
        line = (
            f"{sample_rate} Hz/{buffer_size}: reported {reported}, measured {from_xcorr} "
            f"(cross-correlation {coefficient:.2f}), impulse peak {from_impulse}"
        )
        lines.append(line)
        if not coefficient >= MIN_CORRELATION:
            continue
        if from_xcorr != reported:
            failures.append(line)
        figure = from_xcorr if figure is None or from_xcorr != reported else figure
    if failures:
        return CheckResult(
            "native_delay", False, figure, "measured differs from reported: " + "; ".join(failures),
            "samples",
        )  # fmt: skip
    if figure is None:
        message = "skipped: the output does not correlate with the input; " + "; ".join(lines)
        return CheckResult("native_delay", True, None, message, "samples", skipped=True)
    return CheckResult("native_delay", True, figure, "; ".join(lines), "samples")


def check_native_load(path: Path) -> CheckResult:
    """The file loads and runs in plain libtorch (the plugin's loader, no Python, no torchaudio)."""
    timing = time_native(path, 48000, 512, calls=4, warmup=1)
    allocations = max(timing.allocations)
    message = (
        f"loads in {timing.load_ms:.0f} ms and runs in plain libtorch; at most {allocations} CPU "
        "allocation(s) per call at 48000 Hz/512"
    )
    return CheckResult("native_load", True, float(allocations), message, "allocations")


def run_native_checks(
    path: Path,
    module: nn.Module,
    seconds: float = 0.5,
    on_check: Optional[Callable[[CheckResult], None]] = None,
) -> List[CheckResult]:
    """Load, streaming and delay checks of the file at `path` in the native host.

    `module` is the same file loaded in Python (for the offline reference and the settings). A
    file that does not load or run in plain libtorch fails `native_load` with the loader's message
    and the other two are skipped. Raises `NativeHostError` when the runner cannot be built.
    """
    from neutone_export.native_host import build_runner

    build_runner()  # no compiler: one line for the whole command, not three failed checks
    results: List[CheckResult] = []

    def add(result: CheckResult) -> None:
        results.append(result)
        if on_check is not None:
            on_check(result)

    try:
        add(check_native_load(path))
    except NativeHostError as error:
        add(CheckResult("native_load", False, None, str(error)))
        for name in ("native_streaming", "native_delay"):
            add(CheckResult(name, True, None, "skipped: native_load failed", skipped=True))
        return results
    checks: Sequence[Tuple[str, Callable[[], CheckResult]]] = (
        ("native_streaming", lambda: check_native_streaming(path, module, seconds)),
        ("native_delay", lambda: check_native_delay(path, module, seconds)),
    )
    for name, check in checks:
        try:
            result = check()
        except (NativeHostError, ValueError, RuntimeError) as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            result = CheckResult(name, False, None, f"raised {lines[0] if lines else error}")
        if result.passed and not result.figure_is_finite:
            result = CheckResult(name, False, result.figure, "non-finite figure: " + result.message)
        add(result)
    return results
