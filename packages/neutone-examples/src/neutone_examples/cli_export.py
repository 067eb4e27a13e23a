"""`neutone-examples export`: export example models as `.nm` files and show how each validated.

Each example NAME is saved with `neutone_export.save_neutone_model` to ``OUT/NAME/`` (``model.nm``,
``metadata.json``, demo samples, ``report.json``). The summary table (stdout) gives, per example,
the validation checks passed, the total delay the exported file reports at 48 kHz with 128-sample
buffers, and the slowest realtime factor measured by the suite. Progress and errors go to stderr.
A failed quality check (reset, streaming, eager, determinism: what would not break the plugin) is
a warning with its fix and the example counts as exported; `--strict` counts it as a failure.
``--format`` (default ``all``) also writes each realtime example's pt2 package (``OUT/NAME/
model.pt2pkg``, torch.export + AOTInductor, proven against the `.nm`); an example torch.export
cannot capture gets its `.nm` and one line saying why (which construct, which module).
Exit status 1 if any example fails a check that would break the plugin (any check with
`--strict`) or cannot be exported; 2 for an unknown name or an OUT that cannot be written (one
line, before any work).
"""

import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Dict, List, Optional, Tuple

import typer
from rich.table import Table

from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_output_file,
    check_output_folder,
    emit_json,
    envelope,
    stderr_console,
    stdout_console,
    table_wanted,
)

DELAY_SAMPLE_RATE = 48000
DELAY_BUFFER_SIZE = 128


def register(app: typer.Typer) -> None:
    """Join the `export` command to `app`."""
    app.command("export")(export)


@dataclass
class ExportRow:
    """The outcome of exporting one example."""

    name: str
    passed: bool
    checks_passed: int
    checks_total: int
    failed_checks: List[str]
    warned_checks: List[str]
    delay_samples: int | None
    realtime_factor: float | None
    seconds: float
    path: str
    error: str = ""
    package: str = "-"

    def cells(self) -> List[str]:
        """The table row."""
        status = "[red]FAIL[/]"
        if self.passed:
            status = "[yellow]warn[/]" if self.warned_checks else "[green]pass[/]"
        checks = f"{self.checks_passed}/{self.checks_total}" if self.checks_total else "-"
        refused = [name for name in self.failed_checks if name not in self.warned_checks]
        if refused:
            checks += f" (failed: {', '.join(refused)})"
        if self.warned_checks:
            checks += f" (warnings: {', '.join(self.warned_checks)})"
        if self.error:
            checks = self.error
        delay = "-" if self.delay_samples is None else str(self.delay_samples)
        rtf = "-" if self.realtime_factor is None else f"{self.realtime_factor:.1f}x"
        package = {"written": "yes", "-": "-"}.get(self.package, "no")  # the reason is on stderr
        return [self.name, status, checks, delay, rtf, package, f"{self.seconds:.1f}"]


def _delay_at_48k(model_file: Path) -> Optional[int]:
    """Total delay (buffering + model), in host samples, of the saved file at 48 kHz/128.

    None for a non-realtime file, which returns whole clips and has no streaming delay.
    """
    from neutone_export import load_neutone_model

    module, _ = load_neutone_model(model_file)
    if not bool(module.realtime):
        return None
    module.set_daw_sample_rate_and_buffer_size(DELAY_SAMPLE_RATE, DELAY_BUFFER_SIZE)
    return int(module.calc_buffering_delay_samples()) + int(module.calc_model_delay_samples())


FORMATS = {"nm": ("nm",), "pt2": ("nm", "pt2"), "all": ("nm", "pt2")}
"""--format -> the formats saved: the package is proven against the `.nm`, so both need it."""


def _package_status(
    report_settings: Dict[str, Any], formats: Tuple[str, ...], realtime: bool
) -> str:
    """The row's pt2 cell: "written", "not written: <why>", or "-" (not asked, or Gen)."""
    if "pt2" not in formats or not realtime:
        return "-"
    package = report_settings.get("pt2_package") or {}
    if package.get("written"):
        return "written"
    return f"not written: {package.get('reason', 'no package status in the report')}"


def export_example(
    name: str,
    out: Path,
    verbose: bool,
    trace: bool = False,
    strict: bool = False,
    formats: Tuple[str, ...] = ("nm",),
) -> ExportRow:
    """Save example `name` to ``out / name`` in `formats` (a Gen example: the `.nm` only) and
    summarise its validation report; with `strict` a failed quality check counts as a failure,
    else as a warning."""
    from neutone_examples.registry import GEN_EXAMPLES, build_example
    from neutone_export import save_neutone_model
    from neutone_export.files.save import PackageNotWrittenWarning
    from neutone_export.kinds.dispatch import kind_of_model
    from neutone_export.suite.runner import blocking_failures

    folder = out / name
    start = time.perf_counter()
    # A non-realtime model is scripted whole: tracing applies to the realtime examples only.
    trace = trace and name not in GEN_EXAMPLES
    streams = name not in GEN_EXAMPLES
    saved = formats if streams else ("nm",)  # a Gen model has no per-block graph to package
    try:
        model = build_example(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PackageNotWrittenWarning)  # the row says it
            report = save_neutone_model(
                model, folder, quiet=not verbose, trace=trace, formats=saved
            )
    except ValueError as error:  # ScriptingError, MetadataError: the model cannot be exported
        lines = str(error).strip().splitlines()
        return ExportRow(
            name=name,
            passed=False,
            checks_passed=0,
            checks_total=0,
            failed_checks=[],
            warned_checks=[],
            delay_samples=None,
            realtime_factor=None,
            seconds=time.perf_counter() - start,
            path=str(folder),
            error=f"{type(error).__name__}: {lines[0] if lines else ''}",
        )
    realtime = next((c.figure for c in report.checks if c.name == "realtime"), None)
    refused = {c.name for c in blocking_failures(report.checks, kind_of_model(model).checks)}
    failed = [check.name for check in report.failures]
    warned = [] if strict else [name for name in failed if name not in refused]
    return ExportRow(
        name=name,
        passed=len(warned) == len(failed),
        checks_passed=sum(1 for check in report.checks if check.passed),
        checks_total=len(report.checks),
        failed_checks=failed,
        warned_checks=warned,
        delay_samples=_delay_at_48k(folder / "model.nm"),
        realtime_factor=realtime,
        seconds=time.perf_counter() - start,
        path=str(folder),
        package=_package_status(report.settings, formats, streams),
    )


def _print_table(rows: List[ExportRow]) -> None:
    table = Table(
        title="neutone examples",
        caption=(
            f"delay: samples at {DELAY_SAMPLE_RATE} Hz with {DELAY_BUFFER_SIZE}-sample buffers; "
            "realtime: audio seconds per second, slowest setting of the suite; pt2: the package "
            "was written; s: seconds the export took"
        ),
    )
    for column in ("example", "result", "checks"):
        table.add_column(column, justify="left", no_wrap=column != "checks")
    for column in ("delay", "realtime", "pt2", "s"):
        table.add_column(column, justify="right", no_wrap=True)  # figures line up on the right
    for row in rows:
        table.add_row(*row.cells())
    stdout_console().print(table)


def export(
    names: Annotated[
        Optional[List[str]],
        typer.Argument(
            metavar="NAMES",
            help="Examples to export (default: all; `neutone-examples export --help` lists them).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder; each example goes to OUT/NAME.")
    ] = Path("exports"),
    json_file: JsonOption = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every check as it runs (stderr).")
    ] = False,
    trace: Annotated[
        bool,
        typer.Option(
            "--trace",
            help="Trace each realtime example's inner model at its block shape instead of "
            "scripting it (proven equal to the Python model first).",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Count a failed quality check (reset, streaming, eager, determinism) as a "
            "failure, not a warning.",
        ),
    ] = False,
    format_name: Annotated[
        str,
        typer.Option(
            "--format",
            help="nm: the .nm only; pt2 or all: the .nm and the pt2 package (torch.export + "
            "AOTInductor, proven against the .nm; realtime examples; tens of seconds each).",
        ),
    ] = "all",
) -> None:
    """Export example models with save_neutone_model and summarise their validation."""
    if format_name not in FORMATS:
        raise BadInput(f"--format: must be one of {', '.join(FORMATS)}, got {format_name!r}")
    formats = FORMATS[format_name]
    check_output_folder(out, "--out")
    check_output_file(json_file, "--json", allow_stdout=True)

    from neutone_examples.registry import ALL_EXAMPLES

    selected = list(dict.fromkeys(names)) if names else list(ALL_EXAMPLES)
    unknown = [name for name in selected if name not in ALL_EXAMPLES]
    if unknown:
        raise BadInput(
            f"NAMES: unknown example(s) {', '.join(unknown)}; known: {', '.join(ALL_EXAMPLES)}"
        )
    out.mkdir(exist_ok=True)
    err = stderr_console()
    rows: List[ExportRow] = []
    for index, name in enumerate(selected, start=1):
        err.print(f"[{index}/{len(selected)}] exporting {name} to {out / name} ...")
        row = export_example(name, out, verbose, trace, strict, formats)
        rows.append(row)
        if row.package.startswith("not written"):
            err.print(f"  pt2 package of {name} {row.package}", markup=False)
        if row.error:
            err.print(f"  [red]cannot export {name}[/]: {row.error}")
        else:
            verdict = "all checks passed" if row.passed else f"FAILED {row.failed_checks}"
            if row.passed and row.warned_checks:
                verdict = f"exported with warnings {row.warned_checks} (see {row.path}/report.json)"
            err.print(f"  {verdict} ({row.seconds:.1f} s)")
    if table_wanted(json_file):
        _print_table(rows)
    if json_file is not None:
        data = {"command": "export", "out": str(out), "examples": [asdict(row) for row in rows]}
        emit_json(envelope("neutone-examples", data), json_file)
    failed = [row.name for row in rows if not row.passed]
    if failed:
        err.print(f"[red]{len(failed)} example(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(code=1)
