"""Delay arithmetic: the priming formula against a direct count; the choice of settings."""

from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_core.delay_plan import (
    choose_native_settings,
    extra_phase,
    plan_delays,
    priming_samples,
    reduced_ratio,
)


def _deficits(up: int, down: int, block: int, look_ahead: int, e: int, horizon: int) -> list:
    """N - (host samples produced after N host samples), counted directly for N < horizon."""
    b = max(block, 1)
    out = []
    for n in range(horizon):
        native = (n * up) // down
        blocks = max(0, (native - look_ahead) // b) if native >= look_ahead else 0
        produced = (blocks * b * down + e) // up
        out.append(n - produced)
    return out


@settings(max_examples=60, deadline=None)
@given(
    up=st.integers(1, 12),
    down=st.integers(1, 12),
    block=st.integers(0, 40),
    look_ahead=st.integers(0, 30),
    e_frac=st.floats(0, 0.999),
)
def test_priming_is_the_largest_deficit(up, down, block, look_ahead, e_frac):
    up, down = reduced_ratio(up, down)
    e = int(e_frac * up)
    p = priming_samples(up, down, block, look_ahead, e)
    horizon = (max(block, 1) * up + look_ahead + 2) * down * 2 + 50
    deficits = _deficits(up, down, block, look_ahead, e, horizon)
    # Enough zeros for every N, and no fewer: some N needs all of them.
    assert p == max(0, *deficits)


def test_same_rate_delays():
    d = plan_delays(1, 1, 512, 10, 7, 0, 0)
    assert d == {
        "extra_phase": 0,
        "priming": 521,
        "buffering": 511,
        "resampling": 0,
        "look_ahead": 10,
        "model": 7,
        "total": 528,
    }
    assert plan_delays(1, 1, 0, 0, 0, 0, 0)["total"] == 0  # any buffer size: no delay


@given(
    up=st.integers(1, 500),
    down=st.integers(1, 500),
    delay=st.integers(0, 1000),
    s_in=st.integers(0, 10000),
    s_out=st.integers(0, 10000),
)
def test_extra_phase_makes_the_delay_whole(up, down, delay, s_in, s_out):
    up, down = reduced_ratio(up, down)
    e = extra_phase(up, down, delay, s_in, s_out)
    assert 0 <= e < up
    assert (s_in + s_out + e + delay * down) % up == 0
    d = plan_delays(up, down, 64, 3, delay, s_in, s_out)
    assert d["buffering"] >= 0 and d["resampling"] >= 0
    assert d["buffering"] + d["resampling"] + d["look_ahead"] + d["model"] == d["total"]


def test_choice_prefers_no_resampling_then_least_delay():
    assert choose_native_settings(44100, [48000, 44100], [2048, 512], 0) == (44100, 512)
    assert choose_native_settings(44100, [], [], 0) == (44100, 0)
    assert choose_native_settings(96000, [], [256], 0) == (96000, 256)
    # Resampling forced: the higher native rate makes a block of 512 shorter in host time.
    assert choose_native_settings(44100, [22050, 48000], [512], 0) == (48000, 512)
