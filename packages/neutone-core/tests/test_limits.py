import math

import pytest

from neutone_core.limits import (
    MAX_SAMPLE_RATE,
    LimitError,
    check_buffer_size,
    check_sample_rate,
    check_seconds,
)


@pytest.mark.parametrize("value", [44100, 48000.0, MAX_SAMPLE_RATE, 1000])
def test_sample_rates_inside_pass_as_ints(value: float) -> None:
    assert check_sample_rate(value) == int(value)
    assert isinstance(check_sample_rate(value), int)


@pytest.mark.parametrize(
    "value", [0, -1, 999, MAX_SAMPLE_RATE + 1, 1e9, math.nan, math.inf, 44100.5, True, "44100"]
)
def test_sample_rates_outside_are_refused_naming_option_range_and_value(value: object) -> None:
    with pytest.raises(LimitError, match=r"--sample-rate must be in \[1000, 384000\], got"):
        check_sample_rate(value, "--sample-rate")


@pytest.mark.parametrize("value", [0, 65537, math.nan, -math.inf, 1.5])
def test_buffer_sizes_outside_are_refused(value: float) -> None:
    with pytest.raises(LimitError, match="buffer_size"):
        check_buffer_size(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0, -1.0, 1e9])
def test_non_finite_or_absurd_seconds_are_refused(value: float) -> None:
    with pytest.raises(LimitError, match="--duration"):
        check_seconds(value, "--duration")


def test_limit_error_is_a_value_error() -> None:
    assert issubclass(LimitError, ValueError)
    assert check_seconds(2) == 2.0
