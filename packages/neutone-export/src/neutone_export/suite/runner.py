"""The one check runner: every catalogue (realtime, non-realtime, native, and any file format to
come) lists its checks as `Check` records and `run_checks` runs them under the same rules.

- a check listed in `skip` is reported as skipped with the reason given;
- a check that needs a method the module lacks is reported as skipped, naming the method;
- a check that raises is reported as failed with the error in one line (`errors.one_line`); the
  suite goes on;
- a check whose figure is NaN or infinite never passes, whatever it concluded;
- the checks run without autograd, with `num_threads` intra-op threads (restored afterwards);
- each result carries how long its check took (`CheckResult.seconds`).
"""

import time
from dataclasses import dataclass
from typing import Callable, Generic, List, Mapping, Protocol, Sequence, TypeVar

import torch

from neutone_export.errors import one_line
from neutone_export.suite.report import CheckResult


class Subject(Protocol):
    """What a check context must answer for the runner: whether the module offers a method."""

    def has(self, name: str) -> bool:
        """Whether the module under test offers the method or attribute `name`."""


ContextT = TypeVar("ContextT", bound=Subject)


@dataclass(frozen=True)
class Check(Generic[ContextT]):
    """One check of a catalogue.

    `run(context)` returns the `CheckResult`; `needs` names the methods it calls (missing ones
    make it a skip, with `skip_note` appended to the reason).

    A submission (`save_neutone_model(..., submission=True)`) is refused only for what would
    break in the plugin: `blocks_submission` is True for such a check (does not load, wrong
    contract, NaN/inf, wrong shape, reported delay off) and False for a quality finding, which
    is reported as a warning with its fix (`fix`, one clause). `blocks_strict` is whether it
    refuses a submission with `strict=True` (every check but those that never fail or that time
    the machine).
    """

    name: str
    run: Callable[[ContextT], CheckResult]
    needs: Sequence[str] = ()
    blocks_submission: bool = True
    skip_note: str = ""
    blocks_strict: bool = True
    fix: str = ""


def _run_one(check: Check[ContextT], context: ContextT, skip: Mapping[str, str]) -> CheckResult:
    """One check under the runner's rules (skips, exceptions, non-finite figures)."""
    missing = [method for method in check.needs if not context.has(method)]
    if check.name in skip:
        return CheckResult(check.name, True, None, skip[check.name], skipped=True)
    if missing:
        reason = f"skipped: needs {', '.join(missing)}, which the module lacks{check.skip_note}"
        return CheckResult(check.name, True, None, reason, skipped=True)
    try:
        with torch.no_grad():
            result = check.run(context)
    except Exception as error:  # noqa: BLE001  # a check reports, never crashes the suite
        return CheckResult(check.name, False, None, f"raised {one_line(error)}")
    if result.passed and not result.figure_is_finite:
        message = f"figure is {result.figure}: a NaN or infinite figure never passes; "
        return CheckResult(check.name, False, result.figure, message + result.message, result.unit)
    return result


def run_checks(
    checks: Sequence[Check[ContextT]],
    context: ContextT,
    *,
    skip: Mapping[str, str] | None = None,
    num_threads: int | None = 1,
    on_check: Callable[[CheckResult], None] | None = None,
) -> List[CheckResult]:
    """Run `checks` in order on `context`; `on_check` is called with each result as it is known.

    Raises:
        ValueError: `skip` names a check that is not in `checks`, or `num_threads` < 1.
    """
    skip = dict(skip or {})
    known = [check.name for check in checks]
    unknown = sorted(set(skip) - set(known))
    if unknown:
        raise ValueError(f"skip names unknown checks {unknown}; known: {known}")
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    results: List[CheckResult] = []
    try:
        for check in checks:
            started = time.perf_counter()
            result = _run_one(check, context, skip)
            result.seconds = time.perf_counter() - started
            results.append(result)
            if on_check is not None:
                on_check(result)
    finally:
        torch.set_num_threads(previous_threads)
    return results


def blocking_failures(
    results: Sequence[CheckResult], checks: Sequence[Check], *, strict: bool = False
) -> List[CheckResult]:
    """The failed results that refuse a submission: those of the checks that block one, or with
    `strict` those of every check that blocks a strict one."""
    if strict:
        refusing = {check.name for check in checks if check.blocks_strict}
    else:
        refusing = {check.name for check in checks if check.blocks_submission}
    return [result for result in results if not result.passed and result.name in refusing]


def quality_findings(results: Sequence[CheckResult], checks: Sequence[Check]) -> List[CheckResult]:
    """The failed results of the checks that inform and never refuse a (non-strict) submission."""
    informative = {check.name for check in checks if not check.blocks_submission}
    return [result for result in results if not result.passed and result.name in informative]
