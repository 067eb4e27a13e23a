"""Unit tests of the timing statistics on known timings, checked against numpy."""

import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_bench.stats import (
    MAD_TO_SIGMA,
    count_deadline_misses,
    find_outliers,
    median,
    median_absolute_deviation,
    outlier_threshold,
    percentile,
    summarize_timings,
)

timings = st.lists(
    st.floats(min_value=1e-7, max_value=1.0, allow_nan=False), min_size=1, max_size=200
)


@settings(max_examples=50, deadline=None)
@given(values=timings, q=st.floats(min_value=0.0, max_value=100.0))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    expected = float(np.percentile(np.asarray(values), q, method="linear"))
    assert percentile(values, q) == pytest.approx(expected, rel=1e-12, abs=1e-15), (values, q)


def test_percentile_known_values() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 .. 100
    random.Random(0).shuffle(values)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == pytest.approx(99.01)
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_percentile_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"q must be in \[0, 100\], got 101"):
        percentile([1.0], 101)


def test_mad_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    values = rng.exponential(1e-3, size=501).tolist()
    expected = np.median(np.abs(np.asarray(values) - np.median(values)))
    assert median_absolute_deviation(values) == pytest.approx(expected, rel=1e-12)


def test_mad_to_sigma_is_the_normal_quartile() -> None:
    from scipy.stats import norm

    assert pytest.approx(1.0 / norm.ppf(0.75), rel=1e-12) == MAD_TO_SIGMA


def test_deadline_misses_counts_strictly_slower_calls() -> None:
    values = [0.001, 0.002, 0.0029, 0.003, 0.0031, 0.01]
    assert count_deadline_misses(values, 0.003) == 2
    assert count_deadline_misses(values, 1.0) == 0
    with pytest.raises(ValueError, match="deadline must be > 0 seconds, got 0"):
        count_deadline_misses(values, 0)


def test_one_slow_call_in_a_thousand_is_an_outlier_and_a_miss() -> None:
    rng = random.Random(3)
    values = [1e-3 + rng.uniform(-5e-5, 5e-5) for _ in range(1000)]
    values[617] = 4e-3  # one stall: four times the typical call
    deadline = 128 / 48000  # 2.67 ms
    summary = summarize_timings(values, deadline)
    assert summary.num_calls == 1000
    assert summary.deadline_misses == 1
    assert summary.outliers[0] == (617, 4e-3)
    assert len(summary.outliers) == 1
    assert summary.max_s == 4e-3
    # The median and p99 ignore the stall; the mean-after-2-sigma-cut of the reference would too,
    # but it would also hide the stall from the report.
    assert summary.median_s == pytest.approx(1e-3, abs=6e-5)
    assert summary.p99_s < 1.06e-3
    assert summary.inverse_rtf == pytest.approx(deadline / summary.median_s)


def test_outlier_rule_is_one_sided_and_robust() -> None:
    values = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 0.0, 100.0]
    # median 2, MAD 1 -> threshold 2 + 2 * 1.4826
    assert outlier_threshold(values, k=2.0) == pytest.approx(2.0 + 2.0 * MAD_TO_SIGMA)
    assert find_outliers(values, k=2.0) == [7]  # 100 is out; the fast 0.0 is not


def test_outlier_rule_with_identical_timings_flags_every_slower_call() -> None:
    values = [1.0] * 10 + [1.5, 1.0]
    assert median_absolute_deviation(values) == 0.0
    assert find_outliers(values) == [10]


def test_summary_is_json_ready() -> None:
    summary = summarize_timings([1e-3, 2e-3, 9e-3], deadline=2.5e-3, k=1.0)
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["num_calls"] == 3
    assert data["deadline_misses"] == 1
    assert data["outliers"] == [{"call": 2, "time_s": 9e-3}]
    assert math.isclose(data["inverse_rtf"], 1.25)
    zero = summarize_timings([0.0, 0.0], deadline=1e-3).to_dict()
    assert zero["inverse_rtf"] is None
