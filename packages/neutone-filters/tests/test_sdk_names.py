"""The Neutone SDK's names in neutone_filters: `FilterType`, `FIRFilter(filt_type, cutoffs,
filt_size)`, the SDK's `RealtimeSTFT` keywords (a `BlockSTFT`) and `FiLM`.

Physical facts rather than the SDK's numbers: the SDK's FIR is wrong (its impulse peaks at
``filt_size - 1`` for a reported ``filt_size // 2``), so ours is checked for an impulse at the
reported delay and tones passing or vanishing around the cutoffs.
"""

import copy
import math
from typing import List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from neutone_filters import (
    IIRSVF,
    TCN1D,
    BlockSTFT,
    CachedMelSpec,
    Conv1dGeneral,
    FiLM,
    FilterType,
    FIRFilter,
    IIRFilter,
    PaddingCached,
    RealtimeSTFT,
    TCN1DBlock,
)


def _tone_gain_db(fir: nn.Module, freq: float, sample_rate: int) -> float:
    """Steady-state gain of a sine through `fir`, in dB (after the filter has filled)."""
    n = 8192
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    x = torch.sin(2 * math.pi * freq * t).float().reshape(1, -1)
    y = fir(x)[:, 2048:]
    rms_in = x[:, 2048:].pow(2).mean().sqrt()
    return 20 * math.log10(float(y.pow(2).mean().sqrt() / rms_in) + 1e-12)


class Prefiltered(nn.Module):
    """The SDK examples' use: redesign at the model's rate from scripted code."""

    def __init__(self) -> None:
        super().__init__()
        self.pre_filter = FIRFilter(FilterType.LOWPASS, cutoffs=[1000.0], filt_size=257)

    @torch.jit.export
    def set_rate(self, sample_rate: int) -> int:
        self.pre_filter.set_parameters(sample_rate=sample_rate)
        return self.pre_filter.delay

    def forward(self, x: Tensor) -> Tensor:
        return self.pre_filter(x)


@pytest.mark.parametrize("filt_size", [65, 257])
def test_sdk_fir_impulse_peaks_at_the_delay_it_reports(filt_size: int) -> None:
    fir = FIRFilter(FilterType.LOWPASS, cutoffs=[1000.0], filt_size=filt_size)
    impulse = torch.zeros(2, 1024)
    impulse[:, 0] = 1.0
    peak = int(fir(impulse)[0].abs().argmax())
    assert fir.delay == fir.get_delay_samples() == (filt_size - 1) // 2
    assert peak == fir.delay, f"filt_size={filt_size}: impulse peak {peak}, reported {fir.delay}"


@pytest.mark.parametrize(
    "filt_type, cutoffs, passed, stopped",
    [
        (FilterType.LOWPASS, [1000.0], 200.0, 4000.0),
        (FilterType.HIGHPASS, [4000.0], 10000.0, 500.0),
        (FilterType.BANDPASS, [500.0, 4000.0], 1500.0, 12000.0),
        (FilterType.BANDSTOP, [500.0, 4000.0], 12000.0, 1500.0),
    ],
)
def test_sdk_fir_passes_and_stops_tones(
    filt_type: FilterType, cutoffs: List[float], passed: float, stopped: float
) -> None:
    fir = FIRFilter(filt_type, cutoffs, filt_size=257)
    # 0.1 dB: Kaiser pass-band ripple at 60 dB; 40 dB: well inside the stop band at 257 taps
    assert abs(_tone_gain_db(fir, passed, 48000)) < 0.1, f"{filt_type} {passed} Hz"
    fir.reset()
    assert _tone_gain_db(fir, stopped, 48000) < -40.0, f"{filt_type} {stopped} Hz"


def test_set_parameters_redesigns_at_the_model_rate_when_scripted() -> None:
    scripted = torch.jit.script(Prefiltered())
    eager = Prefiltered()
    assert scripted.set_rate(22050) == 128
    eager.pre_filter.set_parameters(sample_rate=22050)
    x = torch.randn(2, 3000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(scripted(x), eager(x))
    # at 22.05 kHz the 1 kHz cutoff is a larger fraction of the rate: 1.6 kHz is in the stop band
    eager.pre_filter.reset()
    assert _tone_gain_db(eager.pre_filter, 1600.0, 22050) < -40.0


def test_set_parameters_above_nyquist_passes_everything() -> None:
    fir = FIRFilter(FilterType.LOWPASS, [1000.0])
    fir.set_parameters(sample_rate=1500)
    assert abs(_tone_gain_db(fir, 300.0, 1500)) < 0.1


def test_sdk_one_call_form_is_accepted() -> None:
    fir = FIRFilter([40, 8000], sample_rate=48000, filt_type="bandpass")
    assert (fir.kind, fir.cutoffs, fir.delay) == ("bandpass", [40.0, 8000.0], 128)


def test_taps_form_is_unchanged_and_carries_no_porting_note() -> None:
    taps = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    fir = FIRFilter(taps)
    assert (fir.delay, fir.porting_note) == (1, "")
    assert "peaks at delay=128" in FIRFilter(FilterType.LOWPASS, [1000.0]).porting_note


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"filt_type": FilterType.LOWPASS, "cutoffs": [1000.0], "filt_size": 256}, "odd"),
        ({"filt_type": FilterType.BANDPASS, "cutoffs": [1000.0]}, "two frequencies"),
        ({"filt_type": FilterType.LOWPASS, "cutoffs": [30000.0]}, "below Nyquist"),
        ({"filt_type": "comb", "cutoffs": [1000.0]}, "FilterType.LOWPASS"),
        ({"filt_type": FilterType.LOWPASS}, "cutoffs"),
    ],
)
def test_sdk_fir_bad_arguments_raise_value_error(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        FIRFilter(**kwargs)


def test_set_parameters_on_a_taps_filter_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="built from taps"):
        FIRFilter(torch.ones(3)).set_parameters(sample_rate=44100)


# -- the SDK's RealtimeSTFT keywords -------------------------------------------------------------


def _sdk_stft(**overrides: object) -> nn.Module:
    kwargs = dict(model_io_n_frames=8, io_n_ch=2, n_fft=256, hop_len=64)
    kwargs.update(overrides)
    return RealtimeSTFT(**kwargs)


def test_sdk_keywords_build_a_block_stft_and_ours_build_ours() -> None:
    assert isinstance(_sdk_stft(), BlockSTFT)
    ours = RealtimeSTFT(256, 64)
    assert type(ours) is RealtimeSTFT and type(copy.deepcopy(ours)) is RealtimeSTFT


@settings(max_examples=10, deadline=None)
@given(
    blocks=st.lists(st.integers(1, 8), min_size=4, max_size=12),
    options=st.sampled_from(
        [
            {},
            {"logarithmize": False},
            {"power": 2.0},
            {"power": None, "logarithmize": False},
        ]
    ),
)
def test_identity_reconstructs_the_input_delayed_by_the_reported_delay(
    blocks: List[int], options: dict
) -> None:
    stft = torch.jit.script(_sdk_stft(**options))
    hop = 64
    x = torch.randn(2, sum(blocks) * hop, generator=torch.Generator().manual_seed(len(blocks)))
    outputs, start = [], 0
    for k in blocks:
        outputs.append(stft.spec_to_audio(stft.audio_to_spec(x[:, start : start + k * hop])))
        start += k * hop
    y = torch.cat(outputs, dim=1)
    delay = stft.calc_model_delay_samples()
    assert delay == 256 - 64
    error = (y[:, delay:] - x[:, : x.size(1) - delay]).abs().max()
    assert torch.isfinite(error) and error < 1e-4, f"blocks {blocks}, {options}: error {error}"


def test_spectrogram_shape_buffer_sizes_and_reset() -> None:
    stft = _sdk_stft()
    assert stft.calc_supported_buffer_sizes() == [64 * k for k in range(1, 9)]
    spec = stft.audio_to_spec(torch.randn(2, 128))
    assert tuple(spec.shape) == (2, 129, 8)
    stft.reset()
    silent = stft.audio_to_spec(torch.zeros(2, 512))
    assert float(silent.abs().max()) == 0.0  # log magnitudes made positive: silence is 0


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"n_fft": 250}, "multiple of hop_len"),
        ({"window": torch.ones(100)}, "window must have shape"),
        ({"power": -1.0}, "power"),
        ({"hop_len": 0}, "hop_len"),
    ],
)
def test_block_stft_bad_arguments_raise_value_error(overrides: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        _sdk_stft(**overrides)


def test_block_of_an_unsupported_size_says_which_sizes_work() -> None:
    with pytest.raises(ValueError, match="calc_supported_buffer_sizes"):
        _sdk_stft().audio_to_spec(torch.randn(2, 100))


# -- FiLM ---------------------------------------------------------------------------------------


def test_film_scales_and_shifts_each_channel_from_the_condition() -> None:
    film = FiLM(cond_dim=2, num_features=3, use_bn=False)
    x = torch.randn(1, 3, 50)
    cond = torch.tensor([[0.3, -0.7]])
    gain, offset = film.adaptor(cond).chunk(2, dim=-1)
    expected = x * gain.unsqueeze(-1) + offset.unsqueeze(-1)
    torch.testing.assert_close(film(x, cond), expected)
    torch.testing.assert_close(torch.jit.script(film)(x, cond), expected)


def test_film_refuses_a_one_dimensional_condition() -> None:
    with pytest.raises(ValueError, match="reshape"):
        FiLM(2, 3)(torch.randn(1, 3, 10), torch.randn(2))


# -- IIRFilter and PaddingCached ----------------------------------------------------------------


class IIRPrefiltered(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pre_filter = IIRFilter(FilterType.HIGHPASS, cutoff=2000.0, resonance=0.7071)

    @torch.jit.export
    def set_rate(self, sample_rate: int) -> int:
        self.pre_filter.set_parameters(sample_rate=sample_rate)
        return self.pre_filter.delay

    def forward(self, x: Tensor) -> Tensor:
        return self.pre_filter(x)


@pytest.mark.parametrize(
    "filt_type", [FilterType.LOWPASS, FilterType.HIGHPASS, FilterType.BANDPASS]
)
def test_iir_filter_matches_the_sdk_response(filt_type: FilterType) -> None:
    """Same input through the SDK's IIRFilter (installed in the dev env) and ours."""
    sdk_filters = pytest.importorskip("neutone_sdk.filters")
    x = torch.randn(2, 2048, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = sdk_filters.IIRFilter(sdk_filters.FilterType(filt_type.value), 1500.0, 2.0)(x)
    ours = IIRFilter(filt_type, 1500.0, 2.0)(x)
    error = (ours - expected).abs().max()
    # float32 recursion in the SDK against float64 blocks here: 1e-4 of a unit-level signal
    assert torch.isfinite(error) and error < 1e-4, f"{filt_type}: max difference {error}"


def test_iir_filter_redesigns_when_scripted_and_resets() -> None:
    scripted = torch.jit.script(IIRPrefiltered())
    assert scripted.set_rate(16000) == 0
    eager = IIRPrefiltered()
    eager.pre_filter.set_parameters(sample_rate=16000)
    x = torch.randn(3, 500, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(scripted(x), eager(x))
    scripted.pre_filter.reset()
    eager.pre_filter.reset()
    torch.testing.assert_close(scripted(x), eager(x))
    with pytest.raises(ValueError, match="LOWPASS, HIGHPASS or BANDPASS"):
        IIRFilter(FilterType.BANDSTOP, 1000.0, 1.0)


def test_padding_cached_streams_like_offline_causal_padding() -> None:
    conv = nn.Conv1d(2, 3, kernel_size=5, dilation=2)
    pad = torch.jit.script(PaddingCached(n_ch=2, padding_l=8))
    x = torch.randn(1, 2, 300, generator=torch.Generator().manual_seed(5))
    offline = conv(nn.functional.pad(x, [8, 0]))
    streamed = torch.cat([conv(pad(part)) for part in x.split([1, 64, 35, 200], dim=-1)], -1)
    torch.testing.assert_close(streamed, offline)
    pad.reset()
    torch.testing.assert_close(conv(pad(x)), offline)
    with pytest.raises(ValueError, match="padding_r must be 0"):
        PaddingCached(2, 4, padding_r=2)


# -- TCN1D ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cond_dim, use_bn", [(0, True), (3, True), (0, False)])
def test_tcn1d_loads_an_sdk_state_dict_and_matches_it(cond_dim: int, use_bn: bool) -> None:
    sdk_tcn = pytest.importorskip("neutone_sdk.tcn_1d")
    torch.manual_seed(6)
    kwargs = dict(n_blocks=3, kernel_size=5, n_channels=8, dil_growth=2, cond_dim=cond_dim)
    theirs = sdk_tcn.TCN1D(use_bn=use_bn, **kwargs).eval()
    ours = TCN1D(use_bn=use_bn, **kwargs).eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 1, 400)
    cond = torch.rand(2, cond_dim) if cond_dim else None
    with torch.no_grad():
        expected = theirs(x, cond)
        torch.testing.assert_close(ours(x, cond), expected)
        torch.testing.assert_close(torch.jit.script(ours)(x, cond), expected)
    assert ours.calc_receptive_field() == theirs.calc_receptive_field()


def test_tcn1d_block_aligns_the_residual_with_a_shortened_output() -> None:
    block = TCN1DBlock(1, 1, kernel_size=3, dilation=2, padding=0, use_bn=False, use_act=False)
    with torch.no_grad():
        block.conv.weight.zero_()
        block.conv.bias.zero_()
        block.res.weight.fill_(1.0)
    x = torch.arange(10.0).reshape(1, 1, 10)
    # output sample k sees inputs up to 4 + k: the residual must be the input's last 6 samples
    assert block(x).flatten().tolist() == x[..., 4:].flatten().tolist()


@pytest.mark.parametrize("weights", [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.2, 0.5, 0.3)])
def test_iirsvf_matches_the_sdk_with_steady_knobs(weights: tuple) -> None:
    sdk_filters = pytest.importorskip("neutone_sdk.filters")
    n = 1024
    x = torch.randn(2, n, generator=torch.Generator().manual_seed(7))
    cutoff = torch.full((2, n, 1), 2500.0)
    resonance = torch.full((2, n, 1), 1.5)
    mix = torch.tensor(weights).expand(2, n, 3)
    with torch.no_grad():
        expected = sdk_filters.IIRSVF()(x, cutoff, resonance, mix, 44100)
    ours = torch.jit.script(IIRSVF())(x, cutoff, resonance, mix, 44100)
    error = (ours - expected).abs().max()
    assert torch.isfinite(error) and error < 1e-4, f"mix {weights}: max difference {error}"


# -- CachedMelSpec -------------------------------------------------------------------------------


@pytest.mark.parametrize("normalized, power", [(False, 2.0), (True, 1.0)])
def test_cached_mel_spec_matches_the_sdk_block_by_block(normalized: bool, power: float) -> None:
    sdk_mel = pytest.importorskip("neutone_sdk.cached_mel_spec")
    kwargs = dict(sr=16000, n_ch=2, n_fft=512, hop_len=128, n_mels=40, power=power)
    theirs = sdk_mel.CachedMelSpec(normalized=normalized, **kwargs)
    ours = torch.jit.script(CachedMelSpec(normalized=normalized, **kwargs))
    x = torch.randn(2, 128 * 30, generator=torch.Generator().manual_seed(8))
    for block in x.split([128, 512, 256, 1280, 128, 1536], dim=1):
        with torch.no_grad():
            expected = theirs(block)
        got = ours(block)
        # float32 FFTs of two implementations: 1e-4 relative to the largest band
        error = float((got - expected).abs().max() / expected.abs().max())
        assert math.isfinite(error) and error < 1e-4, f"block {block.size(1)}: error {error}"
    assert ours.get_delay_samples() == theirs.get_delay_samples() == 128


def test_cached_mel_spec_refuses_a_block_off_the_hop() -> None:
    with pytest.raises(ValueError, match="multiple of hop_len=128"):
        CachedMelSpec(16000, 1, n_fft=512, hop_len=128)(torch.randn(1, 100))


# -- Conv1dGeneral -------------------------------------------------------------------------------


@pytest.mark.parametrize("causal, padding", [(True, "same"), (False, "same"), (False, "valid")])
def test_conv1d_general_offline_matches_the_sdk_and_streams_with_its_delay(
    causal: bool, padding: str
) -> None:
    sdk_conv = pytest.importorskip("neutone_sdk.conv")
    torch.manual_seed(9)
    kwargs = dict(kernel_size=4, dilation=3, padding=padding, causal=causal)
    theirs = sdk_conv.Conv1dGeneral(2, 3, **kwargs)
    ours = Conv1dGeneral(2, 3, **kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=False)  # the SDK also saves its cache
    x = torch.randn(1, 2, 200)
    with torch.no_grad():
        offline = theirs(x)
        torch.testing.assert_close(ours(x), offline)
        ours.prepare_for_inference()
        scripted = torch.jit.script(ours)
        streamed = torch.cat([scripted(part) for part in x.split([7, 100, 93], dim=-1)], dim=-1)
    delay = scripted.get_delay_samples()
    assert delay == 9 - ours.padding_l
    # the cached output is the offline output delayed by the right context the padding gave it
    n = x.size(-1)
    torch.testing.assert_close(streamed[..., delay:], offline[..., : n - delay])
