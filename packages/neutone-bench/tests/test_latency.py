"""The delay measurement (noise burst, cross-correlation), the delay report and the random host
buffers, without the CLI."""

from pathlib import Path

import pytest
import torch

from neutone_bench.host import (
    HOST_CHANNELS,
    DelayReport,
    SettingError,
    configure,
    random_buffers,
    reported_delay,
)
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
    x = torch.zeros(HOST_CHANNELS, n)
    x[:, at : at + burst.numel()] = burst
    return x


@pytest.mark.parametrize("delay", [0, 1, 37, 1000, 5000, -1, -LEAD_SAMPLES])
def test_find_lag_recovers_a_shift_through_nonlinear_distortion(delay: int) -> None:
    burst = noise_burst(44100, 44100, seed=1)
    n = 16384
    shifted = _placed(burst, n, LEAD_SAMPLES + delay)
    assert find_lag(burst, shifted, LEAD_SAMPLES) == delay
    # Hard clipping at a fifth of the peak and a polarity flip keep the timing.
    distorted = -torch.clamp(shifted, -0.1, 0.1)
    assert find_lag(burst, distorted, LEAD_SAMPLES) == delay
    # So does added noise at -20 dB.
    noisy = shifted + 0.05 * torch.randn(n, generator=torch.Generator().manual_seed(2))
    assert find_lag(burst, noisy, LEAD_SAMPLES) == delay
    # And a model that drops one channel (the lag is read on the mono sum).
    one_sided = shifted * torch.tensor([[1.0], [0.0]])
    assert find_lag(burst, one_sided, LEAD_SAMPLES) == delay


def test_find_lag_of_silence_is_none() -> None:
    burst = noise_burst(48000, 48000, seed=0)
    assert find_lag(burst, torch.zeros(HOST_CHANNELS, 8192), LEAD_SAMPLES) is None


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


def test_random_buffers_are_seeded_and_in_range() -> None:
    audio, knobs = random_buffers(64, 3, seed=7)
    assert [tuple(x.shape) for x in audio] == [(HOST_CHANNELS, 64)] * 3
    assert [tuple(p.shape) for p in knobs] == [(4, 64)] * 3
    stacked_audio, stacked_knobs = torch.stack(audio), torch.stack(knobs)
    assert float(stacked_audio.min()) >= -1.0 and float(stacked_audio.max()) < 1.0
    assert float(stacked_knobs.min()) >= 0.0 and float(stacked_knobs.max()) < 1.0
    # Spread over the whole range, and distinct buffers (a pool of one buffer would hide caching).
    assert float(stacked_audio.min()) < -0.9 and float(stacked_audio.max()) > 0.9
    assert not torch.equal(audio[0], audio[1])
    again, _ = random_buffers(64, 3, seed=7)
    assert torch.equal(torch.stack(audio), torch.stack(again))
    other, _ = random_buffers(64, 3, seed=8)
    assert not torch.equal(audio[0], other[0])


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
