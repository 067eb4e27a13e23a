"""The one set of limits on host settings and run lengths, shared by the API and every CLI.

A value outside these ranges is refused with `LimitError` (a `ValueError`) whose message names the
option, the allowed range and the value received, so `--sample-rate 1e9` on a CLI and a rate of
1e9 given to the API fail the same way, at once, before any work.
NaN and infinity are never inside a range (every comparison with NaN is False, so each check is
written as "inside", never as "not outside").
"""

import math
import re
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


# --- metadata ------------------------------------------------------------------------------

MAX_METADATA_CHARS = 16_000_000
"""Longest `metadata.json` (characters) a reader parses; three demo samples take well under 4 MB."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of objects and lists in `metadata.json` or a capture's JSON (ours need 4)."""

MAX_TEXT_CHARS = 10_000
"""Longest string of metadata (a name, a description, a link); the contract's own limits on
names and descriptions are smaller and are the `metadata` check's."""

MAX_SAMPLE_CHARS = 8_000_000
"""Longest base64 demo sample in `sample_sound_files`."""

MAX_LIST_ITEMS = 64
"""Most entries of a metadata list (native rates, buffer sizes, authors, tags, labels)."""

MAX_KNOBS = 6
"""Most entries of `neutone_parameters` (four knobs realtime; six parameters non-realtime)."""

MAX_DELAY_SAMPLES = 10 * MAX_SAMPLE_RATE
"""Largest look-behind or look-ahead in samples (ten seconds at the highest rate)."""

_TEXT_KEYS = (
    "model_name",
    "model_version",
    "model_short_description",
    "model_long_description",
    "technical_description",
    "citation",
    "sdk_version",
    "pytorch_version",
    "model_type",
)
_STRING_LIST_KEYS = ("model_authors", "tags", "audio_in_labels", "audio_out_labels")
_NUMBER_KEYS = (
    "wet_default_value",
    "dry_default_value",
    "input_gain_default_value",
    "output_gain_default_value",
    "date_created",
)
_INT_KEYS = ("look_behind_samples", "look_ahead_samples")
_INT_LIST_KEYS = ("audio_in_channels", "audio_out_channels")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply `text`'s JSON objects and lists nest, counted without parsing (no recursion;
    strings are skipped by a regular expression, so a 4 MB demo sample costs milliseconds).

    >>> json_depth('{"a": [1, {"b": "[[\\\\\\"["}]}')
    3
    """
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def check_json_text(text: str, what: str) -> str:
    """`text` if a reader may parse it: at most `MAX_METADATA_CHARS` long and `MAX_JSON_DEPTH`
    deep (Python's parser recurses once per level); `LimitError` naming `what` otherwise."""
    if len(text) > MAX_METADATA_CHARS:
        raise LimitError(f"{what}: at most {MAX_METADATA_CHARS} characters, got {len(text)}")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise LimitError(f"{what}: nested deeper than {MAX_JSON_DEPTH} levels")
    return text


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_text(key: str, value: object, limit: int = MAX_TEXT_CHARS) -> None:
    if not isinstance(value, str):
        raise LimitError(f"{key} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise LimitError(f"{key}: at most {limit} characters, got {len(value)}")


def _check_list(key: str, value: object) -> list:
    if not isinstance(value, list):
        raise LimitError(f"{key} must be a list, got {type(value).__name__}")
    if len(value) > MAX_LIST_ITEMS:
        raise LimitError(f"{key}: at most {MAX_LIST_ITEMS} entries, got {len(value)}")
    return value


def _check_value(key: str, value: object) -> None:
    """A string of at most `MAX_TEXT_CHARS`, a finite number; anything else as is (its size is
    bounded by `MAX_METADATA_CHARS`)."""
    if isinstance(value, str):
        _check_text(key, value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise LimitError(f"{key} must be finite, got {value!r}")


def _check_knob(slot: str, knob: object) -> None:
    if not isinstance(knob, dict):
        raise LimitError(f"neutone_parameters.{slot} must be an object, got {type(knob).__name__}")
    for field in ("name", "description", "type"):
        if field in knob:
            _check_text(f"neutone_parameters.{slot}.{field}", knob[field])
    for field, value in knob.items():
        key = f"neutone_parameters.{slot}.{field}"
        if isinstance(value, str):
            _check_text(key, value)
        elif isinstance(value, list):
            for i, item in enumerate(_check_list(key, value)):
                if not isinstance(item, (str, int)) or isinstance(item, bool):
                    raise LimitError(f"{key}[{i}] must be a string or an int, got {item!r}")
                if isinstance(item, str):
                    _check_text(f"{key}[{i}]", item)
        elif _is_number(value) and not math.isfinite(value):
            raise LimitError(f"{key} must be finite, got {value!r}")
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise LimitError(f"{key} must be a string, number or bool, got {type(value).__name__}")


def check_metadata_limits(metadata: object) -> None:
    """Refuse metadata that no reader should process, with `LimitError` naming the first key.

    The hard limits every tool enforces when it reads a `.nm` (export, `check`, `info`, `render`,
    `import-nam`): each known key has its type, strings and lists their maximum sizes, native
    rates lie in [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE] and buffer sizes in [MIN_BUFFER_SIZE,
    MAX_BUFFER_SIZE], numbers are finite, at most `MAX_KNOBS` knobs. The contract's finer rules
    (a name of 30 characters, 96 kHz for realtime models) are `validate_metadata`'s.

    >>> check_metadata_limits({"native_sample_rates": [1]})
    Traceback (most recent call last):
    ...
    neutone_core.limits.LimitError: native_sample_rates[0] must be in [1000, 384000], got 1
    """
    if not isinstance(metadata, dict):
        raise LimitError(f"metadata must be an object, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if value is None and key == "model_bpm":
            continue
        if key in ("native_sample_rates", "native_buffer_sizes"):
            check = check_sample_rate if key == "native_sample_rates" else check_buffer_size
            for i, item in enumerate(_check_list(key, value)):
                check(item, f"{key}[{i}]")
        elif key in _NUMBER_KEYS or key == "model_bpm":
            if not (_is_number(value) and math.isfinite(value)):
                raise LimitError(f"{key} must be a finite number, got {value!r}")
        elif key in _INT_KEYS:
            if not (isinstance(value, int) and not isinstance(value, bool)):
                raise LimitError(f"{key} must be an int, got {value!r}")
            if not 0 <= value <= MAX_DELAY_SAMPLES:
                raise LimitError(f"{key} must be in [0, {MAX_DELAY_SAMPLES}], got {value}")
        elif key in _INT_LIST_KEYS:
            for i, item in enumerate(_check_list(key, value)):
                if isinstance(item, bool) or item not in (1, 2):
                    raise LimitError(f"{key}[{i}] must be 1 or 2, got {item!r}")
        elif key in _TEXT_KEYS:
            _check_text(key, value)
        elif key in _STRING_LIST_KEYS:
            for i, item in enumerate(_check_list(key, value)):
                _check_text(f"{key}[{i}]", item)
        elif key == "neutone_parameters":
            if not isinstance(value, dict):
                raise LimitError(f"{key} must be an object, got {type(value).__name__}")
            if len(value) > MAX_KNOBS:
                raise LimitError(f"{key}: at most {MAX_KNOBS} knobs, got {len(value)}")
            for slot, knob in value.items():
                _check_knob(str(slot)[:20], knob)
        elif key == "sample_sound_files":
            for i, pair in enumerate(_check_list(key, value)):
                if not isinstance(pair, dict) or set(pair) != {"in", "out"}:
                    raise LimitError(f"{key}[{i}] must be an object {{in, out}}")
                for side, sample in pair.items():
                    _check_text(f"{key}[{i}].{side}", sample, MAX_SAMPLE_CHARS)
        elif key == "technical_links":
            if not isinstance(value, dict) or len(value) > MAX_LIST_ITEMS:
                raise LimitError(f"{key} must be an object of at most {MAX_LIST_ITEMS} links")
            for name, url in value.items():
                _check_text(f"{key} name", name)
                _check_text(f"{key}[{name[:20]!r}]", url)
        elif isinstance(value, list):
            for i, item in enumerate(_check_list(str(key)[:40], value)):
                _check_value(f"{str(key)[:40]}[{i}]", item)
        else:
            _check_value(str(key)[:40], value)
