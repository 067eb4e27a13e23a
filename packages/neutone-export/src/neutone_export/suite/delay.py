"""The delay checks of a realtime `.nm`: streaming in any host buffers equals the offline render
once the reported delay is removed (streaming), the measured delay is the reported one (delay), and
the delay split adds up (delay_breakdown).

The delay a model reports is right when the cross-correlation with noise peaks there (a pure
delay, a linear-phase filter) or when it is the pure delay read from the phase of the response:
for a minimum-phase one (an IIR tone control peaks later but holds nothing back), the delay beyond
its minimum phase. `pure_delay` in `neutone_export.audio.measure` says how, and derives the
tolerance.
"""

import functools
import math
from dataclasses import dataclass
from typing import Callable, List, Sequence, Tuple

import torch
from torch import Tensor

from neutone_export.audio.host import (
    configure,
    fixed_sizes,
    impulse,
    noise,
    pad_to,
    random_sizes,
    reported_delay,
    stream,
)
from neutone_export.audio.measure import (
    PureDelay,
    best_shift,
    impulse_lag,
    pure_delay,
    xcorr_lag,
)
from neutone_export.audio.render import render_aligned
from neutone_export.errors import one_line
from neutone_export.module_types import as_plugin
from neutone_export.suite.compare import (
    NUMERIC_TOLERANCE,
    compare_streams,
    knob_text,
    non_finite,
    run_from_same_rng,
)
from neutone_export.suite.context import MIN_CORRELATION, CheckContext, listed
from neutone_export.suite.report import CheckResult

NATIVE_RATE = "get_native_sample_rate"
"""The adapter's method (ours, not the SDK's) naming the native rate it chose for the host's."""
FIXED_BUFFER_SIZES = (128, 512)
"""The two host buffer sizes a file that takes one fixed size is streamed with."""


def _streaming_case(ctx: CheckContext, sample_rate: int, max_size: int) -> Tuple[float, str]:
    """Max difference between variable-size streaming (delay removed) and forward_offline."""
    n = ctx.n_samples(sample_rate)
    x = noise(n, ctx.seed + 3, amplitude=0.5)
    streamer = ctx.fresh()
    configure(streamer, sample_rate, max_size)
    delay = reported_delay(streamer)
    generator = torch.Generator().manual_seed(ctx.seed + sample_rate + max_size)
    total = n + delay
    sizes = random_sizes(total, max_size, generator)

    def render_offline() -> Tensor:
        offline_module = ctx.fresh()
        configure(offline_module, sample_rate, max_size)
        return as_plugin(offline_module).forward_offline(x, None).clone()

    streamed, offline = run_from_same_rng(
        lambda: stream(streamer, pad_to(x, total), sizes), render_offline
    )
    streamed = streamed[:, delay:]
    if offline.shape != streamed.shape:
        return (
            math.inf,
            f"forward_offline returned {tuple(offline.shape)}, expected {tuple(streamed.shape)}",
        )
    found = compare_streams(offline, streamed, NUMERIC_TOLERANCE, relative=True)
    if found.agree or math.isnan(found.difference):
        return found.difference, found.problem
    shift = best_shift(streamed, offline, min(n // 2, 4 * max_size + delay))
    hint = f"; the offline output matches best shifted by {shift} samples" if shift else ""
    return found.difference, f"max difference {found.difference:.3g}{hint}"


def _fixed_buffers_case(
    ctx: CheckContext, sample_rate: int, sizes: Sequence[int]
) -> Tuple[float, str]:
    """Max difference between streams with different fixed host buffer sizes, delay removed."""
    x = noise(ctx.n_samples(sample_rate), ctx.seed + 3, amplitude=0.5)
    first, second = run_from_same_rng(
        lambda: render_aligned(ctx.fresh(), x, sample_rate, sizes[0]),
        lambda: render_aligned(ctx.fresh(), x, sample_rate, sizes[1]),
    )
    found = compare_streams(first, second, NUMERIC_TOLERANCE, relative=True)
    if found.agree or math.isnan(found.difference):
        return found.difference, found.problem
    return found.difference, f"buffers of {sizes[0]} and {sizes[1]} {found.problem}"


def _worst_of(
    cases: Sequence[Tuple[str, Callable[[], Tuple[float, str]]]],
) -> Tuple[float, List[str]]:
    """Run each labelled case: the largest difference (NaN or inf once seen) and the failures."""
    failures: List[str] = []
    worst = 0.0
    for label, case in cases:
        try:
            diff, problem = case()
        except Exception as error:  # noqa: BLE001  # a raising case must not hide the others
            failures.append(f"{label}: raised {one_line(error)}")
            worst = math.inf
            continue
        worst = diff if math.isnan(diff) else max(worst, diff)
        if problem:
            failures.append(f"{label}: {problem}")
    return worst, failures


def check_streaming(ctx: CheckContext) -> CheckResult:
    """Streaming with random host buffer sizes (delay removed) equals `forward_offline`.

    A Neutone SDK 1.5 file takes one fixed host buffer size only (as its plugin sends); it is
    checked as such: fixed buffers of two sizes give the same output once the delay is removed.
    """
    if ctx.made_by_reference:
        return _check_fixed_streaming(ctx)
    settings = [(rate, (512, 2048)[i % 2]) for i, rate in enumerate(ctx.sample_rates)]
    worst, failures = _worst_of(
        [
            (
                f"{rate} Hz, buffers of 0..{size} samples",
                functools.partial(_streaming_case, ctx, rate, size),
            )
            for rate, size in settings
        ]
    )
    if failures:
        return CheckResult("streaming", False, worst, listed(failures), "max |difference|")
    labels = ", ".join(f"{rate} Hz/0..{size}" for rate, size in settings)
    message = f"variable-size streaming equals forward_offline ({labels})"
    return CheckResult("streaming", True, worst, message, "max |difference|")


def _check_fixed_streaming(ctx: CheckContext) -> CheckResult:
    """`check_streaming` for a file that takes one fixed host buffer size."""
    sizes = FIXED_BUFFER_SIZES
    worst, failures = _worst_of(
        [
            (f"{rate} Hz", functools.partial(_fixed_buffers_case, ctx, rate, sizes))
            for rate in ctx.sample_rates
        ]
    )
    if failures:
        return CheckResult("streaming", False, worst, listed(failures), "max |difference|")
    rates = ", ".join(f"{rate} Hz" for rate in ctx.sample_rates)
    message = (
        f"fixed host buffers of {sizes[0]} and {sizes[1]} samples give the same output, delay "
        f"removed ({rates}); variable buffer sizes not tested (the file takes one fixed size)"
    )
    return CheckResult("streaming", True, worst, message, "max |difference|")


# -- delay
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DelayCase:
    """What one host setting measured: the reported delays and the three measurements."""

    reported: int
    model: int
    native_per_host: float
    from_impulse: int
    from_xcorr: int
    coefficient: float
    pure: PureDelay

    def pure_admits(self) -> bool:
        """The pure delay measured from the phase (`pure_delay`) admits the reported one."""
        return math.isfinite(self.pure.samples) and self.pure.admits(self.reported)

    def agrees(self) -> bool:
        """The cross-correlation peaks at the reported delay (a pure delay, a linear-phase
        filter), or the pure delay admits it (a minimum-phase filter, which peaks later)."""
        return self.from_xcorr == self.reported or self.pure_admits()

    def conclusive(self) -> bool:
        """The output correlates with the input at one lag, or the phase measurement (which
        needs no single lag: a low-pass at 30 Hz spreads its response over thousands) admits the
        reported delay. A weak correlation that the phase does not explain proves nothing: the
        linear part of a network may be of mixed phase, and measure as a delay that is none."""
        if self.coefficient >= MIN_CORRELATION:
            return True
        return self.pure.explained >= MIN_CORRELATION and self.pure_admits()

    def model_delay_to_report(self) -> int:
        """What the model's calc_model_delay_samples() (native samples) should return for the
        measured delay to be reported."""
        measured = self.pure.samples if math.isfinite(self.pure.samples) else self.from_xcorr
        return round((self.model + round(measured) - self.reported) * self.native_per_host)

    def line(self, label: str) -> str:
        pure = self.pure
        phase = (
            f", {pure.shape} {pure.samples:.2f} +- {pure.tolerance:.2f}"
            if math.isfinite(pure.samples)
            else ""
        )
        return (
            f"{label}: reported {self.reported}, measured {self.from_xcorr} "
            f"(cross-correlation {self.coefficient:.2f}), impulse peak {self.from_impulse}{phase}"
        )


def _delay_case(ctx: CheckContext, sample_rate: int, buffer_size: int) -> _DelayCase:
    """Reported delays, impulse-peak delay, cross-correlation delay and coefficient, and the
    delay beyond minimum phase."""
    module = ctx.fresh()
    configure(module, sample_rate, buffer_size)
    reported = reported_delay(module)
    position = 3
    total = (
        math.ceil((reported + position + ctx.n_samples(sample_rate)) / buffer_size) * buffer_size
    )
    sizes = fixed_sizes(total, buffer_size)
    y = stream(module, impulse(total, position), sizes)
    bad = non_finite(y)
    from_impulse = impulse_lag(y, position)
    as_plugin(module).reset()
    x = noise(total, ctx.seed + 4, amplitude=0.5)
    y = stream(module, x, sizes)
    bad = bad or non_finite(y)
    if bad:
        raise ValueError(f"output is not finite with {knob_text(None)}: {bad}")
    from_xcorr, coefficient = xcorr_lag(x, y, total - 1)
    plugin = as_plugin(module)
    native_per_host = 1.0
    if ctx.has("is_resampling") and ctx.has(NATIVE_RATE) and plugin.is_resampling():
        native_per_host = int(getattr(module, NATIVE_RATE)()) / sample_rate
    return _DelayCase(
        reported,
        int(plugin.calc_model_delay_samples()),
        native_per_host,
        from_impulse,
        from_xcorr,
        coefficient,
        pure_delay(x, y, reported),
    )


def check_delay(ctx: CheckContext) -> CheckResult:
    """The measured delay agrees with the reported one: the cross-correlation with noise peaks
    there, or the pure delay read from the phase of the response (`pure_delay`: linear phase or
    minimum phase plus a delay, whichever fits) admits it. A pure delay error of one sample fails
    either way; an IIR filter that reports 0 passes at any cutoff. The impulse peak is shown
    beside them."""
    cases = [(rate, (512, 128)[i % 2]) for i, rate in enumerate(ctx.sample_rates)]
    lines: List[str] = []
    failures: List[str] = []
    fixes: List[Tuple[bool, int]] = []
    figure: float | None = None
    conclusive = 0
    for sample_rate, buffer_size in cases:
        label = f"{sample_rate} Hz/{buffer_size}"
        try:
            case = _delay_case(ctx, sample_rate, buffer_size)
        except ValueError as error:
            return CheckResult("delay", False, math.nan, f"{label}: {error}", "samples")
        lines.append(case.line(label))
        if not case.conclusive():
            continue
        conclusive += 1
        if not case.agrees():
            failures.append(case.line(label))
            fixes.append((case.native_per_host != 1.0, case.model_delay_to_report()))
            figure = figure if figure is not None else case.from_xcorr
        elif figure is None:
            figure = case.from_xcorr
    if failures:
        message = "measured delay differs from calc_buffering_delay_samples() + "
        message += "calc_model_delay_samples(): " + listed(failures)
        _, fix = min(fixes)  # a case without resampling, if any: its figure is exact
        if fix >= 0:
            message += f". Fix: report {fix} from calc_model_delay_samples()"
        return CheckResult("delay", False, figure, message, "samples")
    if conclusive == 0:
        message = (
            "skipped: the output does not correlate with the input, no delay to measure; "
            + listed(lines)
        )
        return CheckResult("delay", True, None, message, "samples", skipped=True)
    return CheckResult("delay", True, figure, listed(lines), "samples")


def check_delay_breakdown(ctx: CheckContext) -> CheckResult:
    """`get_delay_breakdown()` adds up to the two delays the host reads, at every tested setting."""
    module = ctx.fresh()
    plugin = as_plugin(module)
    failures: List[str] = []
    for sample_rate in ctx.sample_rates:
        for buffer_size in (ctx.buffer_sizes[0], ctx.buffer_sizes[-1]):
            configure(module, sample_rate, buffer_size)
            parts = dict(plugin.get_delay_breakdown())
            buffering = plugin.calc_buffering_delay_samples()
            model = plugin.calc_model_delay_samples()
            want = {"buffering", "resampling", "look_ahead", "model", "total"}
            if set(parts) != want:
                failures.append(f"keys {sorted(parts)}, expected {sorted(want)}")
                break
            host_side = parts["buffering"] + parts["resampling"] + parts["look_ahead"]
            if (
                host_side != buffering
                or parts["model"] != model
                or parts["total"] != buffering + model
            ):
                failures.append(
                    f"{sample_rate} Hz/{buffer_size}: breakdown {parts} but "
                    f"calc_buffering_delay_samples() = {buffering}, "
                    f"calc_model_delay_samples() = {model}"
                )
    if failures:
        return CheckResult("delay_breakdown", False, len(failures), listed(failures), "mismatches")
    return CheckResult(
        "delay_breakdown", True, 0, "breakdown sums to the reported delays", "mismatches"
    )
