"""What the validation suite returns: a `CheckResult` per check in a `ValidationReport`.

JSON has no NaN or infinity: `to_dict()` writes a non-finite figure as `null` with
`"figure_non_finite": true`, and any other non-finite number as `null`, so `report.json` is strict
JSON that every parser reads.
"""

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from neutone_export.files.atomic import atomic_write_text

PASS, FAIL, SKIP, WARN = "pass", "fail", "skip", "warn"


@dataclass
class CheckResult:
    """The outcome of one check.

    `figure` is the number the check measured (in `unit`), `message` says what it means. A skipped
    check (`skipped=True`, e.g. a Neutone SDK 1.5 file without a method the check needs) counts as
    passed; `warning=True` marks a passed check worth a look (a realtime factor below 1).
    `seconds` is how long the check took (set by the runner).
    """

    name: str
    passed: bool
    figure: float | None
    message: str
    unit: str = ""
    skipped: bool = False
    warning: bool = False
    seconds: float | None = None

    @property
    def status(self) -> str:
        """One of "pass", "fail", "skip", "warn"."""
        if self.skipped:
            return SKIP
        if not self.passed:
            return FAIL
        return WARN if self.warning else PASS

    def figure_text(self) -> str:
        """The figure with its unit, for tables; empty when nothing was measured."""
        if self.figure is None:
            return ""
        value = self.figure
        if not math.isfinite(value):
            return f"{value} {self.unit}".strip()
        text = f"{int(value)}" if float(value).is_integer() else f"{value:.3g}"
        return f"{text} {self.unit}".strip()

    @property
    def figure_is_finite(self) -> bool:
        """False when the figure is NaN or infinite (such a check never passes)."""
        return self.figure is None or math.isfinite(self.figure)

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary, with the derived `status`; NaN/inf figure as null + flag."""
        data = asdict(self)
        data["status"] = self.status
        data["figure_non_finite"] = not self.figure_is_finite
        return _finite_or_null(data)


@dataclass
class ValidationReport:
    """All checks run on one model; `source` names the file or object checked.

    `trace` is the `TraceReport.to_dict()` of a model saved with ``trace=True``: the proof that the
    traced inner model equals the Python one.
    """

    source: str
    checks: List[CheckResult] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)
    trace: Optional[Dict[str, Any]] = None

    @property
    def passed(self) -> bool:
        """True when no check failed (skipped and warned checks count as passed)."""
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> List[CheckResult]:
        """The checks that failed, in the order they ran."""
        return [check for check in self.checks if not check.passed]

    def __getitem__(self, name: str) -> CheckResult:
        """The check called `name`; raises KeyError naming the known checks."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; checks: {[c.name for c in self.checks]}")

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary: source, overall verdict, settings, every check, and the
        trace proof when there is one."""
        data = {
            "source": self.source,
            "passed": self.passed,
            "settings": _finite_or_null(self.settings),
            "checks": [check.to_dict() for check in self.checks],
        }
        if self.trace is not None:
            data["trace"] = _finite_or_null(self.trace)
        return data

    def to_json(self) -> str:
        """`to_dict()` as indented, strict JSON (no NaN or Infinity tokens), newline-terminated."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def write_json(self, path: Union[str, Path]) -> None:
        """Write `to_json()` to `path` through a temporary file renamed into place."""
        atomic_write_text(path, self.to_json())


def _finite_or_null(value: Any) -> Any:
    """`value` with every NaN or infinite float inside it replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(item) for item in value]
    return value
