"""Non-realtime ("Gen") models: whole clips at the host rate, blocks, knobs, prompts, cancel."""

import io
import json
import math
from typing import Dict, List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter, validate_metadata
from neutone_core.non_realtime import NonRealtimeBase, NonRealtimeTokenizerBase, TokenizerType
from neutone_core.non_realtime_adapter import PRESERVED_ATTRIBUTES, NonRealtimeAdapter
from neutone_core.parameters import DiscreteTokensNeutoneParameter, TextNeutoneParameter

SDK15_PRESERVED = [
    "nrb",
    "get_audio_in_channels",
    "get_audio_out_channels",
    "get_native_sample_rates",
    "get_native_buffer_sizes",
    "is_resampling",
    "set_daw_sample_rate_and_buffer_size",
    "is_one_shot_model",
    "get_progress_percentage",
    "has_progress_percentage",
    "should_cancel_forward_pass",
    "request_cancel_forward_pass",
    "is_text_model",
    "is_tokens_model",
    "reset",
    "get_current_model_sample_rate",
    "get_current_model_buffer_size",
    "get_model_bpm",
    "get_preserved_attributes",
    "to_metadata",
    "get_metadata_json",
    "get_tokenizer_str",
    "get_tokenizer_type",
    "get_numerical_params_default_values_0to1",
]


class Probe(NonRealtimeBase):
    """A configurable test model: gain by the knob, records blocks, may cancel itself."""

    block_lengths: List[int]

    def __init__(
        self,
        ins: List[int],
        outs: List[int],
        rates: List[int],
        sizes: List[int],
        one_shot: bool = False,
        delay: int = 0,
        cancel_at: int = -1,
        params: list | None = None,
    ) -> None:
        super().__init__(nn.Identity())
        self.ins = ins
        self.outs = outs
        self.rates = rates
        self.sizes = sizes
        self.one_shot = one_shot
        self.delay = delay
        self.cancel_at = cancel_at
        self.params = (
            [ContinuousNeutoneParameter("gain", "g", 1.0, 0.0, 2.0)] if params is None else params
        )
        self.block_lengths: List[int] = []
        self.tail = torch.zeros(1, delay)

    def reset_model(self) -> bool:
        self.tail = torch.zeros(1, self.delay)
        return True

    def get_model_name(self) -> str:
        return "probe"

    def get_model_authors(self) -> List[str]:
        return ["tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "probe"

    def get_neutone_parameters(self) -> list:
        return self.params

    def get_audio_in_channels(self) -> List[int]:
        return self.ins

    def get_audio_out_channels(self) -> List[int]:
        return self.outs

    def get_native_sample_rates(self) -> List[int]:
        return self.rates

    def get_native_buffer_sizes(self) -> List[int]:
        return self.sizes

    def is_one_shot_model(self) -> bool:
        return self.one_shot

    def calc_model_delay_samples(self) -> int:
        return self.delay

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        self.block_lengths.append(audio_in[0].size(1) if len(audio_in) > 0 else 0)
        if curr_block_idx == self.cancel_at:
            self.request_cancel_forward_pass()  # as if the host asked during this block
        self.set_progress_percentage(50.0)
        gain = numerical_params["gain"]
        out: List[Tensor] = []
        for ch in self.outs:
            if len(audio_in) > 0:
                x = audio_in[0].mean(dim=0, keepdim=True)
                # The model's own delay, a delay line kept across blocks.
                line = torch.cat([self.tail, x], dim=1)
                x = line[:, : x.size(1)]
                self.tail = line[:, x.size(1) :]
            else:
                x = torch.ones(1, 4800)  # a generator: 0.1 s at 48 kHz
            out.append((x * gain).expand(ch, x.size(1)))
        return out


class Generator(Probe):
    """One-shot, no input: writes the prompt's length and first token into its output."""

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        y = torch.zeros(1, 4800)
        y[0, 0] = float(len(text_params[0]))
        y[0, 1] = float(tokens_params[0][0]) if len(tokens_params[0]) > 0 else -1.0
        y[0, 2] = numerical_params["mode"][0]
        return [y]


def _sine(n: int, sample_rate: int, freq: float = 1000.0, channels: int = 2) -> Tensor:
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    return (0.5 * torch.sin(2 * math.pi * freq * t)).float().repeat(channels, 1)


def _scripted(model: NonRealtimeBase) -> torch.jit.ScriptModule:
    return torch.jit.script(NonRealtimeAdapter(model))


def test_30_s_at_44k1_through_a_48k_model_comes_back_at_44k1_with_its_length():
    module = _scripted(Probe([2], [2], [48000], [4096]))
    module.set_daw_sample_rate_and_buffer_size(44100, 512)
    assert module.is_resampling() and module.get_current_model_sample_rate() == 48000
    x = _sine(30 * 44100, 44100)
    (y,) = module.forward_non_realtime([x])
    assert y.shape == x.shape
    # Gain 1 (default): the round trip 44.1 -> 48 -> 44.1 kHz keeps a 1 kHz tone within -50 dB.
    error = (y[:, 2000:-2000] - x[:, 2000:-2000]).abs().max()
    assert 20 * math.log10(float(error) / 0.5) < -50
    assert module.get_progress_percentage() == 100.0


def test_blocks_have_the_native_size_and_the_model_delay_is_removed():
    model = Probe([1], [1], [48000], [256, 1000], delay=37)
    module = NonRealtimeAdapter(model)
    module.set_daw_sample_rate_and_buffer_size(48000, 900)
    assert module.get_current_model_buffer_size() == 1000
    x = torch.randn(1, 2500)
    (y,) = module.forward_non_realtime([x])
    assert model.block_lengths == [1000, 1000, 1000]  # 2500 + 37 samples padded to 3 blocks
    torch.testing.assert_close(y, x)


def test_knobs_are_mapped_and_held_at_the_native_rate():
    knobs = [
        ContinuousNeutoneParameter("gain", "g", 0.5, 0.0, 4.0),
        CategoricalNeutoneParameter("mode", "m", 3, 1),
    ]
    model = Probe([1], [1], [], [100], params=knobs)
    module = NonRealtimeAdapter(model)
    module.set_daw_sample_rate_and_buffer_size(48000, 100)
    x = torch.ones(1, 300)
    (y,) = module.forward_non_realtime([x])
    assert torch.allclose(y, torch.full_like(y, 0.5))  # the default, in the knob's own units
    assert module.get_numerical_params_default_values_0to1().flatten().tolist() == [0.125, 0.5]
    rows = torch.zeros(2, 300)
    rows[0, 100:200] = 0.5  # the mean of each block becomes that block's gain
    rows[0, 200:] = 1.0
    (y,) = module.forward_non_realtime([x], rows)
    assert y[0, ::100].tolist() == [0.0, 2.0, 4.0]
    with pytest.raises(ValueError, match=r"numerical_params must be knob positions in \[0, 1\]"):
        module.forward_non_realtime([x], rows + float("nan"))


def test_text_tokens_defaults_limits_and_metadata():
    params = [
        TextNeutoneParameter("prompt", "what", 8, "kick"),
        DiscreteTokensNeutoneParameter("ids", "tokens", 3, [7]),
        CategoricalNeutoneParameter("mode", "m", 4, 2, ["a", "b", "c", "d"]),
    ]
    model = Generator([], [1], [48000], [], one_shot=True, params=params)
    module = _scripted(model)
    module.set_daw_sample_rate_and_buffer_size(44100, 512)
    (y,) = module.forward_non_realtime([torch.zeros(0)])  # the plugin sends empty tensors
    assert y.shape == (1, 4410)  # 4800 samples at 48 kHz is 0.1 s at 44.1 kHz
    (y,) = module.forward_non_realtime([], None, ["snare"], [[3, 4]])
    assert module.is_text_model() and module.is_tokens_model()
    module.set_daw_sample_rate_and_buffer_size(48000, 512)
    (y,) = module.forward_non_realtime([], None, ["snare"], [[3, 4]])
    assert y[0, :3].tolist() == [5.0, 3.0, 2.0]
    with pytest.raises(torch.jit.Error, match="text parameter 'prompt' takes at most 8"):
        module.forward_non_realtime([], None, ["x" * 9], None)
    with pytest.raises(torch.jit.Error, match="tokens parameter 'ids' takes at most 3"):
        module.forward_non_realtime([], None, None, [[1, 2, 3, 4]])
    meta = module.to_metadata()
    validate_metadata(json.loads(json.dumps(meta)), realtime=False)
    assert meta["neutone_parameters"]["p2"]["default_value"] == [7]
    assert meta["neutone_parameters"]["p3"]["default_value"] == 2
    assert meta["is_one_shot_model"] is True and meta["model_bpm"] is None
    assert json.loads(module.get_metadata_json()) == json.loads(json.dumps(meta))


def test_cancel_stops_within_the_block_it_arrives_in_and_holds_until_reset():
    model = Probe([2], [2], [48000], [512], cancel_at=2)
    module = _scripted(model)
    x = torch.randn(2, 512 * 10)
    assert module.forward_non_realtime([x]) == []
    assert module.nrb.block_lengths == [512, 512, 512]  # blocks 0, 1, 2 ran; block 3 did not
    assert module.should_cancel_forward_pass()
    assert module.get_progress_percentage() == pytest.approx(100 * 2.5 / 10)
    assert module.forward_non_realtime([x]) == []  # the request holds until reset
    module.reset()
    module.nrb.cancel_at = -1
    assert not module.should_cancel_forward_pass()
    assert len(module.forward_non_realtime([x])) == 1


def test_two_inputs_with_channel_conversion_and_labels():
    model = Probe([2, 1], [1], [], [], one_shot=True)
    model.get_audio_in_labels = lambda: ["main", "sidechain"]  # type: ignore[method-assign]
    module = NonRealtimeAdapter(model)
    (y,) = module.forward_non_realtime([torch.ones(1, 100), torch.ones(2, 100)])
    assert y.shape == (1, 100)
    assert module.get_audio_in_labels() == ["main", "sidechain"]
    with pytest.raises(ValueError, match="audio_in must hold 2 tracks"):
        module.forward_non_realtime([torch.ones(1, 100)])
    with pytest.raises(ValueError, match="every track must have the same length"):
        module.forward_non_realtime([torch.ones(1, 100), torch.ones(1, 99)])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ins": [3]}, r"audio_in_channels: a list of channel counts, each 1 or 2"),
        ({"outs": []}, "audio_out_channels: at least one output track"),
        (
            {"params": [TextNeutoneParameter("a", ""), TextNeutoneParameter("b", "")]},
            r"at most 1 text parameters, got 2 \(extra: 'b'\)",
        ),
        ({"rates": [0]}, r"native_sample_rates\[0\]: an int in \[1000, 384000\]"),
    ],
)
def test_bad_getters_are_refused_when_the_adapter_is_built(change, message):
    settings_ = {"ins": [2], "outs": [2], "rates": [], "sizes": [], **change}
    with pytest.raises(ValueError, match=message):
        NonRealtimeAdapter(Probe(**settings_))


def test_saved_file_keeps_the_reference_methods_and_is_not_realtime():
    module = _scripted(Probe([2], [2], [48000], [2048]))
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    assert loaded.realtime is False
    for name in SDK15_PRESERVED + PRESERVED_ATTRIBUTES:
        assert hasattr(loaded, name), name
    assert loaded.get_preserved_attributes()[: len(SDK15_PRESERVED)] == SDK15_PRESERVED
    assert loaded.set_daw_sample_rate_and_buffer_size(44100, 512, None, None) == -1
    assert loaded.get_tokenizer_type() is None and loaded.get_tokenizer_str() == ""


def test_tokenizer_model_ships_its_tokenizer():
    with pytest.raises(ValueError, match="tokenizer_type must be one of"):
        NonRealtimeTokenizerBase(nn.Identity(), "", "JSON")  # type: ignore[arg-type]
    model = NonRealtimeTokenizerBase(nn.Identity(), "dG9r", TokenizerType.SENTENCEPIECE)
    assert model.get_tokenizer_type() == "SentencePiece" and model.get_tokenizer_str() == "dG9r"


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=3000),
    block=st.sampled_from([64, 333, 1024]),
    host_sr=st.sampled_from([44100, 48000, 96000]),
)
def test_any_clip_length_and_block_size_returns_the_clip_length(n, block, host_sr):
    model = Probe([1], [2], [48000], [block])
    module = NonRealtimeAdapter(model)
    module.set_daw_sample_rate_and_buffer_size(host_sr, block)
    x = torch.randn(1, n)
    (y,) = module.forward_non_realtime([x])
    assert y.shape == (2, n)
    if host_sr == 48000:  # no conversion: the blocks join into the input exactly
        torch.testing.assert_close(y, x.expand(2, n))
    assert set(model.block_lengths) == {block}
