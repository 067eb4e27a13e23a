"""`neutone-export port FILE.py [--write]`: port a Neutone SDK 1.5 script by its imports.

The rewrite is ``neutone_export.sdk15.port`` (LibCST, imports only); this command prints its unified
diff on stdout and, with --write, replaces the file atomically. Exit 2 for a file that is missing,
not Python or does not parse.
"""

from pathlib import Path
from typing import Annotated

import typer

from neutone_export.cli.contract import BadInput, shown, stderr_console


def register(app: typer.Typer) -> None:
    """Join the `port` command to `app`."""
    app.command("port")(port)


def port(
    script: Annotated[
        Path, typer.Argument(metavar="FILE.py", help="A Python script written for neutone_sdk.")
    ],
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite FILE.py in place (atomically).")
    ] = False,
) -> None:
    """Print the diff that ports FILE.py from neutone_sdk to neutone; --write applies it."""
    if script.suffix != ".py":
        raise BadInput(f"FILE.py: {script} is not a Python script (no .py suffix)")
    from neutone_export.sdk15.port import port_file

    try:
        diff = port_file(script, write=write)
    except ValueError as error:
        message = str(error)
        raise BadInput(message if str(script) in message else f"{script}: {message}") from None
    err = stderr_console()
    if not diff:
        err.print(f"{shown(script)}: no neutone_sdk import to port; nothing to change")
        return
    typer.echo(diff, nl=False)
    if write:
        err.print(f"{shown(script)}: rewritten")
