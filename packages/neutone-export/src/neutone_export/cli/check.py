"""`neutone-export check model.nm`: run the validation suite on a `.nm` file.

Prints a table on stdout and one progress line per check on stderr. Exit status: 0 when every
check passes, 1 when one fails, 2 for a bad file or option (one line on stderr).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, List, Optional

import typer
from rich.table import Table

from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_input_file,
    check_output_file,
    checked,
    checked_all,
    emit_json,
    envelope,
    shown,
    stderr_console,
    stdout_console,
    table_wanted,
)

if TYPE_CHECKING:  # the command imports torch only when it runs
    from neutone_export.suite.report import CheckResult

_STYLES = {"fail": "bold red", "skip": "dim", "warn": "yellow"}


def register(app: typer.Typer) -> None:
    """Join the `check` command to `app`."""
    app.command("check")(check)


def check(
    model_path: Annotated[Path, typer.Argument(help="The .nm file to validate.")],
    json_file: JsonOption = None,
    sample_rate: Annotated[
        Optional[List[int]],
        typer.Option(
            "--sample-rate", help="Host sample rate to test besides 44100 and 48000 (repeatable)."
        ),
    ] = None,
    seconds: Annotated[float, typer.Option(help="Length of the test signals, in seconds.")] = 0.5,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="python|native",
            help="native: also run the streaming and delay checks in a C++ libtorch runner, as "
            "the plugin loads the file (built on first use; needs a C++ compiler).",
        ),
    ] = "python",
) -> None:
    """Run the validation suite on MODEL_PATH; exit 1 if a check fails."""
    check_input_file(model_path, "MODEL_PATH")
    from neutone_core.limits import check_sample_rate, check_seconds

    if host not in ("python", "native"):
        raise BadInput(f"--host: {host!r} is not a host; use python or native")

    rates = checked_all(check_sample_rate, sample_rate or [], "--sample-rate")
    seconds = checked(check_seconds, seconds, "--seconds")
    check_output_file(json_file, "--json", inputs=[model_path], allow_stdout=True)

    from neutone_export.files.load import NotANeutoneModelError, load_neutone_model
    from neutone_export.kinds.dispatch import kind_of_module
    from neutone_export.suite.validate import validate_neutone_model

    try:
        # Loaded leniently: a file the plugin would refuse (no `realtime`, a preserved name missing)
        # fails the `plugin_load` check by name, exit 1, instead of being called unreadable.
        module, metadata = load_neutone_model(model_path, strict=False)
    except NotANeutoneModelError as error:
        raise BadInput(f"MODEL_PATH: {error}") from None
    if host == "native" and not kind_of_module(module).streams:
        raise BadInput(
            "--host native: MODEL_PATH is a non-realtime (Gen) model; the native checks stream "
            "realtime models; drop --host native"
        )
    if host == "native":
        from neutone_export.native.host import build_runner

        build_runner()  # no compiler: one line (exit 2) before any check runs
    err = stderr_console()

    def progress(result: "CheckResult") -> None:
        if not quiet:
            err.print(shown(f"{result.status:<4} {result.name} {result.figure_text()}".rstrip()))

    report = validate_neutone_model(
        module, metadata=metadata, sample_rates=rates, seconds=seconds, on_check=progress
    )
    report.source = str(model_path)
    if host == "native":
        from neutone_export.suite.native import run_native_checks

        report.checks += run_native_checks(model_path, module, seconds, on_check=progress)
        report.settings["host"] = "native"
    if table_wanted(json_file):
        title = f"neutone-export check {shown(report.source)}"
        table = Table(title=title, title_justify="left")
        for column in ("check", "status", "figure", "details"):
            table.add_column(column, overflow="fold")
        for result in report.checks:
            style = _STYLES.get(result.status, "green")
            table.add_row(
                shown(result.name),
                f"[{style}]{result.status}[/]",
                shown(result.figure_text()),
                shown(result.message),
            )
        stdout_console().print(table)
    if json_file is not None:
        emit_json(envelope("neutone-export", {"command": "check", **report.to_dict()}), json_file)
    if not report.passed:
        names = ", ".join(result.name for result in report.failures)
        err.print(f"[bold red]failed:[/] {shown(names)}")
        raise typer.Exit(code=1)
