"""Delay measurement and host simulation, against scipy and plain arithmetic."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from neutone_export.audio.host import random_sizes, sine_sweep
from neutone_export.audio.measure import best_shift, impulse_lag, xcorr_lag


@pytest.mark.parametrize("delay", [0, 1, 37, 700])
def test_xcorr_lag_finds_a_pure_delay(delay: int) -> None:
    generator = torch.Generator().manual_seed(delay)
    x = torch.rand(2, 4000, generator=generator) - 0.5
    y = torch.nn.functional.pad(x, (delay, 0))[:, :4000] * 0.3
    lag, coefficient = xcorr_lag(x, y, 2000)
    assert lag == delay
    assert coefficient == pytest.approx(1.0, abs=1e-6)


def test_xcorr_matches_scipy_correlate() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, 1500)
    b = np.roll(a, 123) + 0.5 * rng.uniform(-1, 1, 1500)
    reference = signal.correlate(b, a, mode="full")[a.size - 1 :]  # lags 0..n-1
    lag, _ = xcorr_lag(torch.tensor(a).reshape(1, -1), torch.tensor(b).reshape(1, -1), 1499)
    assert lag == int(np.argmax(np.abs(reference))) == 123


def test_unrelated_signals_have_low_correlation() -> None:
    generator = torch.Generator().manual_seed(5)
    x, y = torch.rand(2, 2, 24000, generator=generator) - 0.5
    _, coefficient = xcorr_lag(x, y, 12000)
    assert coefficient < 0.1


def test_impulse_lag_and_best_shift() -> None:
    y = torch.zeros(2, 100)
    y[:, 45] = -0.8
    assert impulse_lag(y, 5) == 40
    x = torch.rand(1, 3000, generator=torch.Generator().manual_seed(1)) - 0.5
    later = torch.nn.functional.pad(x, (17, 0))[:, :3000]
    assert best_shift(x, later, 100) == 17
    assert best_shift(later, x, 100) == -17


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 5000), max_size=st.integers(1, 2048), seed=st.integers(0, 1000))
def test_random_sizes_cover_exactly_n(n: int, max_size: int, seed: int) -> None:
    sizes = random_sizes(n, max_size, torch.Generator().manual_seed(seed))
    assert sum(sizes) == n
    assert all(0 <= size <= max_size for size in sizes)


def test_sine_sweep_is_full_scale_and_spans_the_band() -> None:
    x = sine_sweep(48000, 48000)
    assert x.shape == (2, 48000)
    assert float(x.abs().max()) == pytest.approx(1.0, abs=1e-3)
    # An exponential sweep spends time in proportion to 1/f, so |X(f)| ~ 1/sqrt(f): flat once
    # weighted by sqrt(f) (1 Hz bins over 1 s), from 40 Hz to 20 kHz, within the sweep's ripple.
    spectrum = torch.fft.rfft(x[0].double()).abs()
    bins = torch.arange(40, 20000)
    weighted = spectrum[bins] * bins.double().sqrt()
    assert float(weighted.max() / weighted.min()) < 2.0
    assert float(spectrum[22000:].max()) < 0.05 * float(spectrum[1000])
