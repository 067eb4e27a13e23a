"""`neutone-export render MODEL IN [OUT]`: hear a model on your own audio, as the plugin plays it.

Options and the output path are checked before any work; the render is
`neutone_export.audio.render.render_file` (host buffers, knob automation, delay compensation), with
a progress bar on stderr and the summary line on stdout (which says how many torch threads ran the
model: one unless `--threads N`, as `check` does). Exit status 1 when the model put out non-
finite samples (written as 0 in OUT).
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, List, Optional, Tuple

import typer

from neutone_export.cli.contract import (
    BadInput,
    JsonOption,
    check_distinct,
    check_input_file,
    check_output_file,
    checked,
    emit_json,
    envelope,
    shown,
    stderr_console,
    stdout_console,
    table_wanted,
)

if TYPE_CHECKING:  # imported inside the command, so that --help does not load torch
    from neutone_export.audio.render import Rendered


def register(app: typer.Typer) -> None:
    """Join the `render` command to `app`."""
    app.command("render")(render)


def render(
    model_path: Annotated[Path, typer.Argument(metavar="MODEL", help="The .nm file.")],
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="IN", help="Audio file: WAV, FLAC, OGG or MP3, any rate, 1 or 2 channels."
        ),
    ],
    output_path: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[OUT]",
            help="Output file, format from the suffix: .wav (float), .flac (24-bit), .ogg, .mp3. "
            "Default: IN's name with .rendered.wav, beside IN.",
            show_default=False,
        ),
    ] = None,
    sample_rate: Annotated[
        Optional[int],
        typer.Option(
            "--sample-rate",
            "-r",
            help="Host sample rate in Hz (default: IN's; IN is resampled to it).",
            show_default=False,
        ),
    ] = None,
    buffer_size: Annotated[
        int,
        typer.Option(
            "--buffer-size", "-b", help="Host buffer size in samples (the largest, if variable)."
        ),
    ] = 512,
    variable_buffers: Annotated[
        bool,
        typer.Option(
            "--variable-buffers",
            help="Random host buffer sizes in 0..--buffer-size, as FL Studio sends them.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of --variable-buffers.")] = 0,
    knob: Annotated[
        Optional[List[str]],
        typer.Option(
            "--knob",
            "-k",
            metavar="NAME=VALUE",
            help="Knob position in [0, 1] or a label (drive=0.7, mode=fold), or a ramp over the "
            "file (drive=0:1); repeatable. Other knobs stay at their default.",
        ),
    ] = None,
    compensate: Annotated[
        bool,
        typer.Option("--compensate", help="Remove the reported delay: OUT lines up with IN."),
    ] = False,
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            "--num-threads",
            min=1,
            max=256,
            help="Torch intra-op threads while the model runs (default 1, as `check` and the "
            "plugin's audio thread).",
        ),
    ] = 1,
    json_file: JsonOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run IN through MODEL as the plugin would and write OUT; print what came out."""
    check_input_file(model_path, "MODEL")
    check_input_file(input_path, "IN")
    from neutone_core.limits import check_buffer_size, check_sample_rate

    buffer_size = checked(check_buffer_size, buffer_size, "--buffer-size")
    if sample_rate is not None:
        sample_rate = checked(check_sample_rate, sample_rate, "--sample-rate")

    from neutone_export.audio.render import default_output_path

    inputs = [model_path, input_path]
    out = check_output_file(output_path or str(default_output_path(input_path)), "OUT", inputs)
    check_distinct(
        {"OUT": out, "--json": check_output_file(json_file, "--json", inputs, allow_stdout=True)}
    )
    written, result = _render(
        model_path, input_path, out, sample_rate, buffer_size, variable_buffers, seed,
        knob or [], compensate, quiet, threads,
    )  # fmt: skip
    summary = result.summary
    if table_wanted(json_file):
        stdout_console().print(f"{shown(written)}: {summary.line()}", soft_wrap=True)
    if json_file is not None:
        data = {
            "command": "render",
            "model": str(model_path),
            "input": str(input_path),
            "output": str(written),
            "knobs": knob or [],
            "summary": summary.to_dict(),
        }
        emit_json(envelope("neutone-export", data, threads=summary.threads), json_file)
    if summary.non_finite_out:
        stderr_console().print(
            f"failed: {summary.non_finite_out} output samples were NaN or infinite "
            f"(written as 0 in {shown(written)})"
        )
        raise typer.Exit(code=1)


def _render(
    model_path: Path,
    input_path: Path,
    out: Optional[Path],
    sample_rate: Optional[int],
    buffer_size: int,
    variable_buffers: bool,
    seed: int,
    knobs: List[str],
    compensate: bool,
    quiet: bool,
    threads: int,
) -> Tuple[Path, "Rendered"]:
    """`render_file` with a progress bar on stderr; a bad model file names MODEL."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from neutone_export.audio.render import render_file
    from neutone_export.files.load import NotANeutoneModelError

    progress = Progress(
        TextColumn("rendering"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=stderr_console(),
        disable=quiet,
        transient=True,
    )
    with progress:
        task = progress.add_task("render", total=None)
        try:
            return render_file(
                model_path,
                input_path,
                out,
                sample_rate=sample_rate,
                buffer_size=buffer_size,
                variable_buffers=variable_buffers,
                seed=seed,
                knobs=knobs,
                compensate=compensate,
                num_threads=threads,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except NotANeutoneModelError as error:
            raise BadInput(f"MODEL: {error}") from None
