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
    """Median call time (seconds) per ``(sample rate, buffer size)`` of a saved speed run."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--compare: {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--compare: {path}: not a JSON file ({exc})") from None
    if not (
        isinstance(data, dict)
        and data.get("tool") == "neutone-bench"
        and data.get("command") == "speed"
    ):
        raise ValueError(f"--compare: {path} is not the JSON of `neutone-bench speed --json`")
    medians = {}
    for row in data.get("results", []):
        try:
            key = (int(row["sample_rate"]), int(row["buffer_size"]))
            value = float(row["median_s"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"--compare: {path}: a result lacks sample_rate, buffer_size or median_s"
            ) from None
        if math.isfinite(value) and value > 0.0:
            medians[key] = value
    return medians


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
