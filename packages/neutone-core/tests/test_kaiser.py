"""Kaiser design formulas against scipy.signal (kaiser_beta, kaiserord, firwin)."""

import math

import numpy as np
import pytest
import scipy.signal
import torch

from neutone_core.kaiser import kaiser_beta, kaiser_kernel, kaiser_num_taps


@pytest.mark.parametrize("attenuation_db", [10.0, 21.0, 30.0, 50.0, 60.0, 120.0, 160.0])
def test_beta_matches_scipy(attenuation_db: float) -> None:
    expected = scipy.signal.kaiser_beta(attenuation_db)
    assert kaiser_beta(attenuation_db) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("attenuation_db", [30.0, 60.0, 120.0, 150.0])
@pytest.mark.parametrize("transition_width", [0.001, 0.01, 0.05, 0.2])
def test_num_taps_matches_kaiserord(attenuation_db: float, transition_width: float) -> None:
    # kaiserord takes the width as a fraction of Nyquist: twice the width in cycles per sample.
    scipy_taps, scipy_beta = scipy.signal.kaiserord(attenuation_db, 2.0 * transition_width)
    taps = kaiser_num_taps(attenuation_db, transition_width)
    assert taps % 2 == 1
    assert taps in (scipy_taps, scipy_taps + 1), (attenuation_db, transition_width, scipy_taps)
    assert kaiser_beta(attenuation_db) == pytest.approx(scipy_beta, rel=1e-12)


@pytest.mark.parametrize("cutoff", [0.05, 0.2, 0.45, 0.49])
@pytest.mark.parametrize("numtaps", [31, 101])
def test_kernel_matches_firwin(cutoff: float, numtaps: int) -> None:
    beta = kaiser_beta(100.0)
    t = torch.arange(numtaps, dtype=torch.float64) - (numtaps - 1) / 2
    ours = kaiser_kernel(t, cutoff, (numtaps - 1) / 2, beta)
    theirs = scipy.signal.firwin(numtaps, 2.0 * cutoff, window=("kaiser", beta), scale=False)
    assert ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-10, atol=1e-14)


def test_kernel_dc_gain_and_zero_outside() -> None:
    beta = kaiser_beta(120.0)
    taps = kaiser_num_taps(120.0, 0.02)
    half = taps // 2
    t = torch.arange(-half - 5, half + 6, dtype=torch.float64)
    h = kaiser_kernel(t, 0.2, float(half), beta)
    assert torch.all(h[:5] == 0) and torch.all(h[-5:] == 0)
    # A 120 dB design keeps the pass-band ripple (hence the DC error) near 1e-6.
    assert abs(float(h.sum()) - 1.0) < 1e-5
    # Fractional times: the kernel is even and peaks at 2 * cutoff.
    frac = torch.tensor([-0.3, 0.3, 0.0], dtype=torch.float64)
    values = kaiser_kernel(frac, 0.2, float(half), beta)
    assert values[0] == values[1]
    assert float(values[2]) == pytest.approx(0.4, rel=1e-12)


def test_stop_band_attenuation_reached() -> None:
    # Design from the formulas and measure the response: the stop band meets the attenuation asked.
    attenuation, cutoff, width = 100.0, 0.2, 0.02
    taps = kaiser_num_taps(attenuation, width)
    t = torch.arange(taps, dtype=torch.float64) - taps // 2
    h = kaiser_kernel(t, cutoff, float(taps // 2), kaiser_beta(attenuation)).numpy()
    freqs, response = scipy.signal.freqz(h, worN=1 << 15, fs=1.0)
    stop = np.abs(response[freqs >= cutoff + width / 2])
    assert 20 * math.log10(stop.max()) < -attenuation + 1.0


@pytest.mark.parametrize("bad", [0.0, -3.0, math.inf, math.nan])
def test_bad_attenuation(bad: float) -> None:
    with pytest.raises(ValueError, match="attenuation_db"):
        kaiser_beta(bad)
    with pytest.raises(ValueError, match="attenuation_db"):
        kaiser_num_taps(bad, 0.1)


@pytest.mark.parametrize("bad", [0.0, 0.5, -0.1, math.nan])
def test_bad_transition_width(bad: float) -> None:
    with pytest.raises(ValueError, match=r"transition_width.*\(0, 0.5\)"):
        kaiser_num_taps(60.0, bad)


def test_bad_kernel_arguments() -> None:
    t = torch.zeros(3)
    with pytest.raises(ValueError, match="cutoff"):
        kaiser_kernel(t, 0.6, 10.0, 5.0)
    with pytest.raises(ValueError, match="half_width"):
        kaiser_kernel(t, 0.25, 0.0, 5.0)
    with pytest.raises(ValueError, match="beta"):
        kaiser_kernel(t, 0.25, 10.0, -1.0)


def test_scripted_functions_equal_eager() -> None:
    # The streaming resampler designs its filters inside TorchScript with these functions.
    beta = torch.jit.script(kaiser_beta)
    num_taps = torch.jit.script(kaiser_num_taps)
    kernel = torch.jit.script(kaiser_kernel)
    for attenuation in [10.0, 30.0, 70.0, 125.0, 150.0]:
        assert beta(attenuation) == kaiser_beta(attenuation)
        assert num_taps(attenuation, 0.013) == kaiser_num_taps(attenuation, 0.013)
    t = torch.linspace(-41.0, 41.0, 301, dtype=torch.float64)
    assert torch.equal(kernel(t, 0.23, 40.0, 9.5), kaiser_kernel(t, 0.23, 40.0, 9.5))
    with pytest.raises(torch.jit.Error, match=r"attenuation_db .*got -3"):
        beta(-3.0)
    with pytest.raises(torch.jit.Error, match=r"transition_width .*\(0, 0.5\)"):
        num_taps(60.0, 0.5)
