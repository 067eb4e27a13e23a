"""Every streaming block is a `StatefulModule` whose ``reset()`` restores its fresh state, and the
scripted adapter resets it inside a wrapper that has no ``reset_model`` (the Neutone SDK's
clipper_prefilter example)."""

import copy
from dataclasses import dataclass
from typing import Callable, Dict, List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

import neutone_filters
from neutone_core import RealtimeAdapter, StatefulModule, WaveformToWaveformBase
from neutone_filters import (
    GCN1D,
    IIRSVF,
    BlockSTFT,
    CachedConv1d,
    CachedMelSpec,
    CachedTCN,
    Conv1dGeneral,
    FilterType,
    FIRFilter,
    GCN1DBlock,
    IIRFilter,
    PaddingCached,
    RealtimeSTFT,
    SOSFilter,
    StateVariableFilter,
    StreamingDelay,
    TCNBlock,
    butterworth,
    design_fir,
)
from neutone_filters.gcn import TFiLM, TFiLMGRU


@dataclass
class Case:
    """How to build one block and feed it a buffer of `n` samples (`moving`: turn its knobs)."""

    build: Callable[[], nn.Module]
    call: Callable[[nn.Module, Tensor, bool], Tensor]
    channels: int = 2
    batched: bool = False  # input (1, channels, n) instead of (channels, n)
    quantum: int = 1  # buffer sizes are multiples of it ...
    most: int = 96  # ... up to this many samples


def _plain(m: nn.Module, x: Tensor, moving: bool) -> Tensor:
    return m(x)


def _svf(m: nn.Module, x: Tensor, moving: bool) -> Tensor:
    return m(x, cutoff_hz=torch.tensor(3000.0)) if moving else m(x)


def _iirsvf(m: nn.Module, x: Tensor, moving: bool) -> Tensor:
    n = x.size(1)
    cutoff = torch.full((1, n, 1), 3000.0 if moving else 800.0)
    mix = torch.tensor([0.2, 0.5, 0.3]).expand(1, n, 3)
    return m(x, cutoff, torch.full((1, n, 1), 2.0), mix, 48000)


def _block_stft(m: nn.Module, x: Tensor, moving: bool) -> Tensor:
    return m.spec_to_audio(m.audio_to_spec(x))


def _conditioned(m: nn.Module, x: Tensor, moving: bool) -> Tensor:
    return m(x, torch.full((x.size(0), 1), 0.5))


CASES: Dict[str, Case] = {
    "FIRFilter direct": Case(lambda: FIRFilter(design_fir("lowpass", 4000.0, 48000, 31)), _plain),
    "FIRFilter fft": Case(
        lambda: FIRFilter(FilterType.LOWPASS, [1000.0], filt_size=257, method="fft"), _plain
    ),
    "SOSFilter": Case(lambda: SOSFilter(butterworth("lowpass", 4, 1000.0, 48000.0)), _plain),
    "StateVariableFilter": Case(lambda: StateVariableFilter("lowpass", 48000.0, 500.0), _svf),
    "IIRFilter": Case(lambda: IIRFilter(FilterType.HIGHPASS, 300.0, 2.0), _plain),
    "IIRSVF": Case(IIRSVF, _iirsvf),
    "RealtimeSTFT": Case(lambda: RealtimeSTFT(64, 16), _plain),
    "BlockSTFT": Case(
        lambda: BlockSTFT(model_io_n_frames=4, io_n_ch=2, io_n_samples=64, n_fft=64, hop_len=16),
        _block_stft,
        quantum=16,
        most=64,
    ),
    "CachedMelSpec": Case(
        lambda: CachedMelSpec(sr=16000, n_ch=2, n_fft=64, hop_len=16, n_mels=8),
        _plain,
        quantum=16,
    ),
    "PaddingCached": Case(lambda: PaddingCached(n_ch=2, padding_l=5), _plain, batched=True),
    "Conv1dGeneral": Case(
        lambda: Conv1dGeneral(2, 3, kernel_size=3, causal=True, cached=True), _plain, batched=True
    ),
    "CachedConv1d": Case(
        lambda: CachedConv1d(2, 3, 3, dilation=2, padding="same"), _plain, batched=True
    ),
    "StreamingDelay": Case(lambda: StreamingDelay(7), _plain, batched=True),
    "TCNBlock": Case(lambda: TCNBlock(2, 3, 2, "same"), _plain, batched=True),
    "CachedTCN": Case(lambda: CachedTCN(2, 3, [1, 2]), _plain, batched=True),
    "TFiLM": Case(lambda: TFiLM(2, 1, 4), _conditioned, batched=True),
    "TFiLMGRU": Case(lambda: TFiLMGRU(2, 1, 4), _conditioned, batched=True),
    "GCN1DBlock": Case(
        lambda: GCN1DBlock(2, 2, cond_dim=1, tfilm_block_size=4), _conditioned, batched=True
    ),
    "GCN1D": Case(
        lambda: GCN1D(
            2, 1, n_blocks=2, n_channels=4, kernel_size=3, cond_dim=1, tfilm_block_size=4
        ),
        _conditioned,
        batched=True,
    ),
}

# Modules of neutone_filters whose output depends on the current call only.
STATELESS = {"FiLM", "TCN1D", "TCN1DBlock"}


def _seeded(case: Case) -> nn.Module:
    torch.manual_seed(0)  # the same weights in every copy
    return case.build()


def _run(case: Case, module: nn.Module, sizes: List[int], seed: int, moving: bool) -> List[Tensor]:
    generator = torch.Generator().manual_seed(seed)
    outputs = []
    with torch.no_grad():
        for size in sizes:
            n = min(size * case.quantum, case.most)
            x = torch.randn(case.channels, n, generator=generator)
            outputs.append(case.call(module, x.unsqueeze(0) if case.batched else x, moving).clone())
    return outputs


@pytest.mark.parametrize("name", list(CASES))
@settings(max_examples=10, deadline=None)
@given(
    before=st.lists(st.integers(1, 96), min_size=1, max_size=4),
    after=st.lists(st.integers(1, 96), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_reset_returns_every_block_to_its_fresh_state(name, before, after, seed):
    case = CASES[name]
    used = _seeded(case)
    assert isinstance(used, StatefulModule)
    _run(case, used, before, seed, moving=True)
    used.reset()
    fresh = _seeded(case)
    got = _run(case, used, after, seed + 1, moving=False)
    want = _run(case, fresh, after, seed + 1, moving=False)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=0)


def test_every_module_that_keeps_state_declares_it():
    exported = {
        name: obj
        for name, obj in vars(neutone_filters).items()
        if isinstance(obj, type) and issubclass(obj, nn.Module)
    }
    stateful = {name for name, obj in exported.items() if issubclass(obj, StatefulModule)}
    assert stateful == set(exported) - STATELESS
    assert stateful <= {name.split()[0] for name in CASES}


class PrefilteredClipper(WaveformToWaveformBase):
    """The Neutone SDK's clipper_prefilter example, cut down: a FIR low-pass before a clipper,
    redesigned at the model's rate, and no ``reset_model``."""

    def __init__(self) -> None:
        super().__init__(nn.Identity())
        self.pre_filter = FIRFilter(FilterType.LOWPASS, cutoffs=[1000.0], filt_size=257)

    def get_model_name(self) -> str:
        return "clipper.prefilter"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Low-pass, then clip."

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def calc_model_delay_samples(self) -> int:
        return self.pre_filter.delay

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        self.pre_filter.set_parameters(sample_rate=sample_rate)
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return torch.clamp(self.pre_filter(x), -0.15, 0.15)


class EveryFilter(PrefilteredClipper):
    """Streaming blocks beside the pre-filter, some nested in containers; still no reset_model."""

    def __init__(self) -> None:
        super().__init__()
        self.tone = StateVariableFilter("lowpass", 48000.0, 2000.0)
        self.chain = nn.ModuleList(
            [SOSFilter(butterworth("highpass", 2, 100.0, 48000.0)), RealtimeSTFT(64, 16)]
        )
        self.convs = nn.Sequential(CachedTCN(2, 3, [1, 2]), StreamingDelay(3))
        self.gcn = GCN1D(
            2, 2, n_blocks=2, n_channels=4, kernel_size=3, cond_dim=1, tfilm_block_size=4
        )

    def calc_model_delay_samples(self) -> int:
        return 0

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        y = self.pre_filter(x) + self.tone(x)
        for block in self.chain:
            y = y + block(x)
        y = y + self.convs(x.unsqueeze(0)).squeeze(0)
        return y + self.gcn(x.unsqueeze(0), torch.ones(1, 1)).squeeze(0)


@pytest.fixture(scope="module")
def scripted() -> Dict[str, torch.jit.ScriptModule]:
    """Each wrapper's scripted adapter, never called: every example plays on copies of it."""
    torch.manual_seed(0)
    wrappers = {"clipper_prefilter": PrefilteredClipper(), "every_filter": EveryFilter()}
    return {name: torch.jit.script(RealtimeAdapter(w)) for name, w in wrappers.items()}


def _copy(adapter: torch.jit.ScriptModule) -> torch.jit.ScriptModule:
    """A deep copy, configured before its first call (as the adapter's docstring asks)."""
    copied = copy.deepcopy(adapter)
    copied.set_daw_sample_rate_and_buffer_size(44100, 128)
    return copied


def _stream(adapter: torch.jit.ScriptModule, sizes: List[int], seed: int) -> List[Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [adapter(torch.randn(2, n, generator=generator)).clone() for n in sizes]


@pytest.mark.parametrize("model", ["clipper_prefilter", "every_filter"])
@settings(max_examples=8, deadline=None)
@given(
    before=st.lists(st.integers(1, 128), min_size=1, max_size=4),
    after=st.lists(st.integers(1, 128), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_the_scripted_adapter_resets_filters_the_wrapper_does_not(
    scripted, model, before, after, seed
):
    used = _copy(scripted[model])
    _stream(used, before, seed)
    used.reset()
    fresh = _copy(scripted[model])
    for got, want in zip(
        _stream(used, after, seed + 1), _stream(fresh, after, seed + 1), strict=True
    ):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def _tensors(module: nn.Module) -> Dict[str, Tensor]:
    """Every non-empty tensor a block holds (parameters, buffers, plain tensor attributes)."""
    found: Dict[str, Tensor] = {}
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            if isinstance(value, Tensor) and value.numel():
                found[f"{prefix}.{name}"] = value
        for table in (sub._parameters, sub._buffers):
            for name, tensor in table.items():
                if tensor is not None and tensor.numel():
                    found[f"{prefix}.{name}"] = tensor
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_no_two_tensors_share_storage_after_use_so_a_deep_copy_runs_as_the_original(
    name: str,
) -> None:
    # The export checks deep-copy a model for each check (fast: the compiled code is shared), but
    # only when nothing in it is a view of something else: a deep copy makes views tensors of
    # their own. A block that keeps views at rest would send every check to the slow copy.
    case = CASES[name]
    module = _seeded(case)
    _run(case, module, [3, 5, 2], seed=1, moving=True)
    owners: Dict[int, str] = {}
    for label, tensor in _tensors(module).items():
        storage = tensor.untyped_storage().data_ptr()
        assert storage not in owners, f"{label} shares its storage with {owners[storage]}"
        owners[storage] = label
    copied = copy.deepcopy(module)
    expected = _run(case, module, [4, 1, 6], seed=2, moving=False)
    found = _run(case, copied, [4, 1, 6], seed=2, moving=False)
    for block, (want, got) in enumerate(zip(expected, found, strict=True)):
        assert torch.equal(want, got), f"block {block} differs after a deep copy"
