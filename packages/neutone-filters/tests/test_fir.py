"""`design_fir` against scipy's firwin and its specification; `FIRFilter` streaming and delay."""

import numpy as np
import pytest
import scipy.signal
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_core.kaiser import kaiser_beta
from neutone_filters.fir import FIRFilter, design_fir

FS = 48000.0
CASES = [
    ("lowpass", 3000.0, True),
    ("highpass", 3000.0, False),
    ("bandpass", (2000.0, 9000.0), False),
    ("bandstop", (2000.0, 9000.0), True),
]


@pytest.mark.parametrize("kind, cutoff, pass_zero", CASES)
@pytest.mark.parametrize("num_taps, attenuation", [(31, 40.0), (101, 80.0), (255, 120.0)])
def test_design_matches_scipy_firwin(kind, cutoff, pass_zero, num_taps, attenuation) -> None:
    ours = design_fir(kind, cutoff, FS, num_taps=num_taps, attenuation_db=attenuation).numpy()
    window = ("kaiser", kaiser_beta(attenuation))
    theirs = scipy.signal.firwin(num_taps, cutoff, window=window, pass_zero=pass_zero, fs=FS)
    assert np.abs(ours - theirs).max() < 1e-12


@pytest.mark.parametrize(
    "attenuation, transition", [(40.0, 1000.0), (80.0, 300.0), (100.0, 2000.0)]
)
def test_transition_design_follows_kaiserord_and_meets_the_specification(
    attenuation, transition
) -> None:
    cutoff = 6000.0
    taps = design_fir("lowpass", cutoff, FS, transition_hz=transition, attenuation_db=attenuation)
    numtaps, beta = scipy.signal.kaiserord(attenuation, transition / (FS / 2))
    assert taps.numel() in (numtaps, numtaps + 1) and taps.numel() % 2 == 1
    assert abs(beta - kaiser_beta(attenuation)) < 1e-12
    length = 1 << 16
    response = np.abs(np.fft.rfft(taps.numpy(), length))
    freqs = np.fft.rfftfreq(length, 1 / FS)
    # Cutoff: the half-amplitude point (firwin's definition), within 1 % of the request.
    half = freqs[np.argmax(response < 0.5)]
    assert abs(half - cutoff) < 0.01 * cutoff, f"-6 dB at {half:.1f} Hz, asked {cutoff}"
    # Stop band from cutoff + transition / 2: Kaiser's formula is good to about a dB.
    stop_db = 20 * np.log10(response[freqs >= cutoff + transition / 2].max())
    assert stop_db < -attenuation + 1.5, f"stop band {stop_db:.1f} dB, designed -{attenuation}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 4096), min_size=1, max_size=12),
    n=st.integers(1, 8000),
    channels=st.integers(1, 3),
    num_taps=st.sampled_from([3, 31, 65, 257, 1025]),
    method=st.sampled_from(["auto", "direct", "fft"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_streaming_equals_offline(stream, sizes, n, channels, num_taps, method, seed) -> None:
    x = torch.randn(channels, n, generator=torch.Generator().manual_seed(seed))
    taps = design_fir("lowpass", 5000.0, FS, num_taps=num_taps)
    offline = torch.from_numpy(scipy.signal.lfilter(taps.numpy(), [1.0], x.double().numpy()))
    streamed = stream(FIRFilter(taps, method), x, sizes)
    err = (streamed.double() - offline).abs().max().item()
    assert err < 1e-5, f"{num_taps} taps, {method}, sizes {sizes}: max error {err}"


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_impulse_returns_after_the_reported_delay(method) -> None:
    taps = design_fir("bandpass", (500.0, 4000.0), FS, num_taps=61)
    fir = FIRFilter(taps, method)
    impulse = torch.zeros(2, 200)
    impulse[:, 0] = 1.0
    response = fir(impulse)
    delay = fir.get_delay_samples()
    assert delay == 30
    assert torch.allclose(response[:, :61], taps.float().expand(2, -1), atol=1e-6)
    # Linear phase: the response is symmetric about the reported delay.
    assert torch.allclose(
        response[:, delay - 30 : delay], response[:, delay + 1 : delay + 31].flip(1)
    )


@pytest.mark.parametrize("method", ["direct", "fft"])
def test_scripted_equals_eager_and_resets(script, stream, method) -> None:
    taps = design_fir("highpass", 200.0, FS, num_taps=101)
    eager, scripted = FIRFilter(taps, method), script(FIRFilter(taps, method))
    x = torch.randn(2, 5000, generator=torch.Generator().manual_seed(3))
    sizes = [1, 64, 333, 2048]
    first = stream(scripted, x, sizes)
    assert torch.allclose(first, stream(eager, x, sizes), atol=1e-6)
    scripted.reset()
    assert torch.equal(stream(scripted, x, sizes), first)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(kind="lowpass", cutoff_hz=24000.0, num_taps=11), r"cutoff_hz .*\(0, 24000\)"),
        (dict(kind="lowpass", cutoff_hz=100.0, num_taps=10), r"num_taps must be an odd int >= 3"),
        (dict(kind="lowpass", cutoff_hz=100.0), r"exactly one of num_taps"),
        (dict(kind="lowpass", cutoff_hz=100.0, num_taps=11, transition_hz=50.0), r"exactly one"),
        (dict(kind="bandpass", cutoff_hz=100.0, num_taps=11), r"two frequencies"),
        (dict(kind="bandstop", cutoff_hz=(900.0, 100.0), num_taps=11), r"increasing"),
        (
            dict(kind="lowpass", cutoff_hz=100.0, transition_hz=-1.0),
            r"transition_hz .*\(0, 24000\)",
        ),
        (
            dict(kind="lowpass", cutoff_hz=100.0, num_taps=11, attenuation_db=-3.0),
            r"attenuation_db",
        ),
        (dict(kind="allpass", cutoff_hz=100.0, num_taps=11), r"kind must be one of"),
    ],
)
def test_bad_design_arguments_raise(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        design_fir(sample_rate=FS, **kwargs)


def test_bad_filter_arguments_raise() -> None:
    with pytest.raises(ValueError, match=r"odd length, got shape \(4,\)"):
        FIRFilter(torch.ones(4))
    with pytest.raises(ValueError, match=r"method must be one of auto, direct, fft"):
        FIRFilter(torch.ones(3), method="overlap-save")
