"""Statistics of per-call timings, against the deadline a realtime audio callback has.

A realtime callback fails on its slowest call, not on its mean: a call that overruns the buffer's
duration is an audible click. So each setting is summarised by order statistics (median, the
interquartile range as the spread, 99th percentile, maximum) and by its deadline misses, and every
call is kept for the JSON.

The machine is measured too (the *floor*): the same loop, over the same span of time, around a
module that does nothing, records how long the machine itself took the CPU away. A miss is the
machine's when the floor had at least as many stalls that would make a median call miss; else it
is the model's. A "slow call" is reported only when it is far out of the bulk *and* costs a
noticeable part of the deadline (Tukey's far-out fence, Q3 + 3 IQR, and at least 10 % of the
buffer's duration above the median), so microsecond jitter of a fast model is not flagged.

All functions are pure and take timings in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Tukey's "far out" fence: this many interquartile ranges above the third quartile.
FAR_OUT_IQR = 3.0
#: A slow call also costs at least this fraction of the deadline more than the median call.
SLOW_DEADLINE_FRACTION = 0.1
#: Spread (IQR over median) above which the timings are called unstable (torch.utils.benchmark's
#: "gross" threshold) when the spread is also at least ``UNSTABLE_DEADLINE_FRACTION`` of the
#: deadline (a spread of microseconds under a millisecond deadline is jitter, not instability).
UNSTABLE_IQR_FRACTION = 0.25
UNSTABLE_DEADLINE_FRACTION = 0.05
#: The floor stalled longer than this (seconds): the machine was disturbed during the run.
DISTURBED_STALL_S = 1e-3

SLOW_RULE = (
    f"time > max(Q3 + {FAR_OUT_IQR:g} * IQR, median + {SLOW_DEADLINE_FRACTION:g} * deadline)"
)
MACHINE_RULE = (
    "a miss is the machine's when the floor (the same loop around a no-op module over the same "
    "span) stalled longer than deadline - median (> 0) at least as many times as the model missed"
)


def _check_nonempty(values: Sequence[float], name: str) -> None:
    if len(values) == 0:
        raise ValueError(f"{name} must hold at least one timing, got an empty sequence")


def percentile(values: Sequence[float], q: float) -> float:
    """Percentile ``q`` (0..100) of ``values`` by linear interpolation between order statistics.

    The sorted values sit at ranks ``0 .. n-1``; the percentile is read at rank
    ``q / 100 * (n - 1)`` (Hyndman and Fan type 7, numpy's default ``linear`` method).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    _check_nonempty(values, "values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be in [0, 100], got {q}")
    ordered = sorted(values)
    rank = q / 100.0 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """Median of ``values`` (the 50th percentile)."""
    return percentile(values, 50.0)


def interquartile_range(values: Sequence[float]) -> float:
    """``Q3 - Q1``: the spread of the middle half of the calls, which the tail cannot move."""
    return percentile(values, 75.0) - percentile(values, 25.0)


def count_deadline_misses(values: Sequence[float], deadline: float) -> int:
    """Number of calls that took longer than ``deadline`` seconds (exactly on it is on time)."""
    if not deadline > 0.0:
        raise ValueError(f"deadline must be > 0 seconds, got {deadline}")
    return sum(1 for v in values if v > deadline)


def slow_threshold(values: Sequence[float], deadline: float) -> float:
    """Time above which a call is slow: see ``SLOW_RULE``."""
    fence = percentile(values, 75.0) + FAR_OUT_IQR * interquartile_range(values)
    return max(fence, median(values) + SLOW_DEADLINE_FRACTION * deadline)


@dataclass(frozen=True)
class TimingSummary:
    """Figures for one setting; times in seconds.

    ``load`` is the mean call over the buffer's duration: the share of the audio thread the model
    takes over the run (1.0: always busy). The mean, not the median: a model whose native block is
    longer than the host buffer only queues samples in most calls, so its median call says
    nothing of the block it runs every few calls; the mean spreads that block's cost over them.
    ``floor_misses`` counts floor stalls longer than ``deadline - median``: how many misses the
    machine alone would have caused a median call. ``cause`` is ``""`` without misses, else
    ``"machine"`` or ``"model"`` (see ``MACHINE_RULE``).
    """

    num_calls: int
    median_s: float
    mean_s: float
    q1_s: float
    q3_s: float
    iqr_s: float
    p99_s: float
    max_s: float
    deadline_s: float
    load: float
    deadline_misses: int
    slow_threshold_s: float
    slow_calls: int
    floor_median_s: float
    floor_max_s: float
    floor_misses: int

    @property
    def cause(self) -> str:
        """Who the misses are due to: ``""`` (none), ``"machine"`` or ``"model"``."""
        if self.deadline_misses == 0:
            return ""
        return "machine" if self.floor_misses >= self.deadline_misses else "model"

    @property
    def unstable(self) -> bool:
        """Whether the middle half of the calls spreads over 25 % of the median and 5 % of the
        deadline."""
        return (
            self.iqr_s > UNSTABLE_IQR_FRACTION * self.median_s
            and self.iqr_s > UNSTABLE_DEADLINE_FRACTION * self.deadline_s
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary, with the derived ``cause``."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["cause"] = self.cause or None
        return data


def summarize_timings(
    values: Sequence[float], deadline: float, floor: Sequence[float]
) -> TimingSummary:
    """Summarize per-call times ``values`` against ``deadline``; ``floor``: the machine's stalls.

    ``floor`` holds one figure per iteration of the floor loop (seconds the machine took the CPU
    away at most, see ``neutone_bench.speed``).
    """
    _check_nonempty(values, "values")
    _check_nonempty(floor, "floor")
    med = median(values)
    mean = math.fsum(values) / len(values)
    headroom = deadline - med
    threshold = slow_threshold(values, deadline)
    return TimingSummary(
        num_calls=len(values),
        median_s=med,
        mean_s=mean,
        q1_s=percentile(values, 25.0),
        q3_s=percentile(values, 75.0),
        iqr_s=interquartile_range(values),
        p99_s=percentile(values, 99.0),
        max_s=max(values),
        deadline_s=deadline,
        load=mean / deadline,
        deadline_misses=count_deadline_misses(values, deadline),
        slow_threshold_s=threshold,
        slow_calls=sum(1 for v in values if v > threshold),
        floor_median_s=median(floor),
        floor_max_s=max(floor),
        # A median call already past its deadline misses by itself: the machine explains none.
        floor_misses=sum(1 for f in floor if f > headroom) if headroom > 0 else 0,
    )
