"""What the validation suite returns: a `CheckResult` per check in a `ValidationReport`."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Union

PASS, FAIL, SKIP, WARN = "pass", "fail", "skip", "warn"


@dataclass
class CheckResult:
    """The outcome of one check.

    `figure` is the number the check measured (in `unit`), `message` says what it means. A skipped
    check (`skipped=True`, e.g. a Neutone SDK 1.5 file without a method the check needs) counts as
    passed; `warning=True` marks a passed check worth a look (a realtime factor below 1).
    """

    name: str
    passed: bool
    figure: float | None
    message: str
    unit: str = ""
    skipped: bool = False
    warning: bool = False

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
        text = f"{int(value)}" if float(value).is_integer() else f"{value:.3g}"
        return f"{text} {self.unit}".strip()

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary, with the derived `status`."""
        data = asdict(self)
        data["status"] = self.status
        return data


@dataclass
class ValidationReport:
    """All checks run on one model; `source` names the file or object checked."""

    source: str
    checks: List[CheckResult] = field(default_factory=list)
    settings: Dict[str, Any] = field(default_factory=dict)

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
        """Plain JSON-ready dictionary: source, overall verdict, settings and every check."""
        return {
            "source": self.source,
            "passed": self.passed,
            "settings": self.settings,
            "checks": [check.to_dict() for check in self.checks],
        }

    def write_json(self, path: Union[str, Path]) -> None:
        """Write `to_dict()` as indented JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
