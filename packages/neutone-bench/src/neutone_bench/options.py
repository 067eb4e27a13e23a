"""Arguments shared by the commands, and the checks that turn bad input into one line (exit 2).

Nothing here imports torch: the option types are read when the app is built (`--help`), the
checks import what they need when a command runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from neutone_bench.model_spec import missing_model_file
from neutone_export.cli.contract import BadInput, checked, checked_all

if TYPE_CHECKING:
    from neutone_bench.host import SettingError
    from neutone_bench.models import BenchModel

T = TypeVar("T", int, float)

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
NumThreadsOption = Annotated[
    int,
    typer.Option(
        "--num-threads",
        min=1,
        max=1024,
        help="Torch intra-op threads while the model runs (default 1: a plugin's audio thread).",
    ),
]
SeedOption = Annotated[
    int,
    typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of the random audio and knobs."),
]
SampleRatesOption = Annotated[
    list[int] | None,
    typer.Option("--sample-rate", "-r", help="Host sample rate in Hz; repeat for several."),
]
BufferSizesOption = Annotated[
    list[int] | None,
    typer.Option("--buffer-size", "-b", help="Host buffer size in samples; repeat for several."),
]
WarmupOption = Annotated[
    int, typer.Option("--warmup", min=0, max=100000, help="Calls before timing, reported apart.")
]


def check_model_file(spec: str | None) -> None:
    """Refuse a MODEL file that is not there, before anything imports torch: the answer comes
    at once instead of after seconds of loading."""
    missing = missing_model_file(spec)
    if missing is not None:
        raise BadInput(f"MODEL: {missing}")


def load_model(spec: str | None) -> BenchModel:
    """Resolve the MODEL argument; a missing, corrupt, foreign or unknown model is bad input."""
    from neutone_bench.models import resolve_model

    try:
        return resolve_model(spec)
    except ValueError as exc:
        raise BadInput(f"MODEL: {exc}") from None


def input_paths(spec: str | None) -> list[Path]:
    """The files the MODEL argument reads, for the check that no output overwrites them."""
    if spec is None or not os.path.exists(spec):
        return []
    path = Path(spec)
    return [path, path / "model.nm"] if path.is_dir() else [path]


def check_settings(
    sample_rates: Sequence[int], buffer_sizes: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The settings, each checked against ``neutone_core.limits`` (the option named on refusal)."""
    from neutone_core.limits import check_buffer_size, check_sample_rate

    return (
        distinct(checked_all(check_sample_rate, sample_rates, "--sample-rate"), "--sample-rate"),
        distinct(checked_all(check_buffer_size, buffer_sizes, "--buffer-size"), "--buffer-size"),
    )


def distinct(values: list[T], option: str) -> list[T]:
    """``values`` of a repeatable option, refused when one is given twice (it would run twice).

    >>> distinct([128, 256], "--buffer-size")
    [128, 256]
    """
    seen = set()
    for value in values:
        if value in seen:
            raise BadInput(f"{option}: {value:g} given twice; give each value once")
        seen.add(value)
    return values


def check_duration(seconds: float, option: str) -> float:
    """A duration in seconds checked against ``neutone_core.limits``."""
    from neutone_core.limits import check_seconds

    return checked(check_seconds, seconds, option)


def refused_setting(exc: SettingError) -> BadInput:
    """The error for a setting the model itself refused."""
    return BadInput(f"--sample-rate / --buffer-size: {exc}")


class Host(str, Enum):
    """Who calls the model: this Python process, or the C++ libtorch runner (as the plugin)."""

    python = "python"
    native = "native"


HostOption = Annotated[
    Host,
    typer.Option(
        "--host",
        help="Who calls the model: python (this process) or native (a C++ libtorch runner, as "
        "the plugin does; built on first use, needs a C++ compiler).",
        case_sensitive=False,
    ),
]
PinCpuOption = Annotated[
    int | None,
    typer.Option(
        "--pin-cpu",
        metavar="N",
        help="With --host native: pin the runner to CPU core N.",
        show_default=False,
    ),
]


def check_native_options(host: Host, pin_cpu: int | None, num_threads: int = 1) -> None:
    """Refuse --pin-cpu without the native host, a core this process may not use, and threads.

    The native runner calls the model from one intra-op thread, as the plugin's audio thread.
    """
    if host is not Host.native:
        if pin_cpu is not None:
            raise BadInput(f"--pin-cpu {pin_cpu}: pinning needs --host native")
        return
    if num_threads != 1:
        raise BadInput(
            f"--num-threads {num_threads}: the native host runs one intra-op thread, as the "
            "plugin's audio thread; drop --num-threads or use --host python"
        )
    if pin_cpu is not None:
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if pin_cpu not in allowed:
            raise BadInput(
                f"--pin-cpu {pin_cpu}: not a core this process may use; choose one of "
                f"{', '.join(map(str, allowed)) or 'none (pinning is not supported here)'}"
            )
