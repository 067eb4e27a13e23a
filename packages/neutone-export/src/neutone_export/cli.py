"""`neutone-export`: the command line of the validation suite.

`neutone-export check model.nm` runs every check on a `.nm` file (ours or the Neutone SDK 1.5's),
prints a table on stdout and one progress line per check on stderr. Exit status: 0 when all checks
pass, 1 when one fails, 2 for a bad file or option (one line on stderr, no traceback).
"""

import json
import warnings
from pathlib import Path
from typing import Annotated, List, TextIO

import typer
from rich.console import Console
from rich.table import Table

from neutone_export.load import NotANeutoneModelError, load_neutone_model
from neutone_export.report import FAIL, SKIP, WARN, CheckResult, ValidationReport
from neutone_export.validation import validate_neutone_model

app = typer.Typer(
    help="Export, load and validate Neutone `.nm` model files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # errors as one plain line (see BadInput), not a panel
)

_STYLES = {FAIL: "bold red", SKIP: "dim", WARN: "yellow"}


class BadInput(typer.BadParameter):
    """`typer.BadParameter` shown as one line on stderr (exit status 2), without the usage text."""

    def show(self, file: TextIO | None = None) -> None:
        typer.echo(f"Error: {self.format_message()}", err=True)


@app.callback()
def main() -> None:
    """Export, load and validate Neutone `.nm` model files."""


def _table(report: ValidationReport) -> Table:
    table = Table(title=f"neutone-export check {report.source}")
    for column in ("check", "status", "figure", "details"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        style = _STYLES.get(check.status, "green")
        table.add_row(check.name, f"[{style}]{check.status}[/]", check.figure_text(), check.message)
    return table


@app.command()
def check(
    model_path: Annotated[Path, typer.Argument(help="The .nm file to validate.")],
    json_path: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Also write the report as JSON to this file ('-': stdout, no table)."
        ),
    ] = None,
    sample_rate: Annotated[
        List[int] | None,
        typer.Option(
            "--sample-rate", help="Host sample rate to test besides 44100 and 48000 (repeatable)."
        ),
    ] = None,
    seconds: Annotated[float, typer.Option(help="Length of the test signals, in seconds.")] = 0.5,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")
    ] = False,
) -> None:
    """Run the validation suite on MODEL_PATH; exit 1 if a check fails."""
    with warnings.catch_warnings():
        # The plugin loads TorchScript; torch's deprecation notice about it is noise here.
        warnings.filterwarnings("ignore", r"`torch\.jit\.[a-z_]+` is deprecated", FutureWarning)
        _check(model_path, json_path, sample_rate, seconds, quiet)


def _check(
    model_path: Path,
    json_path: Path | None,
    sample_rate: List[int] | None,
    seconds: float,
    quiet: bool,
) -> None:
    err = Console(stderr=True, highlight=False)
    try:
        module, metadata = load_neutone_model(model_path)
    except NotANeutoneModelError as error:
        raise BadInput(str(error), param_hint="MODEL_PATH") from None
    if seconds <= 0:
        raise BadInput(f"must be > 0, got {seconds}", param_hint="--seconds")
    if any(rate <= 0 for rate in sample_rate or []):
        raise BadInput(f"must be > 0 Hz, got {sample_rate}", param_hint="--sample-rate")

    def progress(result: CheckResult) -> None:
        if not quiet:
            err.print(f"{result.status:<4} {result.name} {result.figure_text()}".rstrip())

    report = validate_neutone_model(
        module,
        metadata=metadata,
        sample_rates=sample_rate or [],
        seconds=seconds,
        on_check=progress,
    )
    report.source = str(model_path)
    if json_path is not None and str(json_path) == "-":
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        if json_path is not None:
            report.write_json(json_path)
        Console(highlight=False).print(_table(report))
    if not report.passed:
        names = ", ".join(check.name for check in report.failures)
        err.print(f"[bold red]failed:[/] {names}")
        raise typer.Exit(code=1)
