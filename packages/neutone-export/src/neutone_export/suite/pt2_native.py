"""The checks of the pt2 package run through the C++ runtime (`neutone_export.pt2.native_runtime`).

They prove what a plugin embedding ``native/pt2_runtime.h`` gets: the package loads in plain
libtorch; streaming random host sessions through it equals streaming them through the `.nm`; the
delay it reports is the `.nm`'s and is the delay measured; reset clears its state. Each reads the
package from ``ctx.package_dir`` and is skipped when no package was written or no C++ compiler is
there to build the runtime with.

Tolerance: the outputs agree to `PT2_TOLERANCE` (relative to the peak above 1), not bit for bit:
the C++ resampler sums each output's taps in double in tap order where the `.nm` sums them in
float32 blocks (``bmm``), and AOTInductor fuses and reorders the model's float ops and the knob
mean. Both are rounding differences, about 1e-6 on full-scale noise; a model that integrates a
knob carries them from block to block (`suite.compare.PACKAGE_TOLERANCE`).
"""

import math
from pathlib import Path
from typing import List, Tuple

import torch
from torch import Tensor

from neutone_export.audio.host import configure, fixed_sizes, noise, random_sizes, reported_delay
from neutone_export.audio.host import stream as stream_python
from neutone_export.audio.measure import xcorr_lag
from neutone_export.native.build import has_compiler
from neutone_export.pt2.native_runtime import (
    HostSession,
    load_package_native,
    stream_sessions_native,
)
from neutone_export.suite.compare import PACKAGE_TOLERANCE, compare_streams
from neutone_export.suite.context import MIN_CORRELATION, CheckContext
from neutone_export.suite.report import CheckResult
from neutone_export.suite.runner import Check

#: Random host sessions streamed through both, and the host rates they cycle through.
SESSIONS = 20
SESSION_RATES = (44100, 48000, 96000)
MAX_HOST_BUFFER = 2048
#: (host rate, fixed host buffer) of the delay cases.
DELAY_CASES = ((44100, 512), (48000, 128), (96000, 256))
PT2_TOLERANCE = PACKAGE_TOLERANCE
SEED = 0


def _cannot_run(ctx: CheckContext) -> str:
    """Why the package cannot be run in the C++ runtime here ('' when it can)."""
    if ctx.package_dir is None:
        return "no pt2 package was written"
    if not has_compiler():
        return "no C++ compiler to build the C++ runtime with (install g++)"
    return ""


def _skipped(name: str, reason: str) -> CheckResult:
    return CheckResult(name, True, None, f"skipped: {reason}", skipped=True)


def session(index: int, seconds: float, seed: int = SEED) -> Tuple[int, Tensor, Tensor, List[int]]:
    """Host session `index`: its rate, input ``(1 or 2, n)`` (channels alternate), random knob
    positions ``(4, n)`` and random host buffer sizes in ``0..MAX_HOST_BUFFER``."""
    rate = SESSION_RATES[index % len(SESSION_RATES)]
    generator = torch.Generator().manual_seed(seed + index)
    n = max(1, round(seconds * rate))
    x = (torch.rand(1 + index % 2, n, generator=generator) * 2.0 - 1.0) * 0.5
    knobs = torch.rand(4, n, generator=generator)
    return rate, x, knobs, random_sizes(n, MAX_HOST_BUFFER, generator)


def compare_session(
    ctx: CheckContext, package_dir: Path, index: int
) -> Tuple[float, str, int, int]:
    """Stream session `index` through the C++ runtime and the `.nm` (Python host, same buffers):
    the max |difference|, a problem ('' when they agree) and both reported delays."""
    return compare_sessions(ctx, package_dir, [index])[0]


def compare_sessions(
    ctx: CheckContext, package_dir: Path, indices: List[int]
) -> List[Tuple[float, str, int, int]]:
    """`compare_session` for each of `indices`, the C++ side in one process."""
    cases = [session(index, ctx.seconds, ctx.seed) for index in indices]
    native = stream_sessions_native(
        package_dir, [HostSession(x, rate, sizes, knobs) for rate, x, knobs, sizes in cases]
    )
    results = []
    for (rate, x, knobs, sizes), (streamed, native_delay) in zip(cases, native, strict=True):
        module = ctx.fresh()
        configure(module, rate, max(sizes))
        expected = stream_python(module, x, sizes, knobs)
        found = compare_streams(expected, streamed, PT2_TOLERANCE, relative=True, params=knobs)
        results.append((found.difference, found.problem, native_delay, reported_delay(module)))
    return results


def check_pt2_native_load(ctx: CheckContext) -> CheckResult:
    """The package loads in the C++ runtime (plain libtorch, no Python)."""
    if ctx.package_dir is None or _cannot_run(ctx):
        return _skipped("pt2_native_load", _cannot_run(ctx))
    info = load_package_native(ctx.package_dir)
    message = (
        f"loads in the C++ runtime in {info['load_ms']:.0f} ms ({info['in_channels']} -> "
        f"{info['out_channels']} channels, {len(info['host_rates'])} host rates planned)"
    )
    return CheckResult("pt2_native_load", True, float(info["load_ms"]), message, "ms")


def check_pt2_native_streaming(ctx: CheckContext) -> CheckResult:
    """`SESSIONS` random host sessions stream through the C++ runtime as through the `.nm`."""
    package_dir = ctx.package_dir
    if package_dir is None or _cannot_run(ctx):
        return _skipped("pt2_native_streaming", _cannot_run(ctx))
    worst = 0.0
    failures: List[str] = []
    compared = compare_sessions(ctx, package_dir, list(range(SESSIONS)))
    for index, (difference, problem, native_delay, delay) in enumerate(compared):
        worst = difference if math.isnan(difference) else max(worst, difference)
        rate = SESSION_RATES[index % len(SESSION_RATES)]
        if native_delay != delay:
            failures.append(f"session {index} ({rate} Hz): delay {native_delay}, the .nm {delay}")
        elif problem:
            failures.append(f"session {index} ({rate} Hz): {problem}")
    unit = "max |difference|"
    if failures:
        return CheckResult("pt2_native_streaming", False, worst, "; ".join(failures[:3]), unit)
    rates = "/".join(f"{r / 1000:g}" for r in SESSION_RATES)
    message = (
        f"{SESSIONS} random host sessions ({rates} kHz, buffers of 0..{MAX_HOST_BUFFER}, random "
        f"knobs) stream through the C++ runtime as through the .nm (tolerance {PT2_TOLERANCE:g})"
    )
    return CheckResult("pt2_native_streaming", True, worst, message, unit)


def check_pt2_native_delay(ctx: CheckContext) -> CheckResult:
    """The delay the C++ runtime reports is the `.nm`'s, and is the delay measured in its output."""
    package_dir = ctx.package_dir
    if package_dir is None or _cannot_run(ctx):
        return _skipped("pt2_native_delay", _cannot_run(ctx))
    lines: List[str] = []
    failures: List[str] = []
    measured_any = False
    cases = []
    for rate, size in DELAY_CASES:
        module = ctx.fresh()
        configure(module, rate, size)
        delay = reported_delay(module)
        n = max(1, round(ctx.seconds * rate))
        total = math.ceil((n + delay) / size) * size
        cases.append((rate, size, delay, noise(total, SEED + rate, amplitude=0.5)))
    streamed = stream_sessions_native(
        package_dir,
        [HostSession(x, rate, fixed_sizes(x.size(1), size)) for rate, size, _, x in cases],
    )
    for (rate, size, delay, x), (y, native_delay) in zip(cases, streamed, strict=True):
        lag, coefficient = xcorr_lag(x, y, x.size(1) - 1)
        line = f"{rate} Hz/{size}: reported {native_delay} (.nm {delay}), measured {lag}"
        lines.append(f"{line} (cross-correlation {coefficient:.2f})")
        if native_delay != delay:
            failures.append(line)
        elif coefficient >= MIN_CORRELATION:
            measured_any = True
            if lag != native_delay:
                failures.append(line)
    if failures:
        return CheckResult("pt2_native_delay", False, None, "; ".join(failures), "samples")
    if not measured_any:
        message = "reported delays equal the .nm's; the output does not correlate with the input"
        return CheckResult("pt2_native_delay", True, None, message + ": " + "; ".join(lines))
    return CheckResult("pt2_native_delay", True, None, "; ".join(lines), "samples")


def check_pt2_native_reset(ctx: CheckContext) -> CheckResult:
    """After reset() the C++ runtime continues as a fresh one fed from that buffer on."""
    package_dir = ctx.package_dir
    if package_dir is None or _cannot_run(ctx):
        return _skipped("pt2_native_reset", _cannot_run(ctx))
    rate, x, knobs, sizes = session(1, ctx.seconds, ctx.seed)
    cut = len(sizes) // 2
    start = sum(sizes[:cut])
    largest = [max(sizes)] if max(sizes[cut:], default=0) < max(sizes) else []
    # The fresh run must be configured with the same largest buffer: end it with one more buffer.
    tail_sizes = sizes[cut:] + largest
    tail = torch.cat([x[:, start:], torch.zeros(x.size(0), sum(largest))], 1)
    tail_knobs = torch.cat([knobs[:, start:], torch.full((4, sum(largest)), 0.5)], 1)
    (after_reset, _), (fresh, _) = stream_sessions_native(
        package_dir,
        [
            HostSession(x, rate, sizes, knobs, reset_at=cut),
            HostSession(tail, rate, tail_sizes, tail_knobs),
        ],
    )
    expected = fresh[:, : x.size(1) - start]
    found = compare_streams(expected, after_reset[:, start:], PT2_TOLERANCE, relative=True)
    unit = "max |difference|"
    if not found.agree:
        message = f"after reset() the output differs from a fresh runtime's: {found.problem}"
        return CheckResult("pt2_native_reset", False, found.difference, message, unit)
    message = f"after reset() at buffer {cut} the output equals a fresh runtime's ({rate} Hz)"
    return CheckResult("pt2_native_reset", True, found.difference, message, unit)


_FIX = "fix the package's C++ runtime run (the .nm is unaffected), or export the .nm alone"
#: The plugin loads the `.nm`, not the package: a finding here never refuses a submission.
PT2_NATIVE_CHECKS: List[Check[CheckContext]] = [
    Check("pt2_native_load", check_pt2_native_load, blocks_submission=False, fix=_FIX),
    Check("pt2_native_streaming", check_pt2_native_streaming, blocks_submission=False, fix=_FIX),
    Check("pt2_native_delay", check_pt2_native_delay, blocks_submission=False, fix=_FIX),
    Check("pt2_native_reset", check_pt2_native_reset, blocks_submission=False, fix=_FIX),
]
