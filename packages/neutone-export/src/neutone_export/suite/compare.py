"""Compare two renders of the same input: the one rule every "these two streams must agree"
check uses (streaming against offline, two buffer sizes, two copies, after reset, eager against
scripted, native against Python).

A sample that is NaN or infinite in either stream makes the comparison fail with a NaN difference
(nothing to compare); otherwise the difference is the largest absolute one, in float64.

Every compared pass runs through `run_from_same_rng`, which starts each one from the same state of
torch's default generator: a model that draws noise by design (`torch.randn` in its forward) then
gives the same output twice, so only state that leaks between runs makes two passes differ. A
loaded `.nm` module draws from the same process-wide generator, so seeding here reaches it.
"""

import math
from dataclasses import dataclass
from typing import Callable, List, TypeVar

import torch
from torch import Tensor

# Same module, same input: the outputs must match to float32 rounding of a few operations.
EXACT_TOLERANCE = 1e-6
# Streamed versus offline and eager versus scripted may differ by float32 rounding in longer sums
# (resampler kernels, fused ops); 1e-4 of full scale is -80 dBFS, far below audibility.
NUMERIC_TOLERANCE = 1e-4
# A compiled package against its `.nm`: AOTInductor reorders float32 sums (the knob mean among
# them), and a model that integrates a knob (a phase accumulator) carries that last-bit difference
# from block to block: native_rate's 2 kHz carrier drifts to 1.25e-4 after 13 000 samples. 1e-3
# (-60 dBFS) bounds that drift over the checks' sessions and still fails any wrong sample or state.
PACKAGE_TOLERANCE = 1e-3
# The state of torch's default generator every compared pass starts from.
PASS_SEED = 0

T = TypeVar("T")


def run_from_same_rng(*renders: Callable[[], T]) -> List[T]:
    """Run each render from the same generator state (`PASS_SEED`); the caller's state is restored.

    Example:
        >>> first, second = run_from_same_rng(lambda: torch.randn(3), lambda: torch.randn(3))
        >>> torch.equal(first, second)
        True
    """
    outputs: List[T] = []
    with torch.random.fork_rng(devices=[]):
        for render in renders:
            torch.manual_seed(PASS_SEED)
            outputs.append(render())
    return outputs


def non_finite(y: Tensor) -> str:
    """Empty when `y` is all finite, else how many samples are NaN/Inf and where the first is."""
    bad = ~torch.isfinite(y)
    count = int(bad.sum())
    if count == 0:
        return ""
    first = int(bad.reshape(-1, y.size(-1)).any(dim=0).nonzero()[0])
    return f"{count} NaN/Inf samples (first at sample {first})"


def knob_text(params: Tensor | None) -> str:
    """The knob setting of a test run, for messages: defaults, or the ramp's start and end."""
    if params is None:
        return "knobs at their defaults"
    start = ", ".join(f"{float(v):.2f}" for v in params[:, 0])
    end = ", ".join(f"{float(v):.2f}" for v in params[:, -1])
    return f"knobs ramping from [{start}] to [{end}]"


@dataclass(frozen=True)
class Comparison:
    """How two streams `(ch, n)` differ.

    `difference` is the largest |a - b| (NaN when either is not finite, inf when the shapes
    differ); `agree` whether it is within the tolerance; `first` the first sample beyond it (-1
    when none); `problem` a one-line reason when they do not agree.
    """

    difference: float
    agree: bool
    first: int
    problem: str


def compare_streams(
    a: Tensor,
    b: Tensor,
    tolerance: float,
    *,
    relative: bool = False,
    params: Tensor | None = None,
) -> Comparison:
    """Compare `a` with `b`; with `relative`, the tolerance scales with `a`'s peak above 1.

    Example:
        >>> same = compare_streams(torch.zeros(1, 4), torch.zeros(1, 4), EXACT_TOLERANCE)
        >>> same.agree, same.difference
        (True, 0.0)
        >>> compare_streams(torch.zeros(1, 4), torch.full((1, 4), math.nan), 1.0).problem
        'output is not finite with knobs at their defaults: 4 NaN/Inf samples (first at sample 0)'
    """
    if a.shape != b.shape:
        problem = f"shapes differ: {tuple(a.shape)} and {tuple(b.shape)}"
        return Comparison(math.inf, False, -1, problem)
    bad = non_finite(a) or non_finite(b)
    if bad:
        return Comparison(
            math.nan, False, -1, f"output is not finite with {knob_text(params)}: {bad}"
        )
    if a.numel() == 0:
        return Comparison(0.0, True, -1, "")
    delta = (a.to(torch.float64) - b.to(torch.float64)).abs()
    difference = float(delta.max())
    if relative:
        tolerance *= max(1.0, float(a.abs().max()))
    if difference <= tolerance:
        return Comparison(difference, True, -1, "")
    first = int((delta > tolerance).reshape(-1, a.size(-1)).any(dim=0).nonzero()[0])
    return Comparison(
        difference, False, first, f"max difference {difference:.3g} (first at {first})"
    )
