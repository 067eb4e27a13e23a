"""The adapter as the plugin sees it: scripting, save/load, reset, batch and offline modes."""

import copy
import io
import json
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import (
    CategoricalNeutoneParameter,
    MetadataError,
    NeutoneParameter,
    RealtimeAdapter,
    WaveformToWaveformBase,
)
from neutone_core.adapter import PRESERVED_ATTRIBUTES

CONFIGS = [
    # (native rates, native sizes, look-behind, look-ahead, delay, in mono, out mono, host sr)
    ([], [], 0, 0, 0, False, False, 48000),
    ([48000], [256], 7, 11, 5, True, False, 48000),
    ([44100], [], 3, 0, 9, False, True, 44100),
    ([48000], [512], 0, 17, 3, False, False, 44100),
    ([32000], [], 5, 5, 0, True, True, 48000),
]
SIZES = [0, 37, 128, 1, 0, 255, 256, 99]


def _signal(channels: int, n: int, seed: int = 0) -> Tensor:
    return torch.randn(channels, n, generator=torch.Generator().manual_seed(seed)) * 0.3


def _adapter(identity_wrapper, cfg) -> RealtimeAdapter:
    rates, sizes, lb, la, delay, in_mono, out_mono, host = cfg
    w = identity_wrapper(
        in_mono=in_mono,
        out_mono=out_mono,
        sample_rates=rates,
        buffer_sizes=sizes,
        look_behind=lb,
        look_ahead=la,
        delay=delay,
    )
    a = RealtimeAdapter(w)
    a.set_daw_sample_rate_and_buffer_size(host, 256)
    return a


@pytest.mark.parametrize("cfg", CONFIGS)
def test_scripted_equals_eager_and_reset_equals_fresh(cfg, identity_wrapper, stream_fn):
    eager = _adapter(identity_wrapper, cfg)
    scripted = torch.jit.script(_adapter(identity_wrapper, cfg))
    scripted.set_daw_sample_rate_and_buffer_size(cfg[-1], 256)
    x = _signal(2, 3000)
    y_eager = stream_fn(eager, x, SIZES)
    y_script = stream_fn(scripted, x, SIZES)
    assert torch.equal(y_eager, y_script), f"{cfg}: max diff {(y_eager - y_script).abs().max()}"
    assert scripted.get_delay_breakdown() == eager.get_delay_breakdown()
    # Same input after reset() gives what a fresh adapter gave.
    scripted.reset()
    assert torch.equal(stream_fn(scripted, x, SIZES), y_eager)
    eager.reset()
    assert torch.equal(stream_fn(eager, x, SIZES), y_eager)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_bt_gives_the_same_stream(cfg, identity_wrapper, stream_fn):
    a = _adapter(identity_wrapper, cfg)
    x = _signal(1, 2500, seed=3)
    y = stream_fn(a, x, SIZES)
    a.reset()
    limit = a.set_daw_sample_rate_and_buffer_size(cfg[-1], 256)
    assert limit >= 256
    parts: List[Tensor] = []
    pos = 0
    i = 0
    while pos < x.size(1):
        n = min(SIZES[i % len(SIZES)], x.size(1) - pos)
        i += 1
        out = a.forward_bt(x[:, pos : pos + n])
        pos += n
        if out is not None:
            assert 0 < out.size(1) <= limit
            parts.append(out.clone())
    y_bt = torch.cat(parts, dim=1)
    assert y_bt.size(1) >= x.size(1)
    assert torch.equal(y_bt[:, : x.size(1)], y)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_offline_is_aligned(cfg, identity_wrapper, expected_channels_fn):
    a = _adapter(identity_wrapper, cfg)
    x = _signal(2, 3000, seed=4)
    if cfg[0] and cfg[0][0] != cfg[-1]:
        # Band-limit the test signal for the resampling configurations.
        x = torch.sin(torch.arange(3000) * 0.05).repeat(2, 1) * torch.tensor([[0.5], [0.25]])
    y = a.forward_offline(x)
    want = expected_channels_fn(x, cfg[5], cfg[6])
    assert y.shape == x.shape
    if a.is_resampling():
        assert (y[:, 100:-100] - want[:, 100:-100]).abs().max() < 1e-3
    else:
        assert torch.equal(y, want)


def test_saved_module_keeps_every_contract_method(identity_wrapper, tmp_path):
    knobs = [NeutoneParameter("drive", "input drive", 0.25)]
    w = identity_wrapper(sample_rates=[48000], buffer_sizes=[128], knobs=knobs)
    a = RealtimeAdapter(w)
    scripted = torch.jit.script(a)
    path = tmp_path / "model.nm"
    meta = scripted.get_metadata_json()
    torch.jit.save(scripted, str(path), _extra_files={"metadata.json": meta})
    files = {"metadata.json": ""}
    loaded = torch.jit.load(str(path), _extra_files=files)
    assert json.loads(files["metadata.json"])["model_name"] == "identity"
    for name in PRESERVED_ATTRIBUTES:
        assert hasattr(loaded, name), name
    assert loaded.get_preserved_attributes() == PRESERVED_ATTRIBUTES
    assert loaded.set_daw_sample_rate_and_buffer_size(44100, 64) >= 64
    assert loaded.is_resampling()
    assert loaded.get_native_sample_rate() == 48000 and loaded.get_native_buffer_size() == 128
    total = loaded.calc_buffering_delay_samples() + loaded.calc_model_delay_samples()
    assert loaded.get_delay_breakdown()["total"] == total
    assert loaded.forward(torch.zeros(2, 64)).shape == (2, 64)
    assert loaded.forward(torch.zeros(1, 13), torch.rand(4, 13)).shape == (1, 13)
    assert loaded.is_input_mono() is False and loaded.is_output_mono() is False
    assert loaded.get_native_sample_rates() == [48000]
    assert loaded.get_native_buffer_sizes() == [128]
    assert loaded.get_look_behind_samples() == 0 and loaded.get_look_ahead_samples() == 0
    assert loaded.get_wet_default_value() == 1.0 and loaded.get_dry_default_value() == 0.0
    assert loaded.get_input_gain_default_value() == 1.0
    assert loaded.get_output_gain_default_value() == 1.0
    assert torch.equal(loaded.get_default_param_values(), torch.tensor([0.25, 0.0, 0.0, 0.0]))
    meta_dict = loaded.to_metadata()
    assert meta_dict == json.loads(meta)
    loaded.reset()
    assert loaded.forward_offline(torch.zeros(2, 100)).shape == (2, 100)
    primed = loaded.forward_bt(torch.zeros(2, 0))  # after reset: the primed zeros, if any
    assert primed is None or torch.count_nonzero(primed) == 0
    # The archive also loads from bytes (what export tools do).
    buf = io.BytesIO(path.read_bytes())
    assert torch.jit.load(buf).get_metadata_json() == meta


@pytest.mark.parametrize("host_sr", [48000, 44100])
def test_two_loads_of_one_file_stream_independently(identity_wrapper, stream_fn, host_sr):
    # A session with the same model on two tracks: interleaved calls must not leak state (the
    # queues cache views of their own buffers) from one instance into the other.
    knobs = [NeutoneParameter("drive", "input drive", 0.25, min_value=-1.0, max_value=3.0)]
    w = identity_wrapper(sample_rates=[48000], buffer_sizes=[128], look_ahead=5, knobs=knobs)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(RealtimeAdapter(w)), buffer)
    first, second = (torch.jit.load(io.BytesIO(buffer.getvalue())) for _ in range(2))
    for a in (first, second):
        a.set_daw_sample_rate_and_buffer_size(host_sr, 256)
    x1, x2 = _signal(2, 4000, seed=1), _signal(2, 4000, seed=2)
    p1, p2 = torch.rand(4, 4000), torch.rand(4, 4000)
    alone = stream_fn(first, x1, SIZES, p1)
    first.reset()
    outs1, outs2 = [], []
    pos = 0
    for i in range(10_000):
        m = min(SIZES[i % len(SIZES)], 4000 - pos)
        outs1.append(first(x1[:, pos : pos + m], p1[:, pos : pos + m]).clone())
        outs2.append(second(x2[:, pos : pos + m], p2[:, pos : pos + m]).clone())
        pos += m
        if pos == 4000:
            break
    assert torch.equal(torch.cat(outs1, 1), alone)
    second.reset()
    assert torch.equal(torch.cat(outs2, 1), stream_fn(second, x2, SIZES, p2))


def _scaled_by_knob(identity_wrapper: type, cfg: tuple) -> WaveformToWaveformBase:
    """The current block times a mapped knob, in the settings of `cfg`: no attribute that
    freezing could fold (the identity's delay line is reassigned, which freezing refuses)."""

    class ScaledByKnob(identity_wrapper):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            n = x.size(1) - self.lb - self.la
            return x[:, self.lb : self.lb + n] * params["gain"]

    rates, sizes, lb, la = cfg[:4]
    knob = NeutoneParameter("gain", "gain", 0.5, min_value=-2.0, max_value=6.0)
    return ScaledByKnob(
        sample_rates=rates, buffer_sizes=sizes, look_behind=lb, look_ahead=la, knobs=[knob]
    )


@pytest.mark.parametrize("cfg", CONFIGS)
def test_a_frozen_adapter_streams_like_the_scripted_one(cfg, identity_wrapper, stream_fn):
    # Freezing folds what it believes constant: with the view caches off it must keep every
    # queue's buffer live, or the frozen file would replay stale samples.
    host = cfg[-1]

    def scripted() -> torch.jit.ScriptModule:
        module = RealtimeAdapter(_scaled_by_knob(identity_wrapper, cfg))
        return torch.jit.script(module).eval()

    module = scripted()
    module.stop_caching_views()
    frozen = torch.jit.freeze(module, preserved_attrs=[*module.get_preserved_attributes()])
    reference = scripted()
    for m in (frozen, reference):
        m.set_daw_sample_rate_and_buffer_size(host, 256)
    x = _signal(2, 3000)
    knobs = torch.rand(4, 3000, generator=torch.Generator().manual_seed(9))
    want = stream_fn(reference, x, SIZES, knobs)
    assert torch.count_nonzero(want) > 0
    assert torch.equal(stream_fn(frozen, x, SIZES, knobs), want)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_a_deep_copy_streams_like_a_fresh_adapter_once_configured(cfg, identity_wrapper, stream_fn):
    # copy.deepcopy of a scripted module copies each tensor on its own, so views (the queues'
    # cached views, the means the model reads) come apart from their buffers; configuring the
    # copy, as any host does first, must tie them up again.
    host = cfg[-1]
    x = _signal(2, 3000)
    knobs = torch.rand(4, 3000, generator=torch.Generator().manual_seed(5))

    def configured() -> torch.jit.ScriptModule:
        module = torch.jit.script(RealtimeAdapter(_scaled_by_knob(identity_wrapper, cfg)))
        module.set_daw_sample_rate_and_buffer_size(host, 256)
        return module

    used = configured()
    stream_fn(used, x, SIZES, knobs)  # fills the view caches
    copied = copy.deepcopy(used)
    copied.set_daw_sample_rate_and_buffer_size(host, 256)
    assert torch.equal(stream_fn(copied, x, SIZES, knobs), stream_fn(configured(), x, SIZES, knobs))


def test_knob_values_are_mapped_and_aligned_with_audio(knob_echo_wrapper, stream_fn):
    knobs = [
        NeutoneParameter("gain", "gain", 0.5, min_value=-2.0, max_value=6.0),
        CategoricalNeutoneParameter("mode", "mode", 5, 1),
    ]
    w = knob_echo_wrapper(knobs=knobs, sample_rates=[48000], buffer_sizes=[64], look_ahead=3)
    a = torch.jit.script(RealtimeAdapter(w))
    a.set_daw_sample_rate_and_buffer_size(48000, 200)
    n = 2000
    params = torch.zeros(4, n)
    params[0] = torch.linspace(0, 1, n)
    params[1] = 0.6
    y = stream_fn(a, torch.zeros(2, n), [7, 200, 0, 64, 63], params)
    total = a.get_delay_breakdown()["total"]
    assert total == 63 + 3
    want = -2.0 + 8.0 * params[0, : n - total]
    assert torch.allclose(y[0, total:], want, atol=1e-5)
    # The delay is the output queue's primed zeros.
    assert torch.count_nonzero(y[:, :total]) == 0


def test_default_knob_aggregation_is_mean_and_categorical_index():
    seen: Dict[str, List[float]] = {"gain": [], "mode": []}

    class Probe(WaveformToWaveformBase):
        def get_model_name(self) -> str:
            return "probe"

        def get_model_authors(self) -> List[str]:
            return ["t"]

        def get_model_version(self) -> str:
            return "1"

        def get_model_short_description(self) -> str:
            return "probe"

        def get_neutone_parameters(self) -> list:
            return [
                NeutoneParameter("gain", "g", 0.5, min_value=0.0, max_value=10.0),
                CategoricalNeutoneParameter("mode", "m", 3, 2, ["a", "b", "c"]),
            ]

        def is_input_mono(self) -> bool:
            return True

        def is_output_mono(self) -> bool:
            return True

        def get_native_sample_rates(self) -> List[int]:
            return []

        def get_native_buffer_sizes(self) -> List[int]:
            return [4]

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            seen["gain"].append(float(params["gain"]))
            seen["mode"].append(float(params["mode"]))
            return x

    probe = Probe(nn.Identity())
    a = RealtimeAdapter(probe)
    a.set_daw_sample_rate_and_buffer_size(48000, 4)
    seen["gain"].clear()
    seen["mode"].clear()
    a(torch.zeros(1, 4), torch.tensor([[0.0, 0.1, 0.2, 0.3], [0.3] * 4, [0.0] * 4, [0.0] * 4]))
    a(torch.zeros(1, 4))  # defaults
    gain = probe.get_neutone_parameters()[0]
    assert seen["gain"] == pytest.approx([1.5, gain.map_value(gain.normalized_default())])
    assert seen["mode"] == [1.0, 2.0]


def test_host_errors_are_clear(identity_wrapper):
    a = RealtimeAdapter(identity_wrapper())
    a.set_daw_sample_rate_and_buffer_size(48000, 64)
    with pytest.raises(ValueError, match="longer than the 64"):
        a(torch.zeros(2, 65))
    with pytest.raises(ValueError, match="1 or 2 channels"):
        a(torch.zeros(3, 8))
    with pytest.raises(ValueError, match=r"params must have shape \(4, n\)"):
        a(torch.zeros(2, 8), torch.zeros(4, 9))
    with pytest.raises(ValueError, match="daw_sr must be a sample rate"):
        a.set_daw_sample_rate_and_buffer_size(0, 64)
    scripted = torch.jit.script(a)
    with pytest.raises(torch.jit.Error, match="longer than the 64"):
        scripted(torch.zeros(2, 65))


class _BadShape(WaveformToWaveformBase):
    def __init__(self, trim: int, mono_out: bool) -> None:
        super().__init__(nn.Identity())
        self.trim = trim
        self.mono_out = mono_out

    def get_model_name(self) -> str:
        return "bad"

    def get_model_authors(self) -> List[str]:
        return ["t"]

    def get_model_version(self) -> str:
        return "1"

    def get_model_short_description(self) -> str:
        return "bad"

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return self.mono_out

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return [128]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x[:, self.trim :]


@pytest.mark.parametrize(
    ("trim", "mono_out", "expected", "actual"),
    [(1, False, r"\[2, 128\]", r"\[2, 127\]"), (0, True, r"\[1, 128\]", r"\[2, 128\]")],
)
def test_wrong_output_shape_fails_when_built(trim, mono_out, expected, actual):
    with pytest.raises(ValueError, match=f"{expected}, got {actual}"):
        RealtimeAdapter(_BadShape(trim, mono_out))


def test_bad_knobs_and_metadata_fail_when_built(identity_wrapper):
    five = [NeutoneParameter(f"k{i}", "", 0.0) for i in range(5)]
    with pytest.raises(ValueError, match="at most 4 numerical parameters, got 5"):
        RealtimeAdapter(identity_wrapper(knobs=five))
    dup = [NeutoneParameter("k", "", 0.0), NeutoneParameter("k", "", 0.5)]
    with pytest.raises(ValueError, match="'k': duplicate name"):
        RealtimeAdapter(identity_wrapper(knobs=dup))

    class LongName(identity_wrapper):
        def get_model_name(self) -> str:
            return "n" * 40

        def get_tags(self) -> List[str]:
            return ["a-tag-that-is-too-long"]

    with pytest.raises(MetadataError) as err:
        RealtimeAdapter(LongName())
    assert err.value.violations == [
        "model_name: at most 30 characters, got 40",
        "tags[0]: at most 15 characters, got 22",
    ]


def test_knob_step_stays_aligned_through_resampling(knob_echo_wrapper, stream_fn):
    knobs = [NeutoneParameter("level", "level", 0.0, min_value=-1.0, max_value=1.0)]
    w = knob_echo_wrapper(knobs=knobs, sample_rates=[48000], buffer_sizes=[256])
    a = RealtimeAdapter(w)
    a.set_daw_sample_rate_and_buffer_size(44100, 128)
    total = a.get_delay_breakdown()["total"]
    n, step = 3000, 1000
    params = torch.zeros(4, n)
    params[0, step:] = 1.0
    y = stream_fn(a, torch.zeros(2, n), [128, 5, 0, 77], params)[0]
    # Knob -1 before the step, +1 after; the output crosses 0 where the step lands, within the
    # sample-and-hold's one host sample and the crossing's interpolation.
    settled = total + 50  # past the ringing of the first transition, 0 -> -1
    crossing = settled + int(torch.nonzero(y[settled:] > 0).flatten()[0])
    assert abs(crossing - (step + total)) <= 2, f"step at {crossing}, expected {step + total}"
    assert torch.allclose(y[total + 50 : step + total - 50], torch.tensor(-1.0), atol=1e-3)
    assert torch.allclose(y[step + total + 50 :], torch.tensor(1.0), atol=1e-3)


@pytest.mark.parametrize("host_sr", [11025, 44100, 176400, 192000])
def test_any_host_rate_resamples_after_load_and_keeps_the_file_small(
    host_sr, identity_wrapper, stream_fn
):
    """The resamplers are designed when the host's rate arrives, so a `.nm` holds no rate tables."""
    adapter = torch.jit.script(RealtimeAdapter(identity_wrapper(sample_rates=[48000])))
    buffer = io.BytesIO()
    torch.jit.save(adapter, buffer)
    assert buffer.tell() < 1_000_000, f"saved adapter is {buffer.tell()} bytes"
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    loaded.set_daw_sample_rate_and_buffer_size(host_sr, 256)
    assert loaded.is_resampling()
    n = host_sr // 5
    t = torch.arange(n) / host_sr
    x = (0.5 * torch.sin(2 * torch.pi * 1000.0 * t)).expand(2, n).contiguous()
    y = stream_fn(loaded, x, [256] * (n // 256))
    delay = loaded.calc_buffering_delay_samples() + loaded.calc_model_delay_samples()
    m = y.size(1)
    # Skip the filters' start-up; tones well inside both pass bands come back delayed exactly.
    settled = slice(delay + host_sr // 50, m)
    expected = x[:, : m - delay][:, settled.start - delay :]
    error = (y[:, settled] - expected).abs().max()
    assert error < 1e-3, f"host {host_sr} Hz: max error {error} after the reported {delay} samples"


class _Trainable(WaveformToWaveformBase):
    """A model whose weight requires grad, as a freshly trained one does."""

    def get_model_name(self) -> str:
        return "trainable"

    def get_model_authors(self) -> List[str]:
        return ["tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "gain with a trainable weight"

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return [64]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * self.model.weight


@pytest.mark.parametrize("buffer_sizes", [[64], []])
def test_the_model_runs_without_autograd_even_when_its_weights_require_grad(buffer_sizes):
    gain = nn.Linear(1, 1, bias=False)
    nn.init.constant_(gain.weight, 0.5)
    wrapper = _Trainable(gain)
    wrapper.get_native_buffer_sizes = lambda: buffer_sizes
    adapter = torch.jit.script(RealtimeAdapter(wrapper))
    adapter.set_daw_sample_rate_and_buffer_size(48000, 64)
    assert gain.weight.requires_grad
    y = adapter(torch.ones(2, 64))
    assert not y.requires_grad
