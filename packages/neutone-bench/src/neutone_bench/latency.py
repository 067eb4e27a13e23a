"""The delay the adapter reports at each setting, and the delay it has (`neutone-bench latency`).

Reported: ``get_delay_breakdown`` (buffering, resampling, look-ahead, model, total; host samples),
or for Neutone SDK 1.5 files the two contract methods whose sum the host compensates.

Measured (``--measure``): a band-limited noise burst is streamed through the adapter at the host
setting, with the knobs at their defaults, and found in the output by cross-correlation
(``neutone_export.audio.measure.xcorr_lag``); the lag of the largest ``|correlation|`` is the
delay in host samples. A burst rather than an impulse: a
nonlinear model (a clipper, a saturator) keeps the burst's timing even where it distorts its shape,
and the burst's band (100 Hz to 0.4 x the lower of the host rate and the model's native rates)
passes the resamplers and anti-alias filters without smearing the correlation peak.

With the native host (``measure_delay_native``) the same burst goes through the C++ libtorch runner
of ``neutone_export.native.host``, with the knobs at the same defaults.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from neutone_bench.host import HOST_CHANNELS, DelayReport, configure
from neutone_bench.render import opt
from neutone_export.audio.host import fixed_sizes, knob_rows, pad_to, stream
from neutone_export.audio.measure import xcorr_lag

#: Burst length in host samples (before band-limiting spreads it a little).
BURST_SAMPLES = 2048
#: Silence before the burst, in host samples: room to see a delay shorter than reported.
LEAD_SAMPLES = 1024
#: Lowest frequency of the burst in Hz (some models remove DC and rumble).
BURST_LOW_HZ = 100.0
#: Highest frequency of the burst as a fraction of the lowest sample rate on the path.
BURST_HIGH_FRACTION = 0.4
#: Burst peak amplitude.
BURST_PEAK = 0.5


def noise_burst(sample_rate: int, path_rate: int, seed: int) -> torch.Tensor:
    """Hann-windowed Gaussian noise, band-limited to ``[100 Hz, 0.4 * path_rate]``, peak 0.5.

    ``path_rate`` (Hz) is the lowest sample rate the signal goes through. Shape: ``(n,)`` with
    ``n = 2 * BURST_SAMPLES`` (the window's length, zero-padded so the band-limiting does not wrap).
    """
    gen = torch.Generator().manual_seed(seed)
    n = 2 * BURST_SAMPLES
    burst = torch.zeros(n, dtype=torch.float64)
    burst[BURST_SAMPLES // 2 : BURST_SAMPLES // 2 + BURST_SAMPLES] = torch.randn(
        BURST_SAMPLES, generator=gen, dtype=torch.float64
    ) * torch.hann_window(BURST_SAMPLES, periodic=False, dtype=torch.float64)
    spectrum = torch.fft.rfft(burst)
    freqs = torch.fft.rfftfreq(n, d=1.0 / sample_rate, dtype=torch.float64)
    high = BURST_HIGH_FRACTION * min(sample_rate, path_rate)
    spectrum[(freqs < BURST_LOW_HZ) | (freqs > high)] = 0.0
    burst = torch.fft.irfft(spectrum, n=n)
    return (burst * (BURST_PEAK / burst.abs().max())).to(torch.float32)


def find_lag(burst: torch.Tensor, output: torch.Tensor, lead: int) -> int | None:
    """Delay in host samples (``-lead ..``) of ``burst``, sent ``lead`` samples in, in ``output``.

    Shape: ``burst (m,)``, ``output (channels, n)`` with ``n >= m``. The lag is the one of the
    largest ``|cross-correlation|`` of the burst (at time 0) with the output's mono sum, less
    ``lead``. ``None`` when the output is silent.
    """
    if not bool(output.any()):
        return None
    n = output.size(1)
    lag, _coefficient = xcorr_lag(pad_to(burst.reshape(1, -1), n), output, n - 1)
    return lag - lead


def burst_signal(
    module: torch.jit.ScriptModule,
    sample_rate: int,
    buffer_size: int,
    reported_total: int,
    seed: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The burst and the host signal carrying it, ``(HOST_CHANNELS, n)``, whole host buffers.

    The signal lasts long enough to find any delay up to twice the reported one plus 8192
    samples. ``module`` must be configured at the setting (its native rates bound the band).
    """
    native_rates = [int(r) for r in module.get_native_sample_rates()]
    burst = noise_burst(sample_rate, min([sample_rate, *native_rates]), seed)
    span = LEAD_SAMPLES + burst.numel() + 2 * max(reported_total, 0) + 8192
    n = math.ceil(span / buffer_size) * buffer_size
    x = pad_to(torch.cat([torch.zeros(LEAD_SAMPLES), burst]).expand(HOST_CHANNELS, -1), n)
    return burst, x


def measure_delay(
    module: torch.jit.ScriptModule,
    sample_rate: int,
    buffer_size: int,
    reported_total: int,
    seed: int,
) -> int | None:
    """Delay in host samples found by streaming a noise burst through ``module`` at one setting.

    ``None`` when the model returns silence.
    """
    configure(module, sample_rate, buffer_size)
    burst, x = burst_signal(module, sample_rate, buffer_size, reported_total, seed)
    return find_lag(burst, stream(module, x, fixed_sizes(x.size(1), buffer_size)), LEAD_SAMPLES)


def measure_delay_native(
    path: str | os.PathLike[str],
    module: torch.jit.ScriptModule,
    sample_rate: int,
    buffer_size: int,
    reported_total: int,
    seed: int,
) -> int | None:
    """``measure_delay`` with the burst streamed through the ``.nm`` at ``path`` in the native
    host; ``module`` is the same file loaded in Python (for its settings and knob defaults).

    Raises ``NativeHostError`` when the file does not load or run in plain libtorch.
    """
    from neutone_export.native.host import stream_native

    configure(module, sample_rate, buffer_size)
    burst, x = burst_signal(module, sample_rate, buffer_size, reported_total, seed)
    knobs = None
    if module._c._has_method("get_default_param_values"):  # the Python host's None
        knobs = knob_rows(module.get_default_param_values(), x.size(1))
    y, _delay = stream_native(path, x, sample_rate, fixed_sizes(x.size(1), buffer_size), knobs)
    return find_lag(burst, y, LEAD_SAMPLES)


@dataclass(frozen=True)
class LatencyRow:
    """Reported delay at one setting and, with ``--measure``, the measured one (host samples)."""

    report: DelayReport
    measured: int | None = None
    was_measured: bool = False

    @property
    def mismatch(self) -> bool:
        """Whether a measurement was made and disagrees with the reported total."""
        return self.was_measured and self.measured != self.report.total

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON (``measured`` only with ``--measure``)."""
        data = self.report.to_dict()
        if self.was_measured:
            data["measured"] = self.measured
            data["agrees"] = not self.mismatch
        return data


def sort_rows(rows: Sequence[LatencyRow]) -> list[LatencyRow]:
    """Lowest total delay first; ties by sample rate, then buffer size."""
    return sorted(rows, key=lambda r: (r.report.total, r.report.sample_rate, r.report.buffer_size))


def table_cells(rows: Sequence[LatencyRow], measured: bool) -> list[list[str]]:
    """Table rows; delays in host samples with the total also in milliseconds."""
    cells = []
    for row in rows:
        r = row.report
        cell = [
            str(r.sample_rate),
            str(r.buffer_size),
            str(r.total),
            f"{r.total / r.sample_rate * 1e3:.2f}",
            str(r.buffering),
            opt(r.resampling),
            opt(r.look_ahead),
            str(r.model),
        ]
        if measured:
            cell.append(opt(row.measured) + (" differs" if row.mismatch else ""))
        cells.append(cell)
    return cells


#: Column headers, short enough for 80 columns with "measured"; the JSON keys are the full names.
HEADERS = ["rate Hz", "buffer", "total", "total ms", "buffers", "resampler", "look ahead", "model"]
