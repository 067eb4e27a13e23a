"""The signal checks of a realtime `.nm`: what comes out for what goes in (shapes, finite, dc,
determinism, reset, and the saved file against the Python model).
"""

import contextlib
import copy
import functools
import math
from typing import List, Tuple

import torch
from torch import Tensor, nn

from neutone_core import RealtimeAdapter, WaveformToWaveformBase
from neutone_export.audio.host import (
    configure,
    fixed_sizes,
    knob_rows,
    noise,
    reported_delay,
    silence,
    sine_sweep,
    stream,
)
from neutone_export.errors import one_line
from neutone_export.module_types import as_plugin
from neutone_export.suite.compare import (
    EXACT_TOLERANCE,
    NUMERIC_TOLERANCE,
    compare_streams,
    run_from_same_rng,
)
from neutone_export.suite.context import BASE_BUFFER_SIZE, BASE_SAMPLE_RATE, CheckContext, listed
from neutone_export.suite.report import CheckResult

# -- shapes
# -----------------------------------------------------------------------------------------


def check_shapes(ctx: CheckContext) -> CheckResult:
    """Output `(host_ch, n)` float32 at every host sample rate, buffer size and channel count."""
    module = ctx.fresh()
    failures: List[str] = []
    total = 0
    for sample_rate in ctx.sample_rates:
        for buffer_size in ctx.buffer_sizes:
            for channels in (1, 2):
                total += 1
                layout = "mono" if channels == 1 else "stereo"
                case = f"{sample_rate} Hz, {buffer_size} samples, {layout}"
                try:
                    configure(module, sample_rate, buffer_size)
                    x = noise(buffer_size, ctx.seed, channels, amplitude=0.5)
                    for _ in range(3):
                        with torch.no_grad():
                            y = as_plugin(module).forward(x, None)
                        if tuple(y.shape) != (channels, buffer_size) or y.dtype != torch.float32:
                            failures.append(f"{case}: got {tuple(y.shape)} {y.dtype}")
                            break
                except Exception as error:  # noqa: BLE001  # reported per setting
                    failures.append(f"{case}: raised {one_line(error)}")
    if failures:
        message = f"{len(failures)} of {total} settings wrong (expected (channels, n) float32): "
        return CheckResult("shapes", False, len(failures), message + listed(failures), "settings")
    message = (
        f"(channels, n) float32 at all {total} settings: {list(ctx.sample_rates)} Hz x "
        f"{list(ctx.buffer_sizes)} samples x mono/stereo host"
    )
    return CheckResult("shapes", True, 0, message, "wrong settings")


# -- no NaN or Inf
# ----------------------------------------------------------------------------------


def _knob_settings(module: nn.Module) -> List[Tuple[str, Tensor]]:
    defaults = as_plugin(module).get_default_param_values().flatten()[:4].to(torch.float32)
    return [("minimum", torch.zeros(4)), ("maximum", torch.ones(4)), ("default", defaults)]


def check_finite(ctx: CheckContext) -> CheckResult:
    """No NaN/Inf for silence, full-scale noise and a sweep, at every knob's min, max, default."""
    module = ctx.fresh()
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    configure(module, sample_rate, buffer_size)
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    signals = {
        "silence": silence(total),
        "full-scale noise": noise(total, ctx.seed),
        "sine sweep": sine_sweep(total, sample_rate),
    }
    bad = 0
    failures: List[str] = []
    peak = 0.0
    for knob_name, values in _knob_settings(module):
        params = knob_rows(values, total)
        for signal_name, x in signals.items():
            as_plugin(module).reset()
            y = stream(module, x, fixed_sizes(total, buffer_size), params)
            not_finite = ~torch.isfinite(y)
            count = int(not_finite.sum())
            if count:
                first = int(not_finite.any(dim=0).nonzero()[0])
                failures.append(
                    f"{signal_name} at knob {knob_name}: {count} NaN/Inf samples (first at {first})"
                )
                bad += count
            else:
                peak = max(peak, float(y.abs().max()) if y.numel() else 0.0)
    if failures:
        return CheckResult("finite", False, bad, listed(failures), "NaN/Inf samples")
    message = (
        f"no NaN/Inf in 9 runs (silence, noise, sweep x knobs min/max/default); "
        f"peak |y| = {peak:.3g}"
    )
    return CheckResult("finite", True, 0, message, "NaN/Inf samples")


# -- DC offset
# -------------------------------------------------------------------------------------

DC_LEVEL = 0.001
"""The largest DC offset (mean output, full scale 1) the dc check lets pass: -60 dBFS.

Why this level: DC is inaudible, but it is heard when it starts or stops, as a click at the
transport's start, a bypass or a mute, of the size of the offset; and it shifts every peak towards
one rail (an offset of 0.73 leaves 11 dB less headroom on one side). A step at -60 dBFS is as loud
as the quietest detail of a mix with 60 dB of dynamic range, about what a quiet room lets a
listener hear below full scale: smaller offsets stay below what a mix reveals. Rounding in float32
DSP (around 1e-7) stays 80 dB below it, so no honest filter trips it.
"""
DC_SINE_PERIOD = 48
"""Samples per period of the dc check's sine (1 kHz at 48 kHz): its mean over whole periods is 0."""


def _dc_offset(module: nn.Module, x: Tensor, sample_rate: int, buffer_size: int) -> float:
    """The largest per-channel mean of the output, over the whole sine periods of its settled
    second half (after the reported delay)."""
    as_plugin(module).reset()
    y = stream(module, x, fixed_sizes(x.shape[1], buffer_size))
    start = max(reported_delay(module), x.shape[1] // 2)
    length = (y.shape[1] - start) // DC_SINE_PERIOD * DC_SINE_PERIOD
    tail = y[:, y.shape[1] - length :].to(torch.float64)
    return float(tail.mean(dim=1).abs().max()) if length > 0 else math.nan


def check_dc(ctx: CheckContext) -> CheckResult:
    """The output carries no DC offset above `DC_LEVEL`, at silence and at a 1 kHz sine (knobs at
    their defaults)."""
    module = ctx.fresh()
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    configure(module, sample_rate, buffer_size)
    delay = reported_delay(module)
    total = math.ceil((2 * (ctx.n_samples(sample_rate) + delay)) / buffer_size) * buffer_size
    t = torch.arange(total, dtype=torch.float64)
    sine = (0.5 * torch.sin(2.0 * math.pi * t / DC_SINE_PERIOD)).to(torch.float32)
    signals = {"silence": silence(total), "a 1 kHz sine at -6 dBFS": sine.expand(2, total)}
    offsets = {
        name: _dc_offset(module, x.contiguous(), sample_rate, buffer_size)
        for name, x in signals.items()
    }
    worst = max(offsets.values()) if not any(map(math.isnan, offsets.values())) else math.nan
    found = ", ".join(f"{value:.3g} at {name}" for name, value in offsets.items())
    if not worst <= DC_LEVEL:
        message = f"the output carries a DC offset: mean {found} (allowed {DC_LEVEL:g}, -60 dBFS)"
        return CheckResult("dc", False, worst, message, "|mean|")
    message = f"no DC offset: mean {found} (allowed {DC_LEVEL:g}, -60 dBFS)"
    return CheckResult("dc", True, worst, message, "|mean|")


# -- determinism and reset
# --------------------------------------------------------------------------


def _knob_ramps(n: int, seed: int) -> Tensor:
    """Knob signals `(4, n)` that move slowly between random values in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    start, end = torch.rand(4, 1, generator=generator), torch.rand(4, 1, generator=generator)
    t = torch.linspace(0.0, 1.0, n).reshape(1, n)
    return start + (end - start) * t


def check_determinism(ctx: CheckContext) -> CheckResult:
    """Two fresh copies given the same input and knobs produce the same output."""
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    x, params = noise(total, ctx.seed), _knob_ramps(total, ctx.seed)

    def render_copy() -> Tensor:
        module = ctx.fresh()
        configure(module, sample_rate, buffer_size)
        return stream(module, x, fixed_sizes(total, buffer_size), params)

    first, second = run_from_same_rng(render_copy, render_copy)
    found = compare_streams(first, second, EXACT_TOLERANCE, params=params)
    if math.isnan(found.difference):
        message = f"{found.problem}; nothing to compare"
        return CheckResult("determinism", False, found.difference, message, "max |difference|")
    if not found.agree:
        message = (
            f"same input, different output: max difference {found.difference:.3g} (first at "
            f"sample {found.first}); look for unseeded randomness or uninitialised buffers"
        )
        return CheckResult("determinism", False, found.difference, message, "max |difference|")
    return CheckResult(
        "determinism",
        True,
        found.difference,
        "two copies give identical output",
        "max |difference|",
    )


def check_reset(ctx: CheckContext) -> CheckResult:
    """After audio and `reset()`, the module answers a probe exactly as a fresh one does."""
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    sizes = fixed_sizes(total, buffer_size)
    probe = noise(total, ctx.seed + 2, amplitude=0.5)
    used = ctx.fresh()
    configure(used, sample_rate, buffer_size)
    stream(used, noise(total, ctx.seed + 1), sizes, _knob_ramps(total, ctx.seed + 1))

    def render_after_reset() -> Tensor:
        as_plugin(used).reset()
        return stream(used, probe, sizes)

    def render_fresh() -> Tensor:
        fresh = ctx.fresh()
        configure(fresh, sample_rate, buffer_size)
        return stream(fresh, probe, sizes)

    after_reset, expected = run_from_same_rng(render_after_reset, render_fresh)
    found = compare_streams(after_reset, expected, EXACT_TOLERANCE)
    if math.isnan(found.difference):
        message = f"{found.problem}; nothing to compare"
        return CheckResult("reset", False, found.difference, message, "max |difference|")
    if not found.agree:
        message = (
            "reset() leaves state behind: after reset() the output differs from a fresh "
            f"module's by up to {found.difference:.3g} (first at sample {found.first}); clear "
            "every buffer in reset_model()"
        )
        return CheckResult("reset", False, found.difference, message, "max |difference|")
    return CheckResult(
        "reset", True, found.difference, "reset() restores the initial state", "max |difference|"
    )


# -- eager versus scripted
# --------------------------------------------------------------------------


def _eager_adapter(model: nn.Module) -> nn.Module:
    """An unscripted adapter around a copy of the user's model (or a copy of a given adapter).

    A model that cannot be deep-copied is used itself; the adapter resets it before use.
    """
    with contextlib.suppress(Exception):  # any object may refuse deepcopy; the original works
        model = copy.deepcopy(model)
    return RealtimeAdapter(model) if isinstance(model, WaveformToWaveformBase) else model


def check_eager(ctx: CheckContext) -> CheckResult:
    """The Python model and the loaded `.nm` agree (when the Python model is at hand)."""
    if ctx.eager_model is None:
        message = "skipped: no Python model to compare with (runs at save time)"
        return CheckResult("eager", True, None, message, skipped=True)
    cases = [(BASE_SAMPLE_RATE, BASE_BUFFER_SIZE), (44100, 256)]
    failures: List[str] = []
    worst = 0.0
    for sample_rate, buffer_size in cases:
        n = ctx.n_samples(sample_rate)
        total = math.ceil(n / buffer_size) * buffer_size
        x, params = noise(total, ctx.seed + 5, amplitude=0.5), _knob_ramps(total, ctx.seed + 5)
        modules = (_eager_adapter(ctx.eager_model), ctx.fresh())
        for module in modules:
            configure(module, sample_rate, buffer_size)
        sizes = fixed_sizes(total, buffer_size)
        eager, saved = run_from_same_rng(
            *(functools.partial(stream, module, x, sizes, params) for module in modules)
        )
        found = compare_streams(eager, saved, NUMERIC_TOLERANCE, relative=True, params=params)
        worst = max(worst, found.difference)  # stays NaN once NaN
        if math.isnan(found.difference):
            worst = math.nan
        if not found.agree:
            failures.append(f"{sample_rate} Hz/{buffer_size}: {found.problem}")
    if failures:
        message = "the saved file and the Python model disagree: " + listed(failures)
        return CheckResult("eager", False, worst, message, "max |difference|")
    return CheckResult(
        "eager", True, worst, "the saved file matches the Python model", "max |difference|"
    )
