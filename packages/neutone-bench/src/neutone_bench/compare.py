"""`speed --compare BASELINE.json`: the change of the median call per setting against a saved run.

The baseline is the JSON of an earlier `neutone-bench speed --json FILE`. Settings are matched by
sample rate and buffer size; the median (not the mean, not the maximum: the figure that one
disturbed call cannot move) is compared, and a setting whose median grew by more than the
threshold is a regression (the command then exits with status 1).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neutone_bench.render import ms

#: Largest threshold accepted, in percent.
MAX_THRESHOLD_PERCENT = 1000.0


def parse_threshold(text: str) -> float:
    """``"10%"`` or ``"10"`` as the fraction 0.1; ``ValueError`` naming the option otherwise."""
    number = text.strip().removesuffix("%")
    try:
        percent = float(number)
    except ValueError:
        percent = math.nan
    if not (math.isfinite(percent) and 0.0 < percent <= MAX_THRESHOLD_PERCENT):
        raise ValueError(
            f"--threshold must be a percentage in (0, {MAX_THRESHOLD_PERCENT:g}]%, got {text!r}"
        )
    return percent / 100.0


def load_baseline(path: Path) -> dict[tuple[int, int], float]:
    """Median call time (seconds) per ``(sample rate, buffer size)`` of a saved speed run.

    Anything a `speed --json` run cannot have written is refused with a ``ValueError`` naming the
    field: a setting outside ``neutone_core.limits``, a median that is not a finite number of
    seconds above 0 (a gate against 0 or NaN would pass any run), a setting given twice.
    """
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--compare: {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--compare: {path}: not a JSON file ({exc})") from None
    except RecursionError:
        raise ValueError(f"--compare: {path}: not a JSON file (nested too deeply)") from None
    if not (
        isinstance(data, dict)
        and data.get("tool") == "neutone-bench"
        and data.get("command") == "speed"
    ):
        raise ValueError(f"--compare: {path} is not the JSON of `neutone-bench speed --json`")
    if data.get("realtime") is False:
        raise ValueError(f"--compare: {path} times a non-realtime model per clip, not per buffer")
    results = data.get("results")
    if not isinstance(results, list) or not results:
        raise ValueError(f"--compare: {path}: 'results' must be a non-empty list of settings")
    medians: dict[tuple[int, int], float] = {}
    for index, row in enumerate(results):
        where = f"--compare: {path}: results[{index}]"
        if not isinstance(row, dict):
            raise ValueError(f"{where} must be an object, got {type(row).__name__}")
        key = (_setting(row, "sample_rate", where), _setting(row, "buffer_size", where))
        if key in medians:
            raise ValueError(f"{where}: {key[0]} Hz / {key[1]} samples appears twice")
        medians[key] = _median(row, where)
    return medians


def _setting(row: dict[str, Any], field: str, where: str) -> int:
    """A sample rate or buffer size of a baseline row, checked against ``neutone_core.limits``."""
    from neutone_core.limits import LimitError, check_buffer_size, check_sample_rate

    value = row.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}.{field} must be an integer, got {value!r:.40}")
    check = check_sample_rate if field == "sample_rate" else check_buffer_size
    try:
        check(value, f"{where}.{field}")
    except LimitError as exc:
        raise ValueError(str(exc)) from None
    return value


def _median(row: dict[str, Any], where: str) -> float:
    """The median of a baseline row: a finite number of seconds above 0."""
    value = row.get("median_s")
    number = (
        float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    )
    if number is None or not (math.isfinite(number) and number > 0.0):
        raise ValueError(
            f"{where}.median_s must be a finite number of seconds > 0, got {value!r:.40}"
        )
    return number


@dataclass(frozen=True)
class Change:
    """One setting's median now and in the baseline; ``change`` is relative (0.1: 10 % slower)."""

    sample_rate: int
    buffer_size: int
    baseline_s: float
    current_s: float
    threshold: float

    @property
    def change(self) -> float:
        """Relative change of the median, positive when slower."""
        return self.current_s / self.baseline_s - 1.0

    @property
    def regression(self) -> bool:
        """Whether the median grew by more than the threshold."""
        return self.change > self.threshold

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON."""
        return {
            "sample_rate": self.sample_rate,
            "buffer_size": self.buffer_size,
            "baseline_median_s": self.baseline_s,
            "median_s": self.current_s,
            "change": self.change,
            "regression": self.regression,
        }


def compare(
    current: dict[tuple[int, int], float], baseline: dict[tuple[int, int], float], threshold: float
) -> list[Change]:
    """A ``Change`` for every setting measured now that the baseline holds too, in current order."""
    return [
        Change(sr, bs, baseline[(sr, bs)], median_s, threshold)
        for (sr, bs), median_s in current.items()
        if (sr, bs) in baseline
    ]


HEADERS = ["rate Hz", "buffer", "baseline median ms", "median ms", "change %", "verdict"]


def change_cells(changes: Sequence[Change]) -> list[list[str]]:
    """Table rows: the medians, the change in percent, and the verdict."""
    return [
        [
            str(c.sample_rate),
            str(c.buffer_size),
            ms(c.baseline_s),
            ms(c.current_s),
            f"{100.0 * c.change:+.1f}",
            "REGRESSION" if c.regression else "ok",
        ]
        for c in changes
    ]
