"""The `neutone-bench` application: one typer app, each command defined in its own module."""

from __future__ import annotations

import warnings

import typer

from neutone_bench.latency import latency
from neutone_bench.profile import profile
from neutone_bench.speed import speed

app = typer.Typer(
    name="neutone-bench",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("speed")(speed)
app.command("latency")(latency)
app.command("profile")(profile)


@app.callback()
def main() -> None:
    """Will a Neutone model run in realtime, with what latency, and where do time and memory go?"""
    # The plugin loads TorchScript, so torch's deprecation of it is noise on every load here.
    warnings.filterwarnings(
        "ignore", message=r"`torch\.jit\.\w+` is deprecated", category=FutureWarning
    )
