"""The one set of limits on host settings and run lengths, shared by the API and every CLI.

A value outside these ranges is refused with `LimitError` (a `ValueError`) whose message names the
option, the allowed range and the value received, so `--sample-rate 1e9` on a CLI and a rate of
1e9 given to the API fail the same way, at once, before any work.
NaN and infinity are never inside a range (every comparison with NaN is False, so each check is
written as "inside", never as "not outside").
"""

import math
from typing import Union

MIN_SAMPLE_RATE = 1000
"""Lowest host sample rate in Hz that the tools accept."""

MAX_SAMPLE_RATE = 384000
"""Highest host sample rate in Hz: the resampler's own limit."""

MIN_BUFFER_SIZE = 1
MAX_BUFFER_SIZE = 65536
"""Host buffer sizes in samples (hosts use 16 to 8192; larger buffers only cost memory)."""

MAX_SECONDS = 3600.0
"""Longest duration in seconds of a measurement or a rendered signal."""

Number = Union[int, float]


class LimitError(ValueError):
    """A setting outside the range the tools accept; the message names option, range and value."""


def _refuse(option: str, low: Number, high: Number, value: object) -> LimitError:
    return LimitError(f"{option} must be in [{low}, {high}], got {value!r}")


def check_sample_rate(value: object, option: str = "sample_rate") -> int:
    """`value` as an int sample rate in Hz, or `LimitError` naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(option, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, value)
    inside = MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE
    if not (inside and float(value).is_integer()):
        raise _refuse(option, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, value)
    return int(value)


def check_buffer_size(value: object, option: str = "buffer_size") -> int:
    """`value` as an int buffer size in samples, or `LimitError` naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(option, MIN_BUFFER_SIZE, MAX_BUFFER_SIZE, value)
    inside = MIN_BUFFER_SIZE <= value <= MAX_BUFFER_SIZE
    if not (inside and float(value).is_integer()):
        raise _refuse(option, MIN_BUFFER_SIZE, MAX_BUFFER_SIZE, value)
    return int(value)


def check_seconds(value: object, option: str = "seconds") -> float:
    """`value` as a finite, positive duration in seconds, or `LimitError` naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LimitError(
            f"{option} must be a number of seconds in (0, {MAX_SECONDS}], got {value!r}"
        )
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise LimitError(
            f"{option} must be a number of seconds in (0, {MAX_SECONDS}], got {value!r}"
        )
    return float(value)
