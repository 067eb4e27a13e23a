"""Robust statistics of per-buffer call timings.

A realtime audio callback fails on its slowest call, not on its mean: one call in a thousand that
overruns the buffer's duration is an audible click. So the figures here are order statistics
(median, 99th percentile, maximum), a count of deadline misses over every call, and a list of
outliers found with a rule that the outliers themselves cannot hide (median and median absolute
deviation instead of mean and standard deviation; the reference benchmark cut at mean + 2 sigma,
which the tail inflates, and then averaged what was left).

All functions are pure and take timings in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: Scale that turns the median absolute deviation into a standard-deviation estimate for
#: normally distributed data (1 / Phi^-1(3/4)).
MAD_TO_SIGMA = 1.482602218505602

#: Default number of robust standard deviations above the median beyond which a call is an outlier.
OUTLIER_K = 5.0


def _check_nonempty(values: Sequence[float], name: str) -> None:
    if len(values) == 0:
        raise ValueError(f"{name} must hold at least one timing, got an empty sequence")


def percentile(values: Sequence[float], q: float) -> float:
    """Percentile ``q`` (0..100) of ``values`` by linear interpolation between order statistics.

    The sorted values sit at ranks ``0 .. n-1``; the percentile is read at rank
    ``q / 100 * (n - 1)`` with linear interpolation between neighbours (Hyndman and Fan type 7,
    numpy's default ``linear`` method), so ``q = 0`` is the minimum and ``q = 100`` the maximum.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    _check_nonempty(values, "values")
    if not 0.0 <= q <= 100.0 or math.isnan(q):
        raise ValueError(f"q must be in [0, 100], got {q}")
    ordered = sorted(values)
    rank = q / 100.0 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    frac = rank - low
    return ordered[low] + (ordered[high] - ordered[low]) * frac


def median(values: Sequence[float]) -> float:
    """Median of ``values`` (the 50th percentile)."""
    return percentile(values, 50.0)


def median_absolute_deviation(values: Sequence[float]) -> float:
    """Median of ``|v - median(values)|``: a spread estimate that half the data can't move."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def outlier_threshold(values: Sequence[float], k: float = OUTLIER_K) -> float:
    """Time above which a call counts as an outlier: ``median + k * 1.4826 * MAD``.

    Only slow calls matter for realtime audio, so the rule is one-sided. ``1.4826 * MAD`` estimates
    the standard deviation of the bulk of the calls without being inflated by the tail. When more
    than half of the calls take exactly the same time the MAD is 0 and every slower call is an
    outlier.

    >>> outlier_threshold([1.0, 2.0, 3.0], k=1.0)
    3.482602218505602
    """
    if k < 0.0 or math.isnan(k):
        raise ValueError(f"k must be >= 0, got {k}")
    return median(values) + k * MAD_TO_SIGMA * median_absolute_deviation(values)


def find_outliers(values: Sequence[float], k: float = OUTLIER_K) -> list[int]:
    """Indices (in call order) of the calls slower than :func:`outlier_threshold`."""
    threshold = outlier_threshold(values, k)
    return [i for i, v in enumerate(values) if v > threshold]


def count_deadline_misses(values: Sequence[float], deadline: float) -> int:
    """Number of calls that took longer than ``deadline`` seconds (the buffer's duration).

    A call that takes exactly the deadline is on time.
    """
    if not deadline > 0.0:
        raise ValueError(f"deadline must be > 0 seconds, got {deadline}")
    return sum(1 for v in values if v > deadline)


@dataclass(frozen=True)
class TimingSummary:
    """Figures for one setting; times in seconds.

    ``inverse_rtf`` is the buffer's duration over the median call time: how many times faster than
    realtime a typical call is (it must be above 1, and the p99 and max tell whether every call is).
    ``outliers`` holds ``(call index, time)`` pairs, slowest first.
    """

    num_calls: int
    median_s: float
    p99_s: float
    max_s: float
    deadline_s: float
    inverse_rtf: float
    deadline_misses: int
    outlier_threshold_s: float
    outliers: list[tuple[int, float]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (outliers as ``{"call", "time_s"}`` objects)."""
        data = asdict(self)
        data["outliers"] = [{"call": i, "time_s": t} for i, t in self.outliers]
        if math.isinf(self.inverse_rtf):
            data["inverse_rtf"] = None
        return data


def summarize_timings(
    values: Sequence[float], deadline: float, k: float = OUTLIER_K
) -> TimingSummary:
    """Summarize per-call times ``values`` (seconds) against a per-call ``deadline`` (seconds)."""
    _check_nonempty(values, "values")
    med = median(values)
    threshold = outlier_threshold(values, k)
    outliers = sorted(((i, values[i]) for i in find_outliers(values, k)), key=lambda item: -item[1])
    misses = count_deadline_misses(values, deadline)
    return TimingSummary(
        num_calls=len(values),
        median_s=med,
        p99_s=percentile(values, 99.0),
        max_s=max(values),
        deadline_s=deadline,
        inverse_rtf=deadline / med if med > 0.0 else math.inf,
        deadline_misses=misses,
        outlier_threshold_s=threshold,
        outliers=outliers,
    )
