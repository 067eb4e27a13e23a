"""Tables of every command: figures built once as rows of text, never cut.

A table is sized for 80 columns: no vertical rules, headers and text cells break between words,
each column is at least as wide as its longest word (a figure is one word), and no cell is ever
shortened with "…": a column still too narrow folds its text onto a second line instead.
Consoles come from ``neutone_export.cli_contract`` (stdout for results, stderr for progress,
``--color/--no-color`` and ``NO_COLOR``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

#: Characters between two columns: padding, the (blank) rule, padding.
COLUMN_GAP = 3
#: Room kept for each text column (operator names, shapes) before figure columns widen.
TEXT_COLUMN_ROOM = 20


def column_widths(
    headers: Sequence[str], cells: Sequence[Sequence[str]], text_columns: int, width: int
) -> list[int | None]:
    """Widths of the figure columns that fit ``width`` characters (``None``: a text column).

    Each figure column is at least as wide as its widest figure and header word; spare room goes
    to the columns in order, up to the width that keeps their header on one line.
    """
    widths: list[int | None] = [None] * text_columns
    natural = []
    for index in range(text_columns, len(headers)):
        figures = [len(row[index]) for row in cells]
        words = [len(word) for word in headers[index].split()] or [0]
        widths.append(max([*figures, *words]))
        natural.append(max([*figures, len(headers[index])]))
    fixed = [w for w in widths if w is not None]
    spare = width - sum(fixed) - COLUMN_GAP * (len(headers) - 1) - TEXT_COLUMN_ROOM * text_columns
    for offset, want in enumerate(natural):
        index = text_columns + offset
        grow = max(0, min(want - widths[index], spare))  # type: ignore[operator]
        widths[index] += grow  # type: ignore[operator]
        spare -= grow
    return widths


def print_table(
    console: Console,
    title: str,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    text_columns: int = 0,
    caption: str | None = None,
) -> None:
    """Print ``cells`` (rows of formatted strings) under ``headers``, within the console's width.

    The first ``text_columns`` columns (left-aligned) wrap to the room left; the figure columns
    (right-aligned) get ``column_widths``.
    """
    table = Table(
        title=title,
        title_justify="left",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    widths = column_widths(headers, cells, text_columns, console.width)
    for index, header in enumerate(headers):
        table.add_column(
            header,
            justify="left" if index < text_columns else "right",
            overflow="fold",
            width=widths[index],
        )
    for row in cells:
        table.add_row(*row)
    console.print(table)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with three decimals."""
    return f"{seconds * 1e3:.3f}"


def opt(value: int | None) -> str:
    """An optional count; ``-`` where the model does not report it."""
    return "-" if value is None else str(value)
