"""The timing statistics on known timings, checked against numpy, and whose a miss is."""

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_bench.stats import (
    count_deadline_misses,
    interquartile_range,
    median,
    percentile,
    slow_threshold,
    summarize_timings,
)

timings = st.lists(
    st.floats(min_value=1e-7, max_value=1.0, allow_nan=False), min_size=1, max_size=200
)
DEADLINE = 128 / 48000  # 2.67 ms


@settings(max_examples=50, deadline=None)
@given(values=timings, q=st.floats(min_value=0.0, max_value=100.0))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    expected = float(np.percentile(np.asarray(values), q, method="linear"))
    assert percentile(values, q) == pytest.approx(expected, rel=1e-12, abs=1e-15), (values, q)


@settings(max_examples=30, deadline=None)
@given(values=timings)
def test_iqr_matches_numpy(values: list[float]) -> None:
    q1, q3 = np.percentile(np.asarray(values), [25, 75])
    assert interquartile_range(values) == pytest.approx(q3 - q1, rel=1e-12, abs=1e-15)


def test_percentile_known_values_and_bad_input() -> None:
    values = [float(v) for v in range(1, 101)]
    random.Random(0).shuffle(values)
    assert (percentile(values, 0), percentile(values, 100), percentile(values, 50)) == (
        1.0,
        100.0,
        50.5,
    )
    assert median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(ValueError, match="at least one"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"q must be in \[0, 100\], got nan"):
        percentile([1.0], float("nan"))


def test_deadline_misses_counts_strictly_slower_calls() -> None:
    values = [0.001, 0.002, 0.0029, 0.003, 0.0031, 0.01]
    assert count_deadline_misses(values, 0.003) == 2
    with pytest.raises(ValueError, match="deadline must be > 0 seconds, got 0"):
        count_deadline_misses(values, 0)


def clipper_like(n: int, seed: int) -> list[float]:
    """A fast model's calls: 20 us with microsecond jitter and a few 5 us bumps."""
    rng = random.Random(seed)
    values = [20e-6 + rng.uniform(-1e-6, 1e-6) for _ in range(n)]
    for index in rng.sample(range(n), n // 10):
        values[index] += 5e-6
    return values


def test_microsecond_jitter_of_a_fast_model_is_not_slow() -> None:
    values = clipper_like(2000, seed=1)
    summary = summarize_timings(values, DEADLINE, floor=[1e-6] * len(values))
    assert summary.slow_calls == 0
    assert summary.deadline_misses == 0 and summary.cause == ""
    assert not summary.unstable  # the IQR is large against 20 us, tiny against 2.67 ms


def test_a_stall_is_slow_and_a_miss_and_the_order_statistics_ignore_it() -> None:
    values = clipper_like(1000, seed=3)
    values[617] = 4e-3
    summary = summarize_timings(values, DEADLINE, floor=[1e-6] * len(values))
    assert summary.deadline_misses == 1 and summary.slow_calls == 1
    assert summary.max_s == 4e-3
    assert summary.median_s == pytest.approx(20e-6, abs=3e-6)
    assert summary.p99_s < 30e-6
    assert summary.slow_threshold_s == slow_threshold(values, DEADLINE)
    assert summary.mean_s == pytest.approx(sum(values) / len(values))
    assert summary.load == pytest.approx(summary.mean_s / DEADLINE)


def test_the_load_of_a_queued_model_counts_the_block_it_runs_every_few_calls() -> None:
    """Native 512 at host 128: three calls queue (20 us), the fourth runs the block (3 ms)."""
    values = [20e-6, 20e-6, 20e-6, 3e-3] * 250
    summary = summarize_timings(values, DEADLINE, floor=[1e-6] * len(values))
    assert summary.median_s == pytest.approx(20e-6)  # the median sees only the queueing
    assert summary.deadline_misses == 250 and summary.cause == "model"
    assert summary.load == pytest.approx((3 * 20e-6 + 3e-3) / 4 / DEADLINE)  # about 29 %
    assert summary.load > 30 * summary.median_s / DEADLINE


def test_misses_are_the_machines_when_the_floor_stalls_as_often() -> None:
    values = clipper_like(1000, seed=4)
    values[10] = values[500] = 5e-3
    quiet_floor = [1e-6] * 1000
    stalled_floor = [1e-6] * 1000
    stalled_floor[3] = stalled_floor[700] = stalled_floor[900] = 4e-3  # > deadline - median
    assert summarize_timings(values, DEADLINE, quiet_floor).cause == "model"
    machine = summarize_timings(values, DEADLINE, stalled_floor)
    assert (machine.deadline_misses, machine.floor_misses, machine.cause) == (2, 3, "machine")
    assert machine.floor_max_s == 4e-3


def test_a_slow_model_misses_by_itself() -> None:
    values = [3e-3 + 1e-5 * (i % 7) for i in range(200)]  # every call longer than 2.67 ms
    summary = summarize_timings(values, DEADLINE, floor=[2e-6] * 200)
    assert summary.deadline_misses == 200 and summary.cause == "model"
    assert summary.load > 1.0


def test_summary_is_json_ready() -> None:
    summary = summarize_timings([1e-3, 2e-3, 9e-3], deadline=2.5e-3, floor=[1e-6, 1e-6, 1e-6])
    data = json.loads(json.dumps(summary.to_dict(), allow_nan=False))
    assert data["num_calls"] == 3 and data["deadline_misses"] == 1
    assert data["cause"] == "model"
    assert data["iqr_s"] == pytest.approx(data["q3_s"] - data["q1_s"])
