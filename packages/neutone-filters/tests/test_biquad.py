"""Designs of `neutone_filters.biquad` against torchaudio's cookbook biquads, scipy and theory."""

import math

import numpy as np
import pytest
import scipy.signal
import torch
import torchaudio.functional as AF

from neutone_filters.biquad import butterworth, cookbook_biquad
from neutone_filters.sos_filter import SOSFilter

FS = 48000


def _impulse_response_db(sos: torch.Tensor, length: int = 1 << 17) -> np.ndarray:
    """Magnitude response in dB on an rfft grid of `length`, from the streamed impulse response."""
    impulse = torch.zeros(1, length, dtype=torch.float64)
    impulse[0, 0] = 1.0
    h = SOSFilter(sos)(impulse)[0].numpy()
    return 20 * np.log10(np.abs(np.fft.rfft(h)) + 1e-300)


def _crossing_hz(db: np.ndarray, level: float, length: int = 1 << 17) -> float:
    """First frequency where the response crosses `level` dB (linear interpolation between bins)."""
    above = db >= level
    first = int(np.argmax(above != above[0]))
    d0, d1 = db[first - 1], db[first]
    frac = (level - d0) / (d1 - d0)
    return (first - 1 + frac) * FS / length


@pytest.mark.parametrize(
    "kind, reference",
    [
        ("lowpass", lambda x, f, q, g: AF.lowpass_biquad(x, FS, f, q)),
        ("highpass", lambda x, f, q, g: AF.highpass_biquad(x, FS, f, q)),
        ("bandpass", lambda x, f, q, g: AF.bandpass_biquad(x, FS, f, q)),
        ("bandstop", lambda x, f, q, g: AF.bandreject_biquad(x, FS, f, q)),
        ("peaking", lambda x, f, q, g: AF.equalizer_biquad(x, FS, f, g, q)),
        ("lowshelf", lambda x, f, q, g: AF.bass_biquad(x, FS, g, f, q)),
        ("highshelf", lambda x, f, q, g: AF.treble_biquad(x, FS, g, f, q)),
    ],
)
@pytest.mark.parametrize(
    "cutoff, q, gain", [(80.0, 0.5, -9.0), (1000.0, 0.7071, 6.0), (9000.0, 4.0, 12.0)]
)
def test_cookbook_matches_torchaudio(kind, reference, cutoff, q, gain) -> None:
    x = torch.randn(2, 4000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ours = SOSFilter(cookbook_biquad(kind, cutoff, FS, q=q, gain_db=gain))(x)
    theirs = reference(x, cutoff, q, gain)
    # torchaudio's biquads clamp their output to [-1, 1]; compare where they did not clip.
    unclipped = theirs.abs() < 1.0
    err = (ours - theirs)[unclipped].abs().max().item()
    assert err < 1e-9, f"{kind} at {cutoff} Hz, Q={q}, gain={gain}: max error {err}"


@pytest.mark.parametrize("cutoff", [100.0, 1000.0, 12000.0])
def test_cookbook_lowpass_is_3db_down_at_cutoff(cutoff) -> None:
    db = _impulse_response_db(cookbook_biquad("lowpass", cutoff, FS))
    measured = _crossing_hz(db, -3.0103)
    assert abs(measured - cutoff) < 0.01 * cutoff, f"-3 dB at {measured:.2f} Hz, asked {cutoff}"


@pytest.mark.parametrize("kind", ["lowpass", "highpass"])
@pytest.mark.parametrize("order", [1, 2, 3, 4, 7, 10])
@pytest.mark.parametrize("cutoff", [50.0, 2000.0, 15000.0])
def test_butterworth_matches_scipy(kind, order, cutoff) -> None:
    ours = butterworth(kind, order, cutoff, FS).numpy()
    theirs = scipy.signal.butter(order, cutoff, btype=kind, fs=FS, output="sos")
    w = np.linspace(0, math.pi, 4097)[1:-1]
    _, h_ours = scipy.signal.sosfreqz(ours, worN=w)
    _, h_theirs = scipy.signal.sosfreqz(theirs, worN=w)
    rel = np.abs(h_ours - h_theirs) / np.maximum(np.abs(h_theirs), 1e-12)
    assert rel.max() < 1e-6, f"{kind} order {order} at {cutoff} Hz: relative error {rel.max()}"


@pytest.mark.parametrize("kind", ["lowpass", "highpass"])
@pytest.mark.parametrize("order", [2, 5, 8])
@pytest.mark.parametrize("cutoff", [200.0, 3000.0])
def test_butterworth_cutoff_and_stopband(kind, order, cutoff) -> None:
    length = 1 << 17
    db = _impulse_response_db(butterworth(kind, order, cutoff, FS), length)
    measured = _crossing_hz(db, -3.0103, length)
    assert abs(measured - cutoff) < 0.01 * cutoff, f"-3 dB at {measured:.2f} Hz, asked {cutoff}"
    # One octave into the stop band the bilinear-transformed Butterworth gives
    # 10 log10(1 + (tan(pi f / fs) / tan(pi fc / fs))^(±2N)) dB of attenuation.
    stop = 2 * cutoff if kind == "lowpass" else cutoff / 2
    ratio = math.tan(math.pi * stop / FS) / math.tan(math.pi * cutoff / FS)
    expected = -10 * math.log10(1 + ratio ** (2 * order if kind == "lowpass" else -2 * order))
    got = db[round(stop * length / FS)]
    assert (
        abs(got - expected) < 0.05
    ), f"{kind} order {order}: {got:.3f} dB, expected {expected:.3f}"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: cookbook_biquad("lowpass", 24000.0, FS), r"cutoff_hz .*\(0, 24000\)"),
        (lambda: cookbook_biquad("lowpass", -5.0, FS), r"cutoff_hz .*\(0, 24000\)"),
        (lambda: cookbook_biquad("lowpass", 100.0, FS, q=0.0), r"q must be in \(0, inf\)"),
        (lambda: cookbook_biquad("comb", 100.0, FS), r"kind must be one of"),
        (lambda: cookbook_biquad("lowpass", 100.0, -1.0), r"sample_rate .*\(0, inf\)"),
        (lambda: butterworth("lowpass", -2, 100.0, FS), r"order must be in \[1, 32\], got -2"),
        (lambda: butterworth("lowpass", 0, 100.0, FS), r"order must be in \[1, 32\], got 0"),
        (lambda: butterworth("lowpass", 2.5, 100.0, FS), r"order must be an int"),
        (lambda: butterworth("bandpass", 2, 100.0, FS), r"kind must be one of lowpass, highpass"),
        (lambda: butterworth("highpass", 4, 30000.0, FS), r"cutoff_hz .*\(0, 24000\)"),
    ],
)
def test_bad_arguments_raise(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
