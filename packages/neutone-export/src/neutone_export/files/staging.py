"""An export folder that only a finished export replaces, for realtime and non-realtime models.

Every save builds its files in a hidden folder beside `root_dir` (`make_staging_folder`), proves the
file there as loaded, and swaps the folder into place in one step (`replace_folder_atomically`).
An error, Ctrl-C or a full disk removes the hidden folder and leaves the previous export
byte-identical. An export whose checks fail does not replace a passing one unless asked
(`overwrite_passing=True`); it is kept beside it as `<root_dir>.failed` so its report can be read,
and the next export that lands in `root_dir` removes that attempt, which no longer describes it.
A hidden folder left by an export that was killed outright is removed by the next export there.
"""

import errno
import io
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Tuple, Union

import torch

from neutone_export.files.atomic import (
    make_staging_folder,
    remove_abandoned_staging,
    replace_folder_atomically,
)
from neutone_export.files.load import METADATA_FILE, load_neutone_model
from neutone_export.suite.report import CheckResult, ValidationReport

MODEL_FILE = "model.nm"
REPORT_FILE = "report.json"
SAMPLES_DIR = "samples"
FAILED_SUFFIX = ".failed"
EXPORT_ENTRIES = frozenset({MODEL_FILE, METADATA_FILE, REPORT_FILE, SAMPLES_DIR})


class ExportError(ValueError):
    """A save refused its arguments or the model failed to run; one-line message."""


class ExportFailedError(ExportError):
    """The new export failed its checks and the folder holds a passing one, which was kept.

    `report` is the failed attempt's `ValidationReport`; `attempt_dir` is where it was kept.
    """

    failed_check = True  # a command line exits 1 (a check failed), not 2 (bad input)

    def __init__(self, message: str, report: ValidationReport, attempt_dir: Path) -> None:
        super().__init__(message)
        self.report = report
        self.attempt_dir = attempt_dir


class ExportWriteError(OSError):
    """Writing the export failed (disk full, permissions); the previous export is unchanged."""


class Progress:
    """One line per step on stderr, unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, line: str) -> None:
        if not self.quiet:
            print(f"neutone-export: {line}", file=sys.stderr, flush=True)

    def check(self, result: CheckResult) -> None:
        figure = f" ({result.figure_text()})" if result.figure_text() else ""
        self(f"  {result.status:<4} {result.name}{figure}")


def check_root(root_dir: Union[str, Path], caller: str) -> Path:
    """`root_dir` as an absolute folder path an export may replace; ExportError (one line, naming
    `caller`) if not."""
    root = Path(os.path.abspath(root_dir))
    if root.exists() and not root.is_dir():
        raise ExportError(
            f"{caller}: root_dir {root_dir} is a file; give a folder path (it is created if "
            "missing)"
        )
    for parent in root.parents:
        if parent.exists() and not parent.is_dir():
            raise ExportError(f"{caller}: root_dir {root_dir} lies under {parent}, which is a file")
    cwd = Path.cwd()
    if root == cwd or root in cwd.parents:
        raise ExportError(
            f"{caller}: root_dir {root_dir} holds the current folder, which an export replaces; "
            "give a subfolder"
        )
    if root.is_dir():
        foreign = sorted(entry.name for entry in root.iterdir() if entry.name not in EXPORT_ENTRIES)
        if foreign:
            shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
            raise ExportError(
                f"{caller}: root_dir {root_dir} holds files that are not part of an export "
                f"({shown}), which replacing it would delete; save into a new or empty folder"
            )
    return root


def holds_passing_export(root: Path) -> bool:
    """Whether `root` holds a model whose `report.json` says every check passed."""
    try:
        report = json.loads((root / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        (root / MODEL_FILE).is_file() and isinstance(report, dict) and report.get("passed") is True
    )


def write_file(path: Path, data: bytes) -> None:
    """Write one file of the staged export (the demo samples go through `write_samples`)."""
    with open(path, "wb") as handle:
        handle.write(data)


def nm_bytes(scripted: torch.jit.ScriptModule, metadata_json: str) -> bytes:
    """The `.nm` archive in memory, `metadata.json` inside: torch's own file writer aborts the
    process on a full disk, `write_file` raises."""
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer, _extra_files={METADATA_FILE: metadata_json})
    return buffer.getvalue()


def write_and_load(
    staging: Path,
    scripted: torch.jit.ScriptModule,
    metadata: Dict[str, Any],
    root_dir: Union[str, Path],
    progress: Progress,
) -> Tuple[torch.jit.ScriptModule, Dict[str, Any]]:
    """Write `model.nm` and `metadata.json` into `staging` and load the file back, so that what
    is validated is what was written. Progress names the files where they will land."""
    text = json.dumps(metadata, indent=2)
    progress(f"writing {Path(root_dir) / MODEL_FILE}")
    write_file(staging / MODEL_FILE, nm_bytes(scripted, text))
    write_file(staging / METADATA_FILE, (text + "\n").encode("utf-8"))
    progress(f"validating {Path(root_dir) / MODEL_FILE} as loaded")
    return load_neutone_model(staging / MODEL_FILE)


def _finish(staging: Path, target: Path, report: ValidationReport, source: Path) -> None:
    """Write `report.json` naming where the model will be, then swap `staging` in at `target`."""
    report.source = str(source)
    write_file(staging / REPORT_FILE, report.to_json().encode("utf-8"))
    replace_folder_atomically(staging, target)


def _remove_stale_attempt(failed: Path, progress: Progress) -> None:
    """Delete an earlier failed attempt kept at `failed`: the export beside it is newer. Only a
    real folder holding our `report.json` is touched."""
    if failed.is_dir() and not failed.is_symlink() and (failed / REPORT_FILE).is_file():
        shutil.rmtree(failed, ignore_errors=True)
        if not failed.exists():
            progress(f"removed {failed}, an earlier failed attempt")


def save_staged(
    root: Path,
    root_dir: Union[str, Path],
    build: Callable[[Path], ValidationReport],
    progress: Progress,
    *,
    overwrite_passing: bool,
    caller: str,
) -> ValidationReport:
    """Let `build(staging)` write and validate an export in a hidden folder, then put it in place.

    Args:
        root: `check_root(root_dir)`.
        root_dir: the folder as the user named it (for messages).
        build: writes every file but `report.json` into the folder it is given and returns the
            validation report of the file as loaded.
        progress: where the steps are told.
        overwrite_passing: let a failing export replace a passing one.
        caller: the public function's name, for messages.

    Returns:
        the report of the export now in `root` (it may have failed checks when `root` held no
        passing export).

    Raises:
        ExportFailedError: the checks failed and `root` keeps its passing export; the attempt is
            kept at `<root>.failed`.
        ExportWriteError: a write failed (disk full); `root` is unchanged.
    """
    # Beside the folder the export really lands in (a symlinked root is written through), so the
    # failed attempt is renamed within one folder and one file system.
    real_root = Path(os.path.realpath(root))
    failed = real_root.with_name(real_root.name + FAILED_SUFFIX)
    for abandoned in remove_abandoned_staging(root):
        progress(f"removed {abandoned}, left by an export that was killed")
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = make_staging_folder(root)
    except OSError as error:
        raise ExportWriteError(f"{caller}: cannot create {root_dir}: {error}") from None
    try:
        report = build(staging)
        lands = report.passed or overwrite_passing or not holds_passing_export(root)
        if lands:
            _finish(staging, root, report, Path(root_dir) / MODEL_FILE)
        else:
            _finish(staging, failed, report, failed / MODEL_FILE)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        progress(f"export stopped; {root_dir} is unchanged")
        if error.errno == errno.ENOSPC:
            problem = "the disk is full; free some space and save again"
        else:
            problem = f"{error.strerror or error}; check the folder's permissions and save again"
        failure = ExportWriteError(
            f"{caller}: writing the export of {root_dir} failed: {problem} "
            "(the previous export is unchanged)"
        )
        failure.errno = error.errno
        raise failure from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        progress(f"export stopped; {root_dir} is unchanged")
        raise
    if lands:
        _remove_stale_attempt(failed, progress)
        verdict = (
            "all checks passed" if report.passed else f"{len(report.failures)} check(s) failed"
        )
        progress(f"{verdict}; report in {Path(root_dir) / REPORT_FILE}")
        return report
    names = ", ".join(check.name for check in report.failures)
    message = (
        f"{caller}: {len(report.failures)} check(s) failed ({names}); {root_dir} keeps its "
        f"passing export; the failed attempt's report is {failed / REPORT_FILE}; "
        "pass overwrite_passing=True to replace it anyway"
    )
    progress(message)
    raise ExportFailedError(message, report, failed)
