"""Run audio through a `.nm` model exactly as the plugin would, and say what came out.

`render` is the notebook twin of `neutone-export render`: it sets the host's sample rate and buffer
size, feeds the audio one host buffer at a time (a fixed size, or random sizes up to it as FL Studio
sends them) with the knob signal the plugin would send, and returns the output with a summary:
duration, realtime factor, peak and RMS in and out, and the count of non-finite samples. The input
is followed by as many zeros as the reported delay, so the tail is heard; with `compensate` the
output is shifted back by the reported delay and lines up with the input sample for sample.
`render_file` adds reading, resampling to the host rate and writing (format from the suffix).

In a notebook::

    from neutone_export.audio.render import render
    result = render("exports/clipper/model.nm", audio, 48000, knobs={"gain": (0.0, 1.0)},
                    compensate=True)
    print(result.summary.line())
"""

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_core.limits import check_buffer_size, check_sample_rate, check_seconds
from neutone_core.resample import resample
from neutone_export.audio import host
from neutone_export.audio.audio_io import (
    MP3_RATES,
    AudioFileError,
    format_of,
    read_audio,
    write_audio,
)
from neutone_export.audio.knobs import (
    Knob,
    KnobValue,
    check_knob_values,
    knob_signal,
    knobs_of,
    parse_knob_values,
)
from neutone_export.errors import one_line
from neutone_export.files.load import load_neutone_model
from neutone_export.files.scripting import script_neutone_model
from neutone_export.module_types import as_plugin

Progress = Callable[[int, int], None]
"""Called as `progress(samples_done, samples_total)` about once per second of audio."""

ModelLike = Union[str, Path, nn.Module]
"""A `.nm` path, a scripted (or eager) adapter, or a `WaveformToWaveformBase` to script."""

PROGRESS_SECONDS = 1.0
"""Audio between two progress calls, in seconds."""


class RenderError(ValueError):
    """Audio that the plugin could not be given (shape, channel count); one line."""


def load_model(model: ModelLike) -> Tuple[nn.Module, Dict[str, Any]]:
    """The adapter to drive and its metadata, from a path, an adapter or a researcher's model."""
    if isinstance(model, (str, Path)):
        return load_neutone_model(model)
    if isinstance(model, WaveformToWaveformBase):
        model = script_neutone_model(model)
    if hasattr(model, "get_metadata_json"):
        return model, json.loads(as_plugin(model).get_metadata_json())
    if hasattr(model, "to_metadata"):
        return model, json.loads(json.dumps(as_plugin(model).to_metadata()))
    return model, {}  # a bare contract module: no knobs, no name


def _dbfs(value: float) -> str:
    return f"{20 * math.log10(value):.1f} dBFS" if value > 0 else "-inf dBFS"


@dataclass
class RenderSummary:
    """What a render did and what came out; levels are linear (1.0 = full scale)."""

    seconds: float
    channels_in: int
    channels_out: int
    sample_rate: int
    buffer_size: int
    variable_buffers: bool
    seed: int
    delay_samples: int
    compensated: bool
    render_seconds: float
    realtime_factor: float
    peak_in: float
    rms_in: float
    peak_out: float
    rms_out: float
    non_finite_in: int
    non_finite_out: int
    threads: int = 1

    def line(self) -> str:
        """One line for a terminal: duration, speed, levels in dBFS, non-finite samples."""
        buffers = (
            f"random buffers of 0..{self.buffer_size} (seed {self.seed})"
            if self.variable_buffers
            else f"buffers of {self.buffer_size}"
        )
        delay = "compensated" if self.compensated else "not compensated"
        bad = (
            f"{self.non_finite_out} NON-FINITE output samples"
            if self.non_finite_out
            else "all output samples finite"
        )
        return (
            f"{self.seconds:.2f} s at {self.sample_rate} Hz in {buffers}: rendered in "
            f"{self.render_seconds:.2f} s on {self.threads} thread"
            f"{'' if self.threads == 1 else 's'}, realtime factor {self.realtime_factor:.1f}x; "
            f"in peak {_dbfs(self.peak_in)} rms {_dbfs(self.rms_in)}; "
            f"out peak {_dbfs(self.peak_out)} rms {_dbfs(self.rms_out)}; "
            f"delay {self.delay_samples} samples ({delay}); {bad}"
        )

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return asdict(self)


@dataclass
class Rendered:
    """The output audio `(out_ch, n)` (n + delay samples when not compensated) and its summary."""

    audio: Tensor
    summary: RenderSummary


def _levels(audio: Tensor) -> Tuple[float, float, int]:
    """Peak and RMS of the finite samples, and how many are not finite."""
    finite = torch.isfinite(audio)
    clean = torch.where(finite, audio, torch.zeros_like(audio)).to(torch.float64)
    peak = float(clean.abs().max()) if clean.numel() else 0.0
    rms = float(clean.pow(2).mean().sqrt()) if clean.numel() else 0.0
    return peak, rms, int((~finite).sum())


def _as_host_audio(audio: Tensor) -> Tensor:
    """`(1 or 2, n)` float32 audio, as a mono or stereo host track holds it."""
    if audio.dim() == 1:
        audio = audio.unsqueeze(0)
    if audio.dim() != 2 or audio.size(0) not in (1, 2) or audio.size(1) < 1:
        raise RenderError(
            f"audio must be (1 or 2 channels, n >= 1 samples) like a host track, got "
            f"{tuple(audio.shape)}; mix it down to stereo first"
        )
    return audio.to(torch.float32)


def _resolve_knobs(
    values: Mapping[str, Union[KnobValue, str]] | None, knobs: List[Knob]
) -> Dict[str, KnobValue]:
    """Knob values by name, with texts (`"0.7"`, `"0:1"`, a label) turned into positions."""
    resolved: Dict[str, KnobValue] = {}
    by_name = {knob.name: knob for knob in knobs}
    for name, value in (values or {}).items():
        if isinstance(value, str) and name in by_name:
            start, sep, end = value.partition(":")
            knob = by_name[name]
            first = knob.position_of(start.strip())
            resolved[name] = (first, knob.position_of(end.strip())) if sep else first
        else:
            resolved[name] = value  # type: ignore[assignment]  # checked by knob_signal
    return resolved


def _configure(module: nn.Module, sample_rate: int, buffer_size: int) -> None:
    """`host.configure`, a refusal by the model (a TorchScript exception) as a RenderError."""
    try:
        host.configure(module, sample_rate, buffer_size)
    except (torch.jit.Error, RuntimeError) as error:
        raise RenderError(
            f"the model refused sample_rate {sample_rate} Hz with buffer_size {buffer_size}: "
            f"{one_line(error)}"
        ) from error


def _buffer_sizes(total: int, buffer_size: int, variable: bool, seed: int) -> List[int]:
    if variable:
        return host.random_sizes(total, buffer_size, torch.Generator().manual_seed(seed))
    return host.fixed_sizes(total, buffer_size)


def _groups(sizes: List[int], per_group: int) -> List[List[int]]:
    """Consecutive runs of host buffers of about `per_group` samples each (for progress)."""
    groups: List[List[int]] = [[]]
    filled = 0
    for size in sizes:
        groups[-1].append(size)
        filled += size
        if filled >= per_group:
            groups.append([])
            filled = 0
    return [group for group in groups if group]


KnobsAt = Callable[[int, int], Tensor | None]
"""`knobs_at(start, count)`: the `(4, count)` knob signal from host sample `start` on, or None."""


def _play(
    module: nn.Module,
    x: Tensor,
    sizes: List[int],
    knobs_at: KnobsAt,
    per_group: int,
    progress: Progress | None = None,
) -> Tensor:
    """Feed `x` `(ch, n)` and then zeros through `module` in host buffers of `sizes`, in groups of
    about `per_group` samples (one progress call each): the output `(out_ch, sum(sizes))`."""
    outputs = []
    done = 0
    total = sum(sizes)
    for group in _groups(sizes, per_group):
        count = sum(group)
        chunk = host.pad_to(x[:, done : done + count], count)  # zeros after the input's end
        outputs.append(host.stream(module, chunk, group, knobs_at(done, count)))
        done += count
        if progress is not None:
            progress(done, total)
    return torch.cat(outputs, dim=1) if outputs else torch.zeros(0, 0)


def _without_delay(y: Tensor, delay: int, n: int) -> Tensor:
    """The `n` output samples that line up with the input: the first `delay` ones removed."""
    return y[:, delay : delay + n]


def _held(params: Tensor | None, n: int) -> KnobsAt:
    """Slices of `params` `(4, n)` that hold the last value after sample `n - 1` (the tail)."""

    def knobs_at(start: int, count: int) -> Tensor | None:
        if params is None:
            return None
        index = torch.arange(start, start + count).clamp(max=max(0, n - 1))
        return params[:, index]

    return knobs_at


def render_aligned(
    module: nn.Module,
    x: Tensor,
    sample_rate: int,
    buffer_size: int = 512,
    params: Tensor | None = None,
    sizes: Sequence[int] | None = None,
) -> Tensor:
    """What the plugin plays for `x` `(ch, n)`, the reported delay removed: `(out_ch, n)`.

    The one "render a clip as the plugin would, delay compensated": `module` is told the host's
    settings, fed `x` and as many zeros as its delay in host buffers of `buffer_size` (or the
    given `sizes`, which must cover `n + delay`) with knobs `params` `(4, n)` (None: defaults;
    the last value held over the tail), and reset afterwards.
    """
    plugin = as_plugin(module)
    _configure(module, sample_rate, buffer_size)
    plugin.reset()
    delay = host.reported_delay(module)
    n = x.size(1)
    played = host.fixed_sizes(n + delay, buffer_size) if sizes is None else list(sizes)
    y = _play(module, x, played, _held(params, n), max(1, sum(played)))
    plugin.reset()
    return _without_delay(y, delay, n)


def render(
    module_or_path: ModelLike,
    audio: Tensor,
    sample_rate: int,
    knobs: Mapping[str, Union[KnobValue, str]] | None = None,
    buffer_size: int = 512,
    variable_buffers: bool = False,
    seed: int = 0,
    compensate: bool = False,
    progress: Progress | None = None,
    num_threads: int | None = 1,
) -> Rendered:
    """Run `audio` through the model as the plugin would, one host buffer per call.

    Args:
        module_or_path: a `.nm` path, a loaded or scripted adapter, or a `WaveformToWaveformBase`.
        audio: `(1 or 2, n)` or `(n,)` samples at `sample_rate` (the host track's channels).
        sample_rate: host sample rate in Hz.
        knobs: knob positions in [0, 1] by name: a number, a `(start, end)` ramp over the audio, or
            a text (`"0.7"`, `"0:1"`, a categorical label); others stay at their default.
        buffer_size: host buffer size in samples; with `variable_buffers` the largest size, each
            call then getting a random size in 0..buffer_size drawn from `seed`.
        compensate: shift the output back by the reported delay (`n` samples, aligned with the
            input); otherwise the output is `n + delay` samples, tail included, as a host without
            delay compensation plays it.
        progress: called with (samples done, samples total) about once per second of audio.
        num_threads: torch intra-op threads while the model runs (1, as `check` and the plugin's
            audio thread: a small model runs many times faster so than on every core); None keeps
            torch's setting. Restored afterwards.

    Returns:
        the output `(out_ch, n or n + delay)` and a `RenderSummary`; the module is reset after.

    Raises:
        RenderError, KnobError, LimitError (all ValueError): bad audio, knob or setting.
    """
    sample_rate = check_sample_rate(sample_rate, "sample_rate")
    buffer_size = check_buffer_size(buffer_size, "buffer_size")
    x = _as_host_audio(audio)
    n = x.size(1)
    check_seconds(n / sample_rate, "audio duration")
    module, metadata = load_model(module_or_path)
    model_knobs = knobs_of(module, metadata)
    values = _resolve_knobs(knobs, model_knobs)

    check_knob_values(values, model_knobs)

    plugin = as_plugin(module)
    _configure(module, sample_rate, buffer_size)
    plugin.reset()
    delay = host.reported_delay(module)
    sizes = _buffer_sizes(n + delay, buffer_size, variable_buffers, seed)
    total = sum(sizes)

    with pinned_threads(num_threads) as threads:
        started = time.perf_counter()
        y = _play(
            module,
            x,
            sizes,
            lambda start, count: knob_signal(values, model_knobs, n, start, count),
            max(1, int(PROGRESS_SECONDS * sample_rate)),
            progress,
        )
        elapsed = time.perf_counter() - started
    plugin.reset()

    y = _without_delay(y, delay, n) if compensate else y[:, : n + delay]
    peak_in, rms_in, bad_in = _levels(x)
    peak_out, rms_out, bad_out = _levels(y)
    summary = RenderSummary(
        seconds=n / sample_rate,
        channels_in=x.size(0),
        channels_out=y.size(0),
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        variable_buffers=variable_buffers,
        seed=seed,
        delay_samples=delay,
        compensated=compensate,
        render_seconds=elapsed,
        realtime_factor=(total / sample_rate) / elapsed if elapsed > 0 else math.inf,
        peak_in=peak_in,
        rms_in=rms_in,
        peak_out=peak_out,
        rms_out=rms_out,
        non_finite_in=bad_in,
        non_finite_out=bad_out,
        threads=threads,
    )
    return Rendered(y, summary)


@contextlib.contextmanager
def pinned_threads(num_threads: int | None) -> Iterator[int]:
    """Run the block with `num_threads` torch intra-op threads (None: torch's current count);
    yields the count used and restores the previous one."""
    if num_threads is not None and num_threads < 1:
        raise RenderError(f"num_threads must be >= 1 or None, got {num_threads!r}")
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)


def default_output_path(input_path: Union[str, Path]) -> Path:
    """Where `render_file` writes without OUT: `<input stem>.rendered.wav` beside the input."""
    path = Path(input_path)
    return path.with_name(f"{path.stem}.rendered.wav")


def render_file(
    model_path: Union[str, Path],
    input_path: Union[str, Path],
    output_path: Union[str, Path, None] = None,
    sample_rate: int | None = None,
    buffer_size: int = 512,
    variable_buffers: bool = False,
    seed: int = 0,
    knobs: Tuple[str, ...] | List[str] = (),
    compensate: bool = False,
    progress: Progress | None = None,
    num_threads: int | None = 1,
) -> Tuple[Path, Rendered]:
    """`neutone-export render MODEL IN [OUT]`: read IN, render it, write OUT (format by suffix).

    `sample_rate` (default: the file's) is the host rate; the file is resampled to it first when it
    differs. `knobs` are `name=value` or `name=start:end` texts (positions in [0, 1] or labels);
    `num_threads` as for `render` (one intra-op thread by default).
    Returns the path written and the render. Raises ValueError subclasses (NotANeutoneModelError,
    AudioFileError, KnobError, LimitError, RenderError) with a one-line message for bad input.
    """
    out = Path(output_path) if output_path is not None else default_output_path(input_path)
    fmt, _ = format_of(out)  # refuse an unknown suffix before the long part
    module, metadata = load_neutone_model(model_path)
    values = parse_knob_values(list(knobs), knobs_of(module, metadata))
    audio, file_rate = read_audio(input_path)
    rate = file_rate if sample_rate is None else check_sample_rate(sample_rate, "--sample-rate")
    if fmt == "MP3" and rate not in MP3_RATES:
        raise AudioFileError(f"{out}: MP3 cannot hold {rate} Hz; write .wav or .flac instead")
    if audio.size(0) > 2:
        raise RenderError(
            f"{input_path}: {audio.size(0)} channels, but a plugin gets 1 or 2; "
            "mix it down to stereo first"
        )
    if rate != file_rate:
        check_seconds(audio.size(1) / file_rate, "input duration")
        audio = resample(audio, file_rate, rate)
    result = render(
        module,
        audio,
        rate,
        knobs=values,
        buffer_size=buffer_size,
        variable_buffers=variable_buffers,
        seed=seed,
        compensate=compensate,
        progress=progress,
        num_threads=num_threads,
    )
    write_audio(out, result.audio, rate)
    return out, result
