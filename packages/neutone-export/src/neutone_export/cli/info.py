"""`neutone-export info MODEL`: what a `.nm` file holds, in one table (or `--json`).

The fields come from `neutone_export.files.info.model_info`: metadata, knobs, native settings, the
delay at common host settings, file size, versions, and the last validation if `report.json` is
beside. Text from the file is data: markup and control characters are printed escaped.
"""

from pathlib import Path
from typing import Annotated

import typer

from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_input_file,
    check_output_file,
    emit_json,
    envelope,
    shown,
    stdout_console,
    table_wanted,
)


def register(app: typer.Typer) -> None:
    """Join the `info` command to `app`."""
    app.command("info")(info)


def info(
    model_path: Annotated[
        Path,
        typer.Argument(metavar="MODEL", help="The .nm file, or a folder holding model.nm."),
    ],
    json_file: JsonOption = None,
) -> None:
    """Name, authors, knobs, native settings, delays, versions and last validation of MODEL."""
    if model_path.is_dir() and (model_path / "model.nm").is_file():
        model_path = model_path / "model.nm"
    check_input_file(model_path, "MODEL")
    check_output_file(json_file, "--json", inputs=[model_path], allow_stdout=True)

    from rich.table import Table

    from neutone_export.files.info import model_info
    from neutone_export.files.load import NotANeutoneModelError

    try:
        found = model_info(model_path)
    except NotANeutoneModelError as error:
        raise BadInput(f"MODEL: {error}") from None
    if table_wanted(json_file):
        table = Table(title=f"neutone-export info {shown(model_path)}", title_justify="left")
        table.add_column("field", no_wrap=True)
        table.add_column("value", overflow="fold")
        for field, value in found.rows():
            table.add_row(shown(field), shown(value))
        stdout_console().print(table)
    if json_file is not None:
        data = {"command": "info", "model": found.to_dict()}
        emit_json(envelope("neutone-export", data), json_file)
