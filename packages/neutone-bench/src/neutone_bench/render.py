"""Output of every command: figures built once as rows, shown as a rich table or written as JSON.

Tables and JSON go to stdout (JSON to a file with ``--json FILE``, to stdout with ``--json -``);
progress, warnings and errors go to a stderr console, so that piping the table or the JSON stays
clean.
"""

from __future__ import annotations

import json as jsonlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

#: Width used when stdout is not a terminal, so that piped tables are never cut.
PIPE_WIDTH = 200


def stdout_console() -> Console:
    """Console for tables: the terminal's width, or ``PIPE_WIDTH`` columns when piped."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=PIPE_WIDTH)
    return console


def stderr_console() -> Console:
    """Console for progress, warnings and errors; a message stays on one line (soft wrap)."""
    return Console(stderr=True, soft_wrap=True)


def print_table(
    console: Console,
    title: str,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    text_columns: int = 0,
) -> None:
    """Print ``cells`` (rows of formatted strings) under ``headers``.

    The first ``text_columns`` columns align left, the others (numbers) right.
    """
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index < text_columns else "right", no_wrap=True)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _finite(value: Any) -> Any:
    """Replace infinities and NaN (not valid JSON) by ``None``, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(data: dict[str, Any], target: Path) -> None:
    """Write ``data`` as indented JSON to ``target`` (``-`` for stdout)."""
    text = jsonlib.dumps(_finite(data), indent=2, allow_nan=False) + "\n"
    if str(target) == "-":
        print(text, end="")
    else:
        target.write_text(text, encoding="utf-8")


def ms(seconds: float) -> str:
    """Seconds as milliseconds with three decimals."""
    return f"{seconds * 1e3:.3f}"


def opt(value: int | None) -> str:
    """An optional count; ``-`` where the model does not report it."""
    return "-" if value is None else str(value)
