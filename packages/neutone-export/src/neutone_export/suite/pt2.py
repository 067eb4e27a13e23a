"""The checks of the pt2 package through the Python runtime (`neutone_export.pt2.runtime`).

They prove the package against the `.nm` of the same export (the module under test): it loads;
streaming through it equals the `.nm` over random host sessions (44.1, 48 and 96 kHz, host buffers
of 0..2048 samples, moving knobs); the delay measured through it equals the delay it reports,
which equals the `.nm`'s; reset clears its state.

Tolerance: `PACKAGE_TOLERANCE` (1e-3 of full scale, -60 dBFS) of the larger of 1 and the `.nm`'s
peak. The runtime's streaming is the adapter's own code, so queues, resamplers, knob handling and
delay are the same operations; the model's graph is compiled by AOTInductor, whose kernels fuse
and reorder float32 arithmetic (reductions, multiply-adds), so its samples differ from TorchScript's
by float32 rounding, which a recurrent model carries from block to block (a phase accumulator
driven by a knob drifts most: `suite.compare.PACKAGE_TOLERANCE` says how far).
"""

import math
import time
from pathlib import Path
from typing import Any, List, Tuple

import torch
from torch import Tensor

from neutone_export.audio.host import (
    configure,
    fixed_sizes,
    impulse,
    noise,
    random_sizes,
    reported_delay,
    stream,
)
from neutone_export.audio.measure import impulse_lag, xcorr_lag
from neutone_export.pt2.runtime import PackageRuntime
from neutone_export.suite.compare import (
    EXACT_TOLERANCE,
    PACKAGE_TOLERANCE,
    compare_streams,
    run_from_same_rng,
)
from neutone_export.suite.context import MIN_CORRELATION, CheckContext
from neutone_export.suite.report import CheckResult
from neutone_export.suite.runner import Check

#: Host rates of the random sessions, taken in turn.
SESSION_RATES = (44100, 48000, 96000)
#: Random host sessions compared with the `.nm`.
SESSIONS = 20
#: Largest host buffer of a session (sizes are drawn in 0..MAX_HOST_BUFFER).
MAX_HOST_BUFFER = 2048
#: (sample rate, fixed host buffer) of the delay cases.
DELAY_CASES = ((48000, 128), (44100, 512))


def _package_dir(ctx: CheckContext) -> Path:
    if ctx.package_dir is None:
        raise ValueError("no pt2 package was written for this export")
    return ctx.package_dir


def _runtime(ctx: CheckContext) -> PackageRuntime:
    return PackageRuntime(_package_dir(ctx))


def held_knobs(n: int, generator: torch.Generator) -> Tensor:
    """Knob positions `(4, n)` in [0, 1] that jump to a random value every few hundred samples,
    as a host automating the knobs sends them."""
    rows: List[Tensor] = []
    for _ in range(4):
        row = torch.empty(n)
        start = 0
        while start < n:
            span = int(torch.randint(1, 4000, (1,), generator=generator))
            row[start : start + span] = float(torch.rand(1, generator=generator))
            start += span
        rows.append(row)
    return torch.stack(rows)


def check_pt2_load(ctx: CheckContext) -> CheckResult:
    """The package loads in the Python runtime and reports the `.nm`'s settings and delays."""
    started = time.perf_counter()
    runtime = _runtime(ctx)
    load_ms = 1000 * (time.perf_counter() - started)
    module = ctx.fresh()
    problems: List[str] = []
    for rate in SESSION_RATES:
        configure(module, rate, 512)
        configure(runtime, rate, 512)
        ours, theirs = reported_delay(runtime), reported_delay(module)
        if ours != theirs:
            problems.append(
                f"{rate} Hz/512: the package reports a delay of {ours}, the .nm {theirs}"
            )
    if problems:
        return CheckResult("pt2_load", False, load_ms, "; ".join(problems), "ms")
    graphs = ", ".join(entry["file"] for entry in runtime.manifest["forwards"])
    message = (
        f"loads ({graphs}); reports the .nm's delays at {', '.join(map(str, SESSION_RATES))} Hz"
    )
    return CheckResult("pt2_load", True, load_ms, message, "ms")


def _session(
    ctx: CheckContext, runtime: PackageRuntime, module: Any, index: int
) -> Tuple[float, str]:
    """One random host session through the package and the `.nm`: (max |difference|, problem)."""
    rate = SESSION_RATES[index % len(SESSION_RATES)]
    generator = torch.Generator().manual_seed(ctx.seed + 1000 + index)
    n = ctx.n_samples(rate)
    x = noise(n, ctx.seed + 1000 + index, amplitude=0.5)
    knobs = held_knobs(n, generator)
    sizes = random_sizes(n, MAX_HOST_BUFFER, generator)
    configure(runtime, rate, MAX_HOST_BUFFER)
    configure(module, rate, MAX_HOST_BUFFER)
    expected, found = run_from_same_rng(
        lambda: stream(module, x, sizes, knobs), lambda: stream(runtime, x, sizes, knobs)
    )
    comparison = compare_streams(expected, found, PACKAGE_TOLERANCE, relative=True, params=knobs)
    problem = (
        f"session {index + 1} at {rate} Hz: {comparison.problem}" if comparison.problem else ""
    )
    return comparison.difference, problem


def check_pt2_streaming(ctx: CheckContext) -> CheckResult:
    """Random host sessions stream through the package as through the `.nm`."""
    runtime = _runtime(ctx)
    module = ctx.fresh()
    worst = 0.0
    problems: List[str] = []
    for index in range(SESSIONS):
        difference, problem = _session(ctx, runtime, module, index)
        worst = difference if math.isnan(difference) else max(worst, difference)
        if problem:
            problems.append(problem)
    rates = "/".join(f"{rate / 1000:g}" for rate in SESSION_RATES)
    if problems:
        message = f"{len(problems)} of {SESSIONS} sessions differ: " + "; ".join(problems[:3])
        return CheckResult("pt2_streaming", False, worst, message, "max |difference|")
    message = (
        f"{SESSIONS} random host sessions ({rates} kHz, buffers of 0..{MAX_HOST_BUFFER}, moving "
        f"knobs) equal the .nm within {PACKAGE_TOLERANCE:g} of full scale"
    )
    return CheckResult("pt2_streaming", True, worst, message, "max |difference|")


def check_pt2_delay(ctx: CheckContext) -> CheckResult:
    """The delay measured through the package equals the delay it reports."""
    runtime = _runtime(ctx)
    lines: List[str] = []
    failures: List[str] = []
    figure: float | None = None
    for rate, size in DELAY_CASES:
        configure(runtime, rate, size)
        reported = reported_delay(runtime)
        n = ctx.n_samples(rate)
        total = math.ceil((reported + 3 + n) / size) * size
        sizes = fixed_sizes(total, size)
        from_impulse = impulse_lag(stream(runtime, impulse(total, 3), sizes), 3)
        runtime.reset()
        x = noise(total, ctx.seed + 4, amplitude=0.5)
        lag, coefficient = xcorr_lag(x, stream(runtime, x, sizes), total - 1)
        line = (
            f"{rate} Hz/{size}: reported {reported}, measured {lag} (cross-correlation "
            f"{coefficient:.2f}), impulse peak {from_impulse}"
        )
        lines.append(line)
        if not coefficient >= MIN_CORRELATION:
            continue
        if lag != reported:
            failures.append(line)
        figure = float(lag) if figure is None or lag != reported else figure
    if failures:
        message = "measured differs from reported: " + "; ".join(failures)
        return CheckResult("pt2_delay", False, figure, message, "samples")
    if figure is None:
        message = "skipped: the output does not correlate with the input; " + "; ".join(lines)
        return CheckResult("pt2_delay", True, None, message, "samples", skipped=True)
    return CheckResult("pt2_delay", True, figure, "; ".join(lines), "samples")


def check_pt2_reset(ctx: CheckContext) -> CheckResult:
    """After audio and ``reset()`` the package answers a probe exactly as a fresh load does."""
    rate, size = 48000, 512
    n = ctx.n_samples(rate)
    total = math.ceil(n / size) * size
    sizes = fixed_sizes(total, size)
    probe = noise(total, ctx.seed + 2, amplitude=0.5)
    knobs = held_knobs(total, torch.Generator().manual_seed(ctx.seed + 2))
    used = _runtime(ctx)
    configure(used, rate, size)
    stream(used, noise(total, ctx.seed + 1), sizes, 1.0 - knobs)

    def after_reset() -> Tensor:
        used.reset()
        return stream(used, probe, sizes, knobs)

    def fresh() -> Tensor:
        runtime = _runtime(ctx)
        configure(runtime, rate, size)
        return stream(runtime, probe, sizes, knobs)

    again, first = run_from_same_rng(after_reset, fresh)
    comparison = compare_streams(first, again, EXACT_TOLERANCE, params=knobs)
    if not comparison.agree:
        message = f"state survives reset(): {comparison.problem}"
        return CheckResult("pt2_reset", False, comparison.difference, message, "max |difference|")
    message = f"reset ({_reset_rule(used)}) restores a fresh package's output"
    return CheckResult("pt2_reset", True, comparison.difference, message, "max |difference|")


def _reset_rule(runtime: PackageRuntime) -> str:
    return f"manifest rule {runtime.manifest['reset']!r}"


PT2_CHECKS: List[Check[CheckContext]] = [
    Check("pt2_load", check_pt2_load, blocks_submission=False),
    Check("pt2_streaming", check_pt2_streaming, blocks_submission=False),
    Check("pt2_delay", check_pt2_delay, blocks_submission=False),
    Check("pt2_reset", check_pt2_reset, blocks_submission=False),
]
"""The package's checks in the Python runtime; run after the `.nm`'s when a package was written.
None blocks a submission: the plugin loads the `.nm`."""
