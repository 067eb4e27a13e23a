"""`StateVariableFilter`: equals the cookbook biquad, streams, glides without clicks, is stable."""

import math

import pytest
import torch
import torchaudio.functional as AF
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_filters.biquad import cookbook_biquad
from neutone_filters.state_variable import StateVariableFilter

FS = 48000.0


def _noise(channels: int, n: int, seed: int) -> torch.Tensor:
    return torch.randn(channels, n, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    "mode, kind",
    [
        ("lowpass", "lowpass"),
        ("highpass", "highpass"),
        ("bandpass", "bandpass"),
        ("notch", "bandstop"),
    ],
)
@pytest.mark.parametrize("cutoff, q", [(40.0, 0.5), (1000.0, 0.7071), (15000.0, 10.0)])
def test_fixed_knobs_equal_cookbook_biquad(mode, kind, cutoff, q) -> None:
    # The TPT SVF and the cookbook are the same bilinear transform of the same analogue filter.
    x = _noise(2, 6000, 0).double()
    sos = cookbook_biquad(kind, cutoff, FS, q=q)
    expected = AF.lfilter(x, sos[0, 3:], sos[0, :3], clamp=False)
    got = StateVariableFilter(mode, FS, cutoff, q)(x)
    err = (got - expected).abs().max().item()
    assert err < 1e-9, f"{mode} {cutoff} Hz Q {q}: max error {err}"


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    sizes=st.lists(st.integers(1, 4096), min_size=1, max_size=12),
    n=st.integers(1, 8000),
    channels=st.integers(1, 3),
    mode=st.sampled_from(["lowpass", "highpass", "bandpass", "notch"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_streaming_equals_offline(stream, sizes, n, channels, mode, seed) -> None:
    x = _noise(channels, n, seed)
    offline = StateVariableFilter(mode, FS, 700.0, 2.0)(x)
    streamed = stream(StateVariableFilter(mode, FS, 700.0, 2.0), x, sizes)
    err = (streamed - offline).abs().max().item()
    assert err < 1e-5, f"{mode}, sizes {sizes}: max error {err}"


def _per_sample_reference(
    x: torch.Tensor, mode: str, cutoffs: torch.Tensor, qs: torch.Tensor
) -> torch.Tensor:
    """Simper's SVF one sample at a time, with per-sample `cutoffs` and `qs` (slow, obvious)."""
    y = torch.zeros_like(x, dtype=torch.float64)
    for ch in range(x.size(0)):
        ic1, ic2 = 0.0, 0.0
        for i in range(x.size(1)):
            g = math.tan(math.pi * float(cutoffs[i]) / FS)
            k = 1.0 / float(qs[i])
            a1 = 1.0 / (1.0 + g * (g + k))
            a2, a3 = g * a1, g * g * a1
            v0 = float(x[ch, i])
            v1 = a1 * ic1 + a2 * (v0 - ic2)
            v2 = ic2 + a2 * ic1 + a3 * (v0 - ic2)
            ic1, ic2 = 2 * v1 - ic1, 2 * v2 - ic2
            outputs = {"lowpass": v2, "highpass": v0 - k * v1 - v2, "bandpass": k * v1}
            y[ch, i] = outputs.get(mode, v0 - k * v1)  # notch
    return y


def _control_ramp(start: float, stop: float, n: int) -> torch.Tensor:
    """Per-sample knob values of a one-buffer glide: geometric, held over each 16-sample block."""
    ends = torch.clamp(torch.arange(1, (n + 15) // 16 + 1) * 16, max=n).double()
    per_block = torch.exp(math.log(start) + (math.log(stop) - math.log(start)) * ends / n)
    return per_block.repeat_interleave(16)[:n]


@pytest.mark.parametrize("mode", ["lowpass", "highpass", "bandpass", "notch"])
def test_moving_knobs_match_a_per_sample_reference(mode) -> None:
    # Buffers of 300 and 421 samples: the last control block of each is partial.
    x = _noise(2, 721, 5).double()
    svf = StateVariableFilter(mode, FS, 200.0, 0.7)
    first = svf(x[:, :300], cutoff_hz=torch.tensor(5000.0), q=torch.tensor(6.0))
    second = svf(x[:, 300:], cutoff_hz=torch.tensor(90.0))
    got = torch.cat([first, second], dim=1)
    cutoffs = torch.cat([_control_ramp(200.0, 5000.0, 300), _control_ramp(5000.0, 90.0, 421)])
    qs = torch.cat([_control_ramp(0.7, 6.0, 300), torch.full([421], 6.0, dtype=torch.float64)])
    expected = _per_sample_reference(x, mode, cutoffs, qs)
    err = (got - expected).abs().max().item()
    assert err < 1e-9, f"{mode}: max error {err}"


def _sine(n: int, hz: float) -> torch.Tensor:
    return torch.sin(2 * math.pi * hz * torch.arange(n) / FS).unsqueeze(0)


def _largest_step(knob_values: torch.Tensor) -> float:
    """Largest sample-to-sample jump of a 440 Hz sine through a low-pass driven by `knob_values`."""
    svf = StateVariableFilter("lowpass", FS, 300.0, 0.7071)
    x = _sine(4096, 440.0)
    y = torch.cat([svf(x[:, :2048]), svf(x[:, 2048:], cutoff_hz=knob_values)], dim=1)
    return y.diff(dim=1).abs().max().item()


def test_cutoff_jump_glides_without_a_click() -> None:
    # A unit sine's largest step is 2 pi f / fs and a flat (Q 0.7071) low-pass passes it unchanged
    # once the cutoff is above it; a click shows as a jump far above that. The ramped knob stays
    # close; a hard switch of the same knob (one value per sample) does not.
    sine_step = 2 * math.pi * 440.0 / FS
    ramped = _largest_step(torch.tensor(12000.0))
    switched = _largest_step(torch.full([2048], 12000.0))
    assert ramped < 1.5 * sine_step, f"ramped knob: step {ramped:.4f}, sine step {sine_step:.4f}"
    assert switched > 1.5 * sine_step, "the hard switch should click (the test would not fail)"


def test_random_knobs_every_buffer_stay_stable() -> None:
    gen = torch.Generator().manual_seed(7)
    svf = StateVariableFilter("bandpass", FS, 1000.0, 1.0)
    for _ in range(200):
        cutoff = torch.exp(torch.empty(1).uniform_(0.0, math.log(0.49 * FS), generator=gen))
        q = torch.exp(torch.empty(1).uniform_(math.log(0.05), math.log(100.0), generator=gen))
        n = int(torch.randint(1, 512, (1,), generator=gen))
        y = svf(torch.rand(2, n, generator=gen) * 2 - 1, cutoff_hz=cutoff, q=q)
        # Unity-peak band-pass: the output of a bounded input stays of the order of the input.
        assert torch.isfinite(y).all() and y.abs().max() < 10.0


def test_scripted_equals_eager_with_knob_changes_and_reset(script) -> None:
    eager = StateVariableFilter("highpass", FS, 200.0, 0.7)
    scripted = script(StateVariableFilter("highpass", FS, 200.0, 0.7))
    x = _noise(2, 3000, 1)
    knobs = [
        (None, None),
        (torch.tensor(3000.0), None),
        (None, torch.tensor(5.0)),
        (torch.linspace(100.0, 900.0, 1000), torch.tensor(0.5)),
    ]

    def run(module) -> torch.Tensor:
        outs = []
        for i, (cut, q) in enumerate(knobs):
            chunk = x[:, i * 1000 : (i + 1) * 1000] if i < 3 else x[:, 2000:]
            outs.append(module(chunk, cutoff_hz=cut, q=q))
        return torch.cat(outs, dim=1)

    first = run(scripted)
    assert torch.allclose(first, run(eager), atol=1e-6)
    scripted.reset()
    assert torch.allclose(run(scripted), first, atol=1e-6)
    assert scripted.get_delay_samples() == 0


def test_per_sample_knob_of_wrong_length_raises() -> None:
    svf = StateVariableFilter("lowpass", FS)
    with pytest.raises(ValueError, match=r"n = 10 values \(or one\), got 3"):
        svf(torch.zeros(1, 10), cutoff_hz=torch.ones(3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mode="lowpass", sample_rate=FS, cutoff_hz=30000.0), r"cutoff_hz .*\(0, 24000\)"),
        (dict(mode="lowpass", sample_rate=FS, q=0.0), r"q must be in \[0.05, 100"),
        (dict(mode="comb", sample_rate=FS), r"mode must be one of"),
    ],
)
def test_bad_arguments_raise(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        StateVariableFilter(**kwargs)
