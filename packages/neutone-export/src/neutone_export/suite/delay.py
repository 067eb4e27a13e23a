"""The delay checks of a realtime `.nm`: streaming in any host buffers equals the offline render
once the reported delay is removed (streaming), the measured delay is the reported one (delay), and
the delay split adds up (delay_breakdown).
"""

import functools
import math
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
from neutone_export.audio.measure import best_shift, impulse_lag, xcorr_lag
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


def _delay_case(
    ctx: CheckContext, sample_rate: int, buffer_size: int
) -> Tuple[int, int, int, float]:
    """Reported delay, impulse-peak delay, cross-correlation delay and its coefficient."""
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
    return reported, from_impulse, from_xcorr, coefficient


def check_delay(ctx: CheckContext) -> CheckResult:
    """The measured delay (cross-correlation with noise, impulse peak) equals the reported one."""
    cases = [(rate, (512, 128)[i % 2]) for i, rate in enumerate(ctx.sample_rates)]
    lines: List[str] = []
    failures: List[str] = []
    figure: float | None = None
    conclusive = 0
    for sample_rate, buffer_size in cases:
        label = f"{sample_rate} Hz/{buffer_size}"
        try:
            reported, from_impulse, from_xcorr, coefficient = _delay_case(
                ctx, sample_rate, buffer_size
            )
        except ValueError as error:
            return CheckResult("delay", False, math.nan, f"{label}: {error}", "samples")
        line = (
            f"{label}: reported {reported}, measured {from_xcorr} "
            f"(cross-correlation {coefficient:.2f}), impulse peak {from_impulse}"
        )
        lines.append(line)
        if not coefficient >= MIN_CORRELATION:
            continue
        conclusive += 1
        if from_xcorr != reported:
            failures.append(line)
            figure = figure if figure is not None else from_xcorr
        elif figure is None:
            figure = from_xcorr
    if failures:
        message = "measured delay differs from calc_buffering_delay_samples() + "
        message += "calc_model_delay_samples(): " + listed(failures)
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
