"""`neutone-examples export`: export example models as `.nm` files and show how each validated.

Each example NAME is saved with `neutone_export.save_neutone_model` to ``OUT/NAME/`` (``model.nm``,
``metadata.json``, demo samples, ``report.json``). The summary table (stdout) gives, per example,
the validation checks passed, the total delay the exported file reports at 48 kHz with 128-sample
buffers, and the slowest realtime factor measured by the suite. Progress and errors go to stderr.
Exit code 1 if any example fails a check or cannot be exported; 2 for an unknown name.
"""

import json
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Dict, List

import typer
from rich.console import Console
from rich.table import Table

from neutone_examples.registry import EXAMPLES, build_example
from neutone_export import load_neutone_model, save_neutone_model

DELAY_SAMPLE_RATE = 48000
DELAY_BUFFER_SIZE = 128

app = typer.Typer(
    name="neutone-examples",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
stdout_console = Console()
stderr_console = Console(stderr=True)


@app.callback()
def main() -> None:
    """Example neutone models: export them, validated, as .nm files for the Neutone plugin."""
    # The plugin loads TorchScript, so torch's deprecation of it is noise on every save and load.
    warnings.filterwarnings(
        "ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning
    )


@dataclass
class ExportRow:
    """The outcome of exporting one example."""

    name: str
    passed: bool
    checks_passed: int
    checks_total: int
    failed_checks: List[str]
    delay_samples: int | None
    realtime_factor: float | None
    seconds: float
    path: str
    error: str = ""

    def cells(self) -> List[str]:
        """The table row."""
        status = "[green]pass[/]" if self.passed else "[red]FAIL[/]"
        checks = f"{self.checks_passed}/{self.checks_total}" if self.checks_total else "-"
        if self.failed_checks:
            checks += f" (failed: {', '.join(self.failed_checks)})"
        if self.error:
            checks = self.error
        delay = "-" if self.delay_samples is None else str(self.delay_samples)
        rtf = "-" if self.realtime_factor is None else f"{self.realtime_factor:.1f}x"
        return [self.name, status, checks, delay, rtf, f"{self.seconds:.1f}"]


def _delay_at_48k(model_file: Path) -> int:
    """Total delay (buffering + model), in host samples, of the saved file at 48 kHz/128."""
    module, _ = load_neutone_model(model_file)
    module.set_daw_sample_rate_and_buffer_size(DELAY_SAMPLE_RATE, DELAY_BUFFER_SIZE)
    return int(module.calc_buffering_delay_samples()) + int(module.calc_model_delay_samples())


def export_example(name: str, out: Path, verbose: bool) -> ExportRow:
    """Save example `name` to ``out / name`` and summarise its validation report."""
    folder = out / name
    start = time.perf_counter()
    try:
        report = save_neutone_model(build_example(name), folder, quiet=not verbose)
    except ValueError as error:  # ScriptingError, MetadataError: the model cannot be exported
        lines = str(error).strip().splitlines()
        return ExportRow(
            name=name,
            passed=False,
            checks_passed=0,
            checks_total=0,
            failed_checks=[],
            delay_samples=None,
            realtime_factor=None,
            seconds=time.perf_counter() - start,
            path=str(folder),
            error=f"{type(error).__name__}: {lines[0] if lines else ''}",
        )
    realtime = next((c.figure for c in report.checks if c.name == "realtime"), None)
    return ExportRow(
        name=name,
        passed=report.passed,
        checks_passed=sum(1 for check in report.checks if check.passed),
        checks_total=len(report.checks),
        failed_checks=[check.name for check in report.failures],
        delay_samples=_delay_at_48k(folder / "model.nm"),
        realtime_factor=realtime,
        seconds=time.perf_counter() - start,
        path=str(folder),
    )


def _print_table(rows: List[ExportRow]) -> None:
    table = Table(
        title="neutone examples",
        caption=(
            f"delay: samples at {DELAY_SAMPLE_RATE} Hz with {DELAY_BUFFER_SIZE}-sample buffers; "
            "realtime: audio seconds per second, slowest setting of the suite"
        ),
    )
    for column, justify in (
        ("example", "left"),
        ("result", "left"),
        ("checks", "left"),
        ("delay", "right"),
        ("realtime", "right"),
        ("time (s)", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=column != "checks")
    for row in rows:
        table.add_row(*row.cells())
    stdout_console.print(table)


@app.command()
def export(
    names: Annotated[
        List[str] | None,
        typer.Argument(
            metavar="NAMES", help="Examples to export (default: all): " + ", ".join(EXAMPLES)
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder; each example goes to OUT/NAME.")
    ] = Path("exports"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of a table.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every check as it runs (stderr).")
    ] = False,
) -> None:
    """Export example models with save_neutone_model and summarise their validation."""
    selected = list(dict.fromkeys(names)) if names else list(EXAMPLES)
    unknown = [name for name in selected if name not in EXAMPLES]
    if unknown:
        raise typer.BadParameter(
            f"unknown example(s) {', '.join(unknown)}; known: {', '.join(EXAMPLES)}",
            param_hint="NAMES",
        )
    rows: List[ExportRow] = []
    for index, name in enumerate(selected, start=1):
        stderr_console.print(f"[{index}/{len(selected)}] exporting {name} to {out / name} ...")
        row = export_example(name, out, verbose)
        rows.append(row)
        if row.error:
            stderr_console.print(f"  [red]cannot export {name}[/]: {row.error}")
        else:
            verdict = "all checks passed" if row.passed else f"FAILED {row.failed_checks}"
            stderr_console.print(f"  {verdict} ({row.seconds:.1f} s)")
    if as_json:
        payload: List[Dict[str, Any]] = [asdict(row) for row in rows]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        _print_table(rows)
    failed = [row.name for row in rows if not row.passed]
    if failed:
        stderr_console.print(f"[red]{len(failed)} example(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(code=1)
