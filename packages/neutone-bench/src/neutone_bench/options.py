"""Arguments shared by the commands; the one place where bad input becomes ``typer.BadParameter``.

``typer.BadParameter`` makes typer print one error line (in its error panel) on stderr and exit with
code 2, with no traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from neutone_bench.host import SettingError, check_buffer_size, check_sample_rate
from neutone_bench.models import BenchModel, resolve_model

ModelArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="MODEL",
        help=(
            "A .nm file (or a folder holding model.nm), the name of an installed example model "
            "(entry points 'neutone.models') or of an embedded model; default: embedded 'clipper'."
        ),
        show_default=False,
    ),
]
JsonOption = Annotated[
    Path | None,
    typer.Option(
        "--json",
        metavar="FILE",
        help="Also write the figures as JSON to FILE ('-': JSON on stdout instead of the table).",
        dir_okay=False,
    ),
]
NumThreadsOption = Annotated[
    int,
    typer.Option(
        "--num-threads", min=1, help="Torch intra-op threads while measuring (restored after)."
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the random audio and knobs.")]
#: Host settings of the commands that sweep them (``None``: the command's defaults).
SampleRatesOption = Annotated[
    list[int] | None,
    typer.Option("--sample-rate", "-r", help="Host sample rate in Hz; repeat for several."),
]
BufferSizesOption = Annotated[
    list[int] | None,
    typer.Option("--buffer-size", "-b", help="Host buffer size in samples; repeat for several."),
]
#: Host setting of a command that runs at one.
SampleRateOption = Annotated[
    int, typer.Option("--sample-rate", "-r", help="Host sample rate in Hz.")
]
BufferSizeOption = Annotated[
    int, typer.Option("--buffer-size", "-b", help="Host buffer size in samples.")
]


def load_model(spec: str | None) -> BenchModel:
    """Resolve the MODEL argument; a missing, corrupt, foreign or unknown model is bad input."""
    try:
        return resolve_model(spec)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'MODEL'") from exc


def check_settings(sample_rates: Sequence[int], buffer_sizes: Sequence[int]) -> None:
    """Reject sample rates and buffer sizes that no host uses, naming the option."""
    for sample_rate in sample_rates:
        try:
            check_sample_rate(sample_rate)
        except SettingError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--sample-rate'") from exc
    for buffer_size in buffer_sizes:
        try:
            check_buffer_size(buffer_size)
        except SettingError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--buffer-size'") from exc


def refused_setting(exc: SettingError) -> typer.BadParameter:
    """The error for a setting the model itself refused."""
    return typer.BadParameter(str(exc), param_hint="'--sample-rate' / '--buffer-size'")
