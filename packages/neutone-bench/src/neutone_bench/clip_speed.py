"""Seconds per clip of a non-realtime ("Gen") model, and its realtime factor.

A Gen model is not called per host buffer: the plugin hands it a whole clip through
``forward_non_realtime(audio_in, numerical_params, text_params, tokens_params)`` and waits. What
matters is how long a clip of a given length takes, so for each host sample rate and clip length
the call is timed ``repetitions`` times, after ``warmup`` calls timed and reported apart, with
random audio on each input track and random knob positions (one per sample; for a generator
without inputs they set the clip's length), text and tokens at their defaults.

The realtime factor is the seconds of audio returned (the first output track) per second of
computation at the median call: above 1 the model is faster than realtime.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from neutone_bench.stats import median

#: Host buffer size the plugin reports while rendering a clip (the adapter's own default).
HOST_BUFFER_SIZE = 2048
DEFAULT_CLIP_SECONDS = [1.0, 5.0, 10.0]


@dataclass(frozen=True)
class ClipSpeedResult:
    """Timings of one clip length at one host sample rate; times in seconds."""

    sample_rate: int
    clip_s: float
    output_s: float
    warmup_times: list[float]
    times: list[float]

    @property
    def median_s(self) -> float:
        """The median call."""
        return median(self.times)

    @property
    def realtime_factor(self) -> float:
        """Seconds of audio returned per second of computation (median call); > 1 is faster."""
        return self.output_s / self.median_s if self.median_s > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON, with every call's time."""
        return {
            "sample_rate": self.sample_rate,
            "clip_s": self.clip_s,
            "output_s": self.output_s,
            "median_s": self.median_s,
            "min_s": min(self.times),
            "max_s": max(self.times),
            "realtime_factor": self.realtime_factor,
            "warmup_s": self.warmup_times,
            "times_s": self.times,
        }


def clip_inputs(
    module: torch.jit.ScriptModule, n: int, seed: int
) -> tuple[list[torch.Tensor], torch.Tensor | None]:
    """Random tracks ``(channels, n)`` in [-1, 1) per input and knob positions ``(k, n)``."""
    gen = torch.Generator().manual_seed(seed)
    tracks = [
        torch.rand(int(channels), n, generator=gen) * 2.0 - 1.0
        for channels in module.get_audio_in_channels()
    ]
    n_knobs = int(module.get_numerical_params_default_values_0to1().size(0))
    knobs = torch.rand(n_knobs, n, generator=gen) if n_knobs > 0 else None
    return tracks, knobs


def measure_clip_speed(
    module: torch.jit.ScriptModule,
    sample_rate: int,
    clip_s: float,
    repetitions: int,
    warmup: int,
    seed: int,
    buffer_size: int = HOST_BUFFER_SIZE,
) -> ClipSpeedResult:
    """Time ``forward_non_realtime`` on clips of ``clip_s`` seconds at ``sample_rate`` Hz.

    Raises ``ValueError`` when the model returns no output (it cancelled, or has no outputs).
    """
    if not (math.isfinite(clip_s) and clip_s > 0.0):
        raise ValueError(f"clip length must be a finite number of seconds > 0, got {clip_s}")
    if repetitions < 1 or warmup < 0:
        raise ValueError(f"repetitions must be >= 1 and warmup >= 0, got {repetitions}, {warmup}")
    module.set_daw_sample_rate_and_buffer_size(sample_rate, buffer_size)
    n = max(1, round(clip_s * sample_rate))
    tracks, knobs = clip_inputs(module, n, seed)
    clock = time.perf_counter

    def timed(count: int) -> tuple[list[float], list[torch.Tensor]]:
        times, out = [], []
        for _ in range(count):
            start = clock()
            out = module.forward_non_realtime(tracks, knobs, None, None)
            times.append(clock() - start)
        return times, out

    with torch.no_grad():
        warmup_times, _ = timed(warmup)
        times, out = timed(repetitions)
    if not out:
        raise ValueError(
            f"forward_non_realtime returned no output for a {clip_s:g} s clip at {sample_rate} Hz "
            "(it cancelled, or the model has no outputs)"
        )
    return ClipSpeedResult(
        sample_rate=sample_rate,
        clip_s=clip_s,
        output_s=out[0].size(-1) / sample_rate,
        warmup_times=warmup_times,
        times=times,
    )


HEADERS = ["rate Hz", "clip s", "output s", "median s", "max s", "realtime x"]


def table_cells(results: Sequence[ClipSpeedResult]) -> list[list[str]]:
    """One row per clip length: median and slowest call, realtime factor."""
    return [
        [
            str(r.sample_rate),
            f"{r.clip_s:g}",
            f"{r.output_s:.3g}",
            f"{r.median_s:.4f}",
            f"{max(r.times):.4f}",
            f"{r.realtime_factor:.1f}",
        ]
        for r in results
    ]
