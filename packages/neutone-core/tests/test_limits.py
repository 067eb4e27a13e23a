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


@pytest.mark.parametrize(
    "metadata, named",
    [
        ({"native_sample_rates": [1]}, "native_sample_rates[0]"),
        ({"native_sample_rates": [500000]}, "native_sample_rates[0]"),
        ({"native_buffer_sizes": [0]}, "native_buffer_sizes[0]"),
        ({"model_name": None}, "model_name"),
        ({"model_name": "x" * 20000}, "model_name"),
        ({"date_created": math.inf}, "date_created"),
        ({"tags": "rock"}, "tags"),
        ({"neutone_parameters": {f"p{i}": {} for i in range(7)}}, "neutone_parameters"),
        ({"neutone_parameters": {"p1": {"name": 5}}}, "neutone_parameters.p1.name"),
        ({"look_behind_samples": -1}, "look_behind_samples"),
    ],
)
def test_metadata_outside_the_hard_limits_is_refused_naming_the_key(metadata, named) -> None:
    from neutone_core.limits import check_metadata_limits

    with pytest.raises(LimitError) as error:
        check_metadata_limits(metadata)
    assert str(error.value).startswith(named)


def test_json_text_too_deep_or_too_long_is_refused_without_parsing() -> None:
    from neutone_core.limits import MAX_METADATA_CHARS, check_json_text, json_depth

    assert json_depth('{"a": "[[[[", "b": [{}]}') == 3
    check_json_text("[" * 32 + "]" * 32, "x.json")
    with pytest.raises(LimitError, match=r"x\.json: nested deeper than 32"):
        check_json_text("[" * 100_000 + "]" * 100_000, "x.json")
    with pytest.raises(LimitError, match=r"x\.json: at most"):
        check_json_text(" " * (MAX_METADATA_CHARS + 1), "x.json")
