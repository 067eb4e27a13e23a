"""Tables of every command: figures built once as rows of text, never cut.

A table is sized for 80 columns: no vertical rules, headers and text cells break between words,
and each figure column is at least as wide as its longest figure and header word, so a figure is
never cut or folded. Text columns (operator names, shapes, settings) get at least their longest
word when the width allows; the first one (the names) comes first, and a name longer than the
room left (only on a very narrow console) ends in "…" rather than breaking mid-word: the JSON
keeps it whole. Every text is data: markup is never read in it and control characters are shown
as escapes (``printable``, ``say``). Consoles come from ``neutone_export.cli.contract`` (stdout
for results, stderr for progress, ``--color/--no-color`` and ``NO_COLOR``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: Characters between two columns: padding, the (blank) rule, padding.
COLUMN_GAP = 3
#: Room a text column grows to before figure columns widen to keep their header on one line.
TEXT_COLUMN_ROOM = 20
#: Least room of a text column after the first, when names take the rest.
TEXT_COLUMN_MIN = 12


def printable(text: object) -> str:
    r"""``text`` with every control character as its escape (``\x1b``), so that a name from a
    file or an argument cannot move the cursor, retitle the terminal or hide itself.

    >>> printable("tone\x1b]0;owned\x07")
    'tone\\x1b]0;owned\\x07'
    """
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text)
    )


def say(console: Console, text: str) -> None:
    """Print one message as plain text: no markup, highlighting or emoji codes read in it (a
    model named ``[/bold]`` is shown as named), control characters escaped."""
    console.print(printable(text), markup=False, highlight=False, emoji=False)


def _longest_word(texts: Sequence[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=0)


def column_widths(
    headers: Sequence[str], cells: Sequence[Sequence[str]], text_columns: int, width: int
) -> list[int]:
    """Widths of every column that fit ``width`` characters where the words allow.

    A figure column is at least as wide as its widest figure and header word. Text columns share
    the room left: each gets its longest word if all fit, else the later ones
    ``TEXT_COLUMN_MIN`` and the first the rest. Spare room then goes, in this order, to text
    columns up to ``TEXT_COLUMN_ROOM``, to figure columns up to the width that keeps their header
    on one line, and to text columns up to their longest cell.

    >>> column_widths(["name", "ms"], [["aten::unsafe_split", "1.250"]], 1, 80)
    [18, 5]
    """
    columns = [[row[index] for row in cells] for index in range(len(headers))]
    fixed = [
        max(_longest_word([headers[i]]), *(len(cell) for cell in columns[i]), 0)
        for i in range(text_columns, len(headers))
    ]
    want = [_longest_word([headers[i], *columns[i]]) for i in range(text_columns)]
    room = width - sum(fixed) - COLUMN_GAP * (len(headers) - 1)
    text = list(want)
    if sum(want) > room and text_columns:
        text = [want[0]] + [min(w, TEXT_COLUMN_MIN) for w in want[1:]]
        text[0] = max(TEXT_COLUMN_MIN, min(want[0], room - sum(text[1:])))
    spare = room - sum(text)
    natural = [max((len(cell) for cell in columns[i]), default=0) for i in range(text_columns)]
    for i in range(text_columns):
        grow = max(0, min(min(natural[i], TEXT_COLUMN_ROOM) - text[i], spare))
        text[i] += grow
        spare -= grow
    for offset in range(len(fixed)):
        header = len(headers[text_columns + offset])
        grow = max(0, min(header - fixed[offset], spare))
        fixed[offset] += grow
        spare -= grow
    for i in range(text_columns):
        grow = max(0, min(natural[i] - text[i], spare))
        text[i] += grow
        spare -= grow
    return [max(1, w) for w in text] + fixed


def print_table(
    console: Console,
    title: str,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    text_columns: int = 0,
    caption: str | None = None,
) -> None:
    """Print ``cells`` (rows of formatted strings) under ``headers``, within the console's width.

    The first ``text_columns`` columns are left-aligned text, the others right-aligned figures;
    every column gets ``column_widths``.
    """
    cells = [[printable(cell) for cell in row] for row in cells]
    table = Table(
        title=escape(printable(title)),
        title_justify="left",
        caption=None if caption is None else escape(printable(caption)),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    widths = column_widths(headers, cells, text_columns, console.width)
    for index, header in enumerate(headers):
        table.add_column(
            escape(header),
            justify="left" if index < text_columns else "right",
            overflow="ellipsis" if index < text_columns else "fold",
            width=widths[index],
        )
    for row in cells:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


def ms(seconds: float) -> str:
    """Seconds as milliseconds with three decimals."""
    return f"{seconds * 1e3:.3f}"


def opt(value: int | None) -> str:
    """An optional count; ``-`` where the model does not report it."""
    return "-" if value is None else str(value)
