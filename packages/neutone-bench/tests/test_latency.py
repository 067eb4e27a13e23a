"""The delay measurement (noise burst, cross-correlation) and the delay report, without the CLI."""

from pathlib import Path

import pytest
import torch

from neutone_bench.host import DelayReport, SettingError, configure, reported_delay, stream
from neutone_bench.latency import (
    BURST_LOW_HZ,
    LEAD_SAMPLES,
    LatencyRow,
    find_lag,
    measure_delay,
    noise_burst,
    sort_rows,
)


def _placed(burst: torch.Tensor, n: int, at: int) -> torch.Tensor:
    x = torch.zeros(n)
    x[at : at + burst.numel()] = burst
    return x


@pytest.mark.parametrize("delay", [0, 1, 37, 1000, 5000, -1, -LEAD_SAMPLES])
def test_find_lag_recovers_a_shift_through_nonlinear_distortion(delay: int) -> None:
    burst = noise_burst(44100, 44100, seed=1)
    n = 16384
    reference = _placed(burst, n, LEAD_SAMPLES)
    shifted = _placed(burst, n, LEAD_SAMPLES + delay)
    assert find_lag(reference, shifted, LEAD_SAMPLES) == delay
    # Hard clipping at a fifth of the peak and a polarity flip keep the timing.
    distorted = -torch.clamp(shifted, -0.1, 0.1)
    assert find_lag(reference, distorted, LEAD_SAMPLES) == delay
    # So does added noise at -20 dB.
    noisy = shifted + 0.05 * torch.randn(n, generator=torch.Generator().manual_seed(2))
    assert find_lag(reference, noisy, LEAD_SAMPLES) == delay


def test_find_lag_of_silence_is_none() -> None:
    burst = noise_burst(48000, 48000, seed=0)
    reference = _placed(burst, 8192, LEAD_SAMPLES)
    assert find_lag(reference, torch.zeros(8192), LEAD_SAMPLES) is None


@pytest.mark.parametrize(("rate", "path_rate"), [(48000, 48000), (44100, 16000), (96000, 48000)])
def test_noise_burst_stays_in_its_band(rate: int, path_rate: int) -> None:
    burst = noise_burst(rate, path_rate, seed=3).double()
    assert float(burst.abs().max()) == pytest.approx(0.5)
    spectrum = torch.fft.rfft(burst, 8 * burst.numel()).abs() ** 2
    freqs = torch.fft.rfftfreq(8 * burst.numel(), d=1.0 / rate, dtype=torch.float64)
    total = float(spectrum.sum())
    above = float(spectrum[freqs > 0.42 * path_rate].sum())  # a little leakage past the edge
    below = float(spectrum[freqs < 0.5 * BURST_LOW_HZ].sum())
    assert above / total < 1e-3, above / total
    assert below / total < 1e-3, below / total


def test_sdk15_report_and_measurement(sdk15_file: Path) -> None:
    module = torch.jit.load(str(sdk15_file))
    report = reported_delay(module, 44100, 100)
    assert report == DelayReport(
        44100, 100, buffering=34, resampling=None, look_ahead=None, model=3, total=37
    )
    assert measure_delay(module, 44100, 100, report.total, seed=0) == 37


def test_stream_copies_every_buffer(sdk15_file: Path) -> None:
    module = torch.jit.load(str(sdk15_file))
    configure(module, 48000, 64)
    x = torch.randn(2, 640, generator=torch.Generator().manual_seed(0))
    y = stream(module, x, 64, None)
    torch.testing.assert_close(y[:, 37:], x[:, :-37], rtol=0, atol=0)
    assert torch.count_nonzero(y[:, :37]) == 0
    with pytest.raises(ValueError, match="multiple of buffer_size=64, got 100"):
        stream(module, x[:, :100], 64, None)


def test_a_refused_setting_is_one_line(sdk15_file: Path) -> None:
    module = torch.jit.load(str(sdk15_file))
    with pytest.raises(SettingError) as info:
        configure(module, 12345, 128)
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        "the model refused 12345 Hz / 128 samples: sample rate 12345 is not supported by this model"
    )


def test_rows_sort_by_total_then_setting() -> None:
    def row(sr: int, bs: int, total: int) -> LatencyRow:
        return LatencyRow(DelayReport(sr, bs, total, 0, 0, 0, total))

    rows = [row(48000, 128, 5), row(44100, 256, 0), row(48000, 64, 0), row(44100, 64, 5)]
    assert [(r.report.sample_rate, r.report.buffer_size) for r in sort_rows(rows)] == [
        (44100, 256),
        (48000, 64),
        (44100, 64),
        (48000, 128),
    ]
