"""`neutone-bench response`: what a model does to a signal, measured as the plugin would run it.

Every measurement renders a test signal through ``neutone_export.audio.render.render`` (host
buffers, knob signal, delay compensated), so resampling, buffering and the model are measured
together:

- magnitude response: an exponential sine sweep (default) or white noise, at the default knobs
  and at a few positions of each knob; ``|H(f)| = |S_xy(f)| / S_xx(f)`` (cross- over
  auto-spectrum, averaged over Hann-windowed segments for noise, one spectrum for the sweep), then
  averaged per band of a log-spaced frequency grid, weighted by the input power;
- impulse response at the default knobs, times relative to the compensated position (a
  linear-phase filter is centred on 0);
- harmonic levels: a sine of a whole number of cycles per analysis window at a few input levels;
  the level of each harmonic, in dBFS, read from the exact FFT bins. A linear model shows none.

Test signals peak at ``LEVEL`` (-12 dBFS) so that a model with a threshold stays linear.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import torch
from torch import Tensor, nn

from neutone_export.audio import host as export_host
from neutone_export.audio.knobs import Knob, knobs_of
from neutone_export.audio.render import load_model, render
from neutone_export.files.atomic import atomic_write_bytes

matplotlib.use("Agg")

from matplotlib import pyplot as plt

LEVEL = 0.25
"""Peak of the sweep, noise and impulse, linear (-12 dBFS)."""
LOWEST_HZ = 20.0
"""Lowest frequency of the sweep and of the grid."""
HIGHEST_FRACTION = 0.45
"""Highest frequency of the sweep and of the grid, as a fraction of the sample rate."""
GRID_POINTS = 200
"""Log-spaced frequencies the magnitude is reported at."""
SEGMENT = 8192
"""Samples per Hann-windowed segment of the noise estimate (5.9 Hz resolution at 48 kHz)."""
HARMONIC_HZ = 1000.0
"""Fundamental of the harmonic measurement (rounded to a whole number of cycles per window)."""
HARMONIC_LEVELS_DB = (-24.0, -12.0, -6.0, 0.0)
"""Input levels of the harmonic measurement, dBFS (sine peak)."""
HARMONICS = 5
"""Harmonics reported, the fundamental included."""
NONLINEAR_DBC = -60.0
"""A model is called non-linear when a harmonic reaches this level relative to the fundamental."""
FLOOR_DB = -160.0
"""Level reported for silence (no log of zero)."""
METHODS = ("sweep", "noise")

Progress = Callable[[str], None]


class ResponseError(ValueError):
    """A measurement option out of range; the message names it, the range and the fix."""


@dataclass
class Curve:
    """Magnitude response at one knob setting: dB (20 log10 |H|) at each frequency in Hz."""

    label: str
    knobs: dict[str, float]
    frequencies_hz: list[float]
    magnitude_db: list[float]


@dataclass
class ImpulseResponse:
    """Output to a unit impulse (scaled back from ``LEVEL``) at the default knobs."""

    times_ms: list[float]
    values: list[float]


@dataclass
class HarmonicLevels:
    """Output level in dBFS of harmonics 1..HARMONICS of a sine, per input level in dBFS."""

    frequency_hz: float
    input_levels_db: list[float]
    levels_db: list[list[float]]  # [input level][harmonic - 1]
    nonlinear: bool


@dataclass
class ResponseResult:
    """Everything ``response`` measured on one model at one host setting."""

    name: str
    sample_rate: int
    buffer_size: int
    method: str
    curves: list[Curve] = field(default_factory=list)
    impulse: ImpulseResponse | None = None
    harmonics: HarmonicLevels | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return asdict(self)


def _db(value: float) -> float:
    """20 log10 of a linear level, no lower than ``FLOOR_DB`` (rounding noise reads as floor)."""
    return max(20.0 * math.log10(value), FLOOR_DB) if value > 0 else FLOOR_DB


def frequency_grid(sample_rate: int, points: int = GRID_POINTS) -> Tensor:
    """Log-spaced frequencies in Hz from ``LOWEST_HZ`` to ``HIGHEST_FRACTION * sample_rate``."""
    high = HIGHEST_FRACTION * sample_rate
    return torch.logspace(math.log10(LOWEST_HZ), math.log10(high), points, dtype=torch.float64)


def _spectra(x: Tensor, y: Tensor, segment: int) -> tuple[Tensor, Tensor]:
    """Cross-spectrum ``sum conj(X) Y`` and auto-spectrum ``sum |X|^2`` of 1-D ``x``, ``y``.

    ``segment == 0``: one spectrum of the whole signals (zero-padded, no window); else the sum
    over Hann-windowed segments of that length with half overlap (Welch).
    """
    x = x.to(torch.float64)
    y = y.to(torch.float64)
    if segment == 0:
        size = 1 << (x.numel() - 1).bit_length()
        spectrum_x = torch.fft.rfft(x, size)
        return torch.conj(spectrum_x) * torch.fft.rfft(y, size), spectrum_x.abs().pow(2)
    window = torch.hann_window(segment, periodic=True, dtype=torch.float64)
    frames_x = x.unfold(0, segment, segment // 2) * window
    frames_y = y.unfold(0, segment, segment // 2) * window
    spectrum_x = torch.fft.rfft(frames_x, dim=1)
    spectrum_y = torch.fft.rfft(frames_y, dim=1)
    return (torch.conj(spectrum_x) * spectrum_y).sum(0), spectrum_x.abs().pow(2).sum(0)


def magnitude_on_grid(
    x: Tensor, y: Tensor, sample_rate: int, segment: int, grid: Tensor
) -> list[float]:
    """``20 log10 |H|`` of ``y`` against ``x`` (1-D, aligned) in bands around each grid frequency.

    Per band: the input-power-weighted mean of ``|H|^2`` over the FFT bins inside it (the nearest
    bin when none is), so a band is not dimmed by phase differences between bins.
    """
    cross, auto = _spectra(x, y, segment)
    bins = cross.numel()
    resolution = sample_rate / (2 * (bins - 1))
    power = cross.abs().pow(2) / auto.clamp(min=1e-30)  # |H|^2 * Sxx
    usable = auto > auto.max() * 1e-9
    edges = torch.sqrt(grid[1:] * grid[:-1])
    low = torch.cat([grid[:1] / (grid[1] / grid[0]).sqrt(), edges])
    high = torch.cat([edges, grid[-1:] * (grid[-1] / grid[-2]).sqrt()])
    levels = []
    for f, lo, hi in zip(grid.tolist(), low.tolist(), high.tolist(), strict=True):
        first = max(0, math.ceil(lo / resolution))
        last = min(bins - 1, math.floor(hi / resolution))
        if last < first:
            first = last = min(bins - 1, round(f / resolution))
        keep = usable[first : last + 1]
        weight = auto[first : last + 1][keep].sum()
        if weight <= 0:
            levels.append(FLOOR_DB)
            continue
        magnitude_squared = power[first : last + 1][keep].sum() / weight
        levels.append(_db(math.sqrt(float(magnitude_squared))))
    return levels


def probe_signal(method: str, n: int, sample_rate: int) -> Tensor:
    """Stereo ``(2, n)`` sweep or noise at peak ``LEVEL``; the sweep ends 10 % before ``n``."""
    if method == "sweep":
        active = int(0.9 * n)
        sweep = export_host.sine_sweep(active, sample_rate) * LEVEL
        return export_host.pad_to(sweep, n)
    if method == "noise":
        return export_host.noise(n, seed=20, amplitude=LEVEL)
    raise ResponseError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def knob_steps(knob: Knob, steps: int) -> list[float]:
    """Positions of ``knob`` to measure: every value of a small categorical knob, else ``steps``
    evenly spaced positions from 0 to 1."""
    if knob.kind == "categorical" and 1 < len(knob.labels) <= steps + 2:
        count = len(knob.labels)
        return [i / (count - 1) for i in range(count)]
    return [i / (steps - 1) for i in range(steps)] if steps > 1 else [knob.default]


def knob_settings(knobs: Sequence[Knob], steps: int) -> list[tuple[str, dict[str, float]]]:
    """("default", {}) then each shown knob at ``knob_steps``, the others at their default."""
    settings: list[tuple[str, dict[str, float]]] = [("default", {})]
    for knob in knobs:
        if knob.used:
            for position in knob_steps(knob, steps):
                settings.append((knob.label(position), {knob.name: position}))
    return settings


def impulse_response(
    module: nn.Module, sample_rate: int, buffer_size: int, before: int = 256, after: int = 1024
) -> ImpulseResponse:
    """Left output for an impulse of height ``LEVEL``, divided by it; ``before`` samples ahead."""
    x = export_host.impulse(before + after, before) * LEVEL
    y = render(module, x, sample_rate, buffer_size=buffer_size, compensate=True).audio[0]
    times = [1e3 * (i - before) / sample_rate for i in range(before + after)]
    return ImpulseResponse(times, (y.to(torch.float64) / LEVEL).tolist())


def harmonic_levels(
    module: nn.Module,
    sample_rate: int,
    buffer_size: int,
    frequency: float = HARMONIC_HZ,
    levels_db: Sequence[float] = HARMONIC_LEVELS_DB,
) -> HarmonicLevels:
    """Levels of harmonics 1..HARMONICS of a sine through the model at each input level.

    The analysis window is one second after half a second of settling; the frequency is rounded
    to a whole number of cycles in it, so each harmonic falls on one FFT bin (no leakage, no
    window) and its level is ``2 |Y_k| / N``.
    """
    window = sample_rate
    cycles = max(1, round(frequency * window / sample_rate))
    f0 = cycles * sample_rate / window
    settle = sample_rate // 2
    t = torch.arange(settle + window, dtype=torch.float64) / sample_rate
    rows = []
    for level_db in levels_db:
        x = (10 ** (level_db / 20) * torch.sin(2 * math.pi * f0 * t)).to(torch.float32)
        y = render(module, x.expand(2, -1), sample_rate, buffer_size=buffer_size, compensate=True)
        spectrum = torch.fft.rfft(y.audio[0, settle:].to(torch.float64))
        row = []
        for k in range(1, HARMONICS + 1):
            index = k * cycles
            amplitude = 2 * float(spectrum[index].abs()) / window if index < spectrum.numel() else 0
            row.append(_db(amplitude))
        rows.append(row)
    nonlinear = any(max(row[1:]) - row[0] > NONLINEAR_DBC for row in rows if row[0] > FLOOR_DB)
    return HarmonicLevels(f0, list(levels_db), rows, nonlinear)


def check_options(method: str, seconds: float, steps: int) -> None:
    """Refuse a method, length or step count out of range (`ResponseError`, naming the option)."""
    if method not in METHODS:
        raise ResponseError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if not (math.isfinite(seconds) and 0.5 <= seconds <= 60.0):
        raise ResponseError(f"--seconds must be in [0.5, 60], got {seconds!r}")
    if not 2 <= steps <= 9:
        raise ResponseError(f"--steps must be in [2, 9] positions per knob, got {steps!r}")


def magnitude_responses(
    model: nn.Module | str | Path,
    sample_rate: int = 48000,
    buffer_size: int = 512,
    method: str = "sweep",
    seconds: float = 2.0,
    steps: int = 3,
    progress: Progress | None = None,
) -> list[Curve]:
    """Magnitude response at the default knobs, then at ``steps`` positions of each knob.

    Args:
        model: adapter, ``.nm`` path or researcher's model.
        sample_rate: host sample rate, Hz; buffer_size: host buffer, samples.
        method: "sweep" (exponential sine sweep) or "noise" (white noise, Welch average).
        seconds: length of each test signal, 0.5 to 60 s.
        steps: positions per continuous knob, 0 to 1, 2 to 9.
    """
    check_options(method, seconds, steps)
    module, metadata = load_model(model)
    n = int(seconds * sample_rate)
    x = probe_signal(method, n, sample_rate)
    grid = frequency_grid(sample_rate)
    segment = 0 if method == "sweep" else min(SEGMENT, n // 4)
    curves = []
    for label, values in knob_settings(knobs_of(module, metadata), steps):
        if progress is not None:
            progress(f"magnitude response, {label}")
        y = render(module, x, sample_rate, knobs=values, buffer_size=buffer_size, compensate=True)
        levels = magnitude_on_grid(x[0], y.audio[0], sample_rate, segment, grid)
        curves.append(Curve(label, values, grid.tolist(), levels))
    return curves


def measure_response(
    model: nn.Module | str | Path,
    name: str = "",
    sample_rate: int = 48000,
    buffer_size: int = 512,
    method: str = "sweep",
    seconds: float = 2.0,
    steps: int = 3,
    progress: Progress | None = None,
) -> ResponseResult:
    """``magnitude_responses``, the impulse response and the harmonic levels of ``model``.

    ``name`` titles the plot (default: the model's name in its metadata); the other arguments are
    those of ``magnitude_responses``. ``progress`` receives one line per measurement.
    """
    check_options(method, seconds, steps)
    module, metadata = load_model(model)
    say = progress or (lambda _line: None)
    result = ResponseResult(
        name or str(metadata.get("model_name", "model")), sample_rate, buffer_size, method
    )
    result.curves = magnitude_responses(
        module, sample_rate, buffer_size, method, seconds, steps, progress
    )
    say("impulse response")
    result.impulse = impulse_response(module, sample_rate, buffer_size)
    say("harmonics of a sine")
    result.harmonics = harmonic_levels(module, sample_rate, buffer_size)
    return result


TABLE_HZ = (100.0, 1000.0, 10000.0)
"""Frequencies of the table's magnitude columns."""


def magnitude_table(result: ResponseResult) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a terminal: each setting's magnitude in dB at ``TABLE_HZ`` (the
    nearest grid frequency)."""
    headers = ["setting", *[f"{f:g} Hz (dB)" for f in TABLE_HZ]]
    rows = []
    for curve in result.curves:
        logs = [math.log(f) for f in curve.frequencies_hz]
        cells = [curve.label]
        for f in TABLE_HZ:
            distances = [abs(log - math.log(f)) for log in logs]
            nearest = distances.index(min(distances))
            cells.append(f"{curve.magnitude_db[nearest]:.2f}")
        rows.append(cells)
    return headers, rows


def harmonics_table(result: ResponseResult) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a terminal: output level in dBFS of each harmonic (H1 the
    fundamental) per input level in dBFS."""
    headers = ["input", *[f"H{k}" for k in range(1, HARMONICS + 1)]]
    if result.harmonics is None:
        return headers, []
    levels = result.harmonics
    rows = [
        [f"{level:g}", *[f"{value:.1f}" for value in row]]
        for level, row in zip(levels.input_levels_db, levels.levels_db, strict=True)
    ]
    return headers, rows


def _impulse_span(response: ImpulseResponse) -> tuple[float, float]:
    """Time range (ms) around the samples above 1e-3 of the peak, padded, at least +-1 ms."""
    values = torch.tensor(response.values).abs()
    peak = float(values.max()) if values.numel() else 0.0
    times = response.times_ms
    if peak <= 0:
        return times[0], times[-1]
    loud = torch.nonzero(values > 1e-3 * peak).flatten()
    first, last = times[int(loud[0])], times[int(loud[-1])]
    pad = max(1.0, 0.2 * (last - first))
    return max(times[0], min(first - pad, -1.0)), min(times[-1], max(last + pad, 1.0))


def plot_response(result: ResponseResult, path: Path) -> None:
    """Write the magnitude, impulse and harmonics panels of ``result`` to ``path`` (e.g. PNG).

    The format follows the suffix; the file is written under a temporary name and renamed. Legends
    sit to the right of the axes, outside the data.
    """
    path = Path(path)
    fig, axes = plt.subplots(3, 1, figsize=(10.0, 11.0), layout="constrained")
    try:
        magnitude, impulse, harmonics = axes
        for index, curve in enumerate(result.curves):
            style = "-" if index == 0 else "--"
            colour = "k" if index == 0 else f"C{(index - 1) % 10}"
            magnitude.semilogx(
                curve.frequencies_hz, curve.magnitude_db, style, color=colour, label=curve.label
            )
        peak = max((max(c.magnitude_db) for c in result.curves), default=0.0)
        magnitude.set_ylim(max(peak - 90.0, FLOOR_DB), peak + 6.0)
        magnitude.set_xlabel("frequency (Hz)")
        magnitude.set_ylabel("magnitude (dB)")
        magnitude.set_title(
            f"{result.name}: magnitude response ({result.method}, {result.sample_rate} Hz, "
            f"buffers of {result.buffer_size}, delay compensated, left channel)"
        )
        magnitude.grid(True, which="both", alpha=0.3)
        magnitude.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

        if result.impulse is not None:
            impulse.plot(result.impulse.times_ms, result.impulse.values, color="k", label="default")
            impulse.set_xlim(*_impulse_span(result.impulse))
            impulse.set_xlabel("time relative to the compensated position (ms)")
            impulse.set_ylabel("amplitude")
            impulse.set_title("impulse response at the default knobs")
            impulse.grid(True, alpha=0.3)
            impulse.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

        if result.harmonics is not None:
            levels = result.harmonics
            for k in range(HARMONICS):
                values = [row[k] for row in levels.levels_db]
                harmonics.plot(levels.input_levels_db, values, "o-", label=f"harmonic {k + 1}")
            verdict = "non-linear" if levels.nonlinear else "linear (harmonics below -60 dBc)"
            harmonics.set_xlabel("input level (dBFS, sine peak)")
            harmonics.set_ylabel("output level (dBFS)")
            harmonics.set_ylim(FLOOR_DB - 5.0, 12.0)
            harmonics.set_title(f"harmonics of a {levels.frequency_hz:g} Hz sine: {verdict}")
            harmonics.grid(True, alpha=0.3)
            harmonics.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
        image = io.BytesIO()
        fig.savefig(image, format=path.suffix.lstrip(".").lower() or "png", dpi=110)
        atomic_write_bytes(path, image.getvalue())
    finally:
        plt.close(fig)
