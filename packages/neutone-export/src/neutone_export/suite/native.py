"""The streaming and delay checks run through the native host (`check --host native`).

The suite (``neutone_export.suite``) calls the model from Python, where every op registered from
Python or torchaudio exists. The plugin calls it from plain C++ libtorch. These checks feed the
file through the runner of ``neutone_export.native.host`` instead, so a file that runs in Python
but not in the plugin fails here with the loader's message, and the delay the host compensates is
measured as the plugin would see it. Each returns the suite's `CheckResult`; the report appends
them after the Python checks.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor, nn

from neutone_export.audio.host import (
    configure,
    fixed_sizes,
    impulse,
    knob_rows,
    noise,
    pad_to,
    random_sizes,
    reported_delay,
)
from neutone_export.audio.measure import best_shift, impulse_lag, xcorr_lag
from neutone_export.audio.render import render_aligned
from neutone_export.files.load import made_by_reference_sdk
from neutone_export.module_types import as_plugin, has_compiled_method
from neutone_export.native.host import stream_native, time_native
from neutone_export.suite.compare import NUMERIC_TOLERANCE, compare_streams
from neutone_export.suite.context import MIN_CORRELATION
from neutone_export.suite.report import CheckResult
from neutone_export.suite.runner import Check, run_checks

#: (sample rate, largest host buffer) of the streaming cases, as the Python suite uses them.
STREAMING_CASES = ((44100, 512), (48000, 2048))
#: (sample rate, fixed host buffer) of the delay cases.
DELAY_CASES = ((44100, 512), (48000, 128))
SEED = 0


def _default_knobs(module: nn.Module, n: int) -> Optional[Tensor]:
    """The knobs at their defaults, `(4, n)`, as the Python host sends None (else the middle)."""
    if has_compiled_method(module, "get_default_param_values"):
        return knob_rows(as_plugin(module).get_default_param_values(), n)
    return None


def _reference(
    module: nn.Module, x: Tensor, sample_rate: int, sizes: List[int], knobs: Optional[Tensor]
) -> Tensor:
    """What the native stream of `x` (padded to `sum(sizes)`) must equal, delay removed:
    `forward_offline` where the file has it, else the Python host's stream of the same buffers."""
    configure(module, sample_rate, max(sizes))
    n = x.size(1)
    if has_compiled_method(module, "forward_offline"):
        with torch.no_grad():
            offline = as_plugin(module).forward_offline(x, None if knobs is None else knobs[:, :n])
            return offline.clone()
    return render_aligned(module, x, sample_rate, max(sizes), knobs, sizes=sizes)


def _streaming_case(
    path: Path, module: nn.Module, sample_rate: int, max_size: int, seconds: float
) -> Tuple[float, str]:
    n = max(1, round(seconds * sample_rate))
    x = noise(n, SEED + 3, amplitude=0.5)
    generator = torch.Generator().manual_seed(SEED + sample_rate + max_size)
    configure(module, sample_rate, max_size)
    delay = reported_delay(module)
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
    found = compare_streams(expected, streamed, NUMERIC_TOLERANCE, relative=True)
    if found.agree or not math.isfinite(found.difference):
        return found.difference, found.problem
    shift = best_shift(streamed, expected, min(n // 2, 4 * max_size + delay))
    hint = f"; best match shifted by {shift} samples" if shift else ""
    return found.difference, f"max difference {found.difference:.3g}{hint}"


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
    reported = reported_delay(module)
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


@dataclass(frozen=True)
class NativeContext:
    """The file the native host loads, the same file loaded in Python, and the signal length."""

    path: Path
    module: nn.Module
    seconds: float

    def has(self, name: str) -> bool:
        """Whether the Python module offers `name`."""
        return hasattr(self.module, name)


NATIVE_LOAD: List[Check[NativeContext]] = [
    Check("native_load", lambda ctx: check_native_load(ctx.path)),
]
NATIVE_RUNS: List[Check[NativeContext]] = [
    Check("native_streaming", lambda c: check_native_streaming(c.path, c.module, c.seconds)),
    Check("native_delay", lambda c: check_native_delay(c.path, c.module, c.seconds)),
]
"""The native catalogue: the load first; the runs are skipped when it fails."""


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
    from neutone_export.native.host import build_runner

    build_runner()  # no compiler: one line for the whole command, not three failed checks
    context = NativeContext(path, module, seconds)
    results = run_checks(NATIVE_LOAD, context, num_threads=None, on_check=on_check)
    skip = {} if results[0].passed else {c.name: "skipped: native_load failed" for c in NATIVE_RUNS}
    return results + run_checks(
        NATIVE_RUNS, context, skip=skip, num_threads=None, on_check=on_check
    )
