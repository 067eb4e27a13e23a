"""`neutone-export import-nam CAPTURE.nam OUT_DIR`: a Neural Amp Modeler capture as a checked
`.nm`.

The work is ``neutone_export.nam.capture.import_nam`` (NAM's own loader, the inner model traced and
proven, then the suite); this command checks the paths first, shows the suite's progress on stderr
and exits 1 when a check fails. The ``nam`` package is an optional extra: without it the command
says in one line what to install (exit 2).
"""

from pathlib import Path
from typing import Annotated

import typer

from neutone_export.cli.contract import BadInput, check_output_folder, shown, stderr_console


def register(app: typer.Typer) -> None:
    """Join the `import-nam` command to `app`."""
    app.command("import-nam")(import_nam)


def import_nam(
    capture: Annotated[
        Path, typer.Argument(metavar="CAPTURE.nam", help="A capture saved by Neural Amp Modeler.")
    ],
    out_dir: Annotated[
        Path,
        typer.Argument(metavar="OUT_DIR", help="Folder for model.nm, metadata.json, report.json."),
    ],
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")
    ] = False,
) -> None:
    """Turn CAPTURE.nam into OUT_DIR/model.nm with one gain knob; exit 1 if a check fails."""
    if not capture.is_file():
        raise BadInput(f"CAPTURE.nam: {capture} is not a file")
    check_output_folder(out_dir, "OUT_DIR")
    from neutone_export.nam.capture import import_nam as run_import

    try:
        report = run_import(capture, out_dir, quiet=quiet)
    except ValueError as error:
        raise BadInput(str(error)) from None
    err = stderr_console()
    if not report.passed:
        names = ", ".join(result.name for result in report.failures)
        err.print(f"[bold red]failed:[/] {names} (details in {shown(out_dir / 'report.json')})")
        raise typer.Exit(code=1)
    err.print(f"{shown(out_dir / 'model.nm')} written; every check passed")
