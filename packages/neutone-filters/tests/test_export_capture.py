"""The streaming blocks export with `torch.export` (one graph for any block length) and the exported
program streams like the eager module: its state survives between calls in its buffers."""

import copy
from typing import List

import pytest
import torch
from torch import Tensor, nn

from neutone_filters import RealtimeSTFT
from neutone_filters.cached_conv import CachedConv1d, CachedTCN, StreamingDelay, TCNBlock

# 20 consecutive blocks: shorter and longer than every context, hop and delay below, and 1.
BLOCK_SIZES = [1, 2, 700, 63, 64, 65, 128, 3, 1000, 1, 255, 256, 257, 17, 4096, 5, 512, 9, 31, 2048]


def _ready(module: nn.Module, example: Tensor) -> nn.Module:
    """Autograd off, state allocated for the example's leading shape by one eager call, reset."""
    module.eval().requires_grad_(False)
    with torch.no_grad():
        module(example)
    module.reset()  # type: ignore[operator]
    return module


def _exported(module: nn.Module, example: Tensor) -> nn.Module:
    """`module` exported with its last dimension (the block length) dynamic, as a callable."""
    length = torch.export.Dim("n", min=1, max=4096)
    dims = {example.dim() - 1: length}
    program = torch.export.export(module, (example,), dynamic_shapes=(dims,), strict=False)
    return program.run_decompositions().module()


def _max_stream_error(module: nn.Module, leading: List[int]) -> float:
    """Largest difference between the exported program and the eager module over `BLOCK_SIZES`."""
    module = _ready(module, torch.zeros(*leading, 512))
    eager = copy.deepcopy(module)
    exported = _exported(copy.deepcopy(module), torch.zeros(*leading, 512))
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.no_grad():
        for n in BLOCK_SIZES:
            x = torch.randn(*leading, n, generator=generator)
            expected = eager(x)
            got = exported(x)
            assert got.shape == expected.shape
            worst = max(worst, float((got - expected).abs().max()))
    return worst


def _seeded(module: nn.Module) -> nn.Module:
    """Random weights and biases (a fixed seed), so every path of the block carries signal."""
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    return module


@pytest.mark.parametrize("padding", ["causal", "same"])
def test_cached_conv_exports_and_streams_like_eager(padding: str) -> None:
    conv = _seeded(CachedConv1d(3, 4, 3, dilation=5, padding=padding, input_delay=70))
    assert _max_stream_error(conv, [2, 3]) < 1e-5


def test_streaming_delay_exports_and_streams_like_eager() -> None:
    assert _max_stream_error(StreamingDelay(300), [2, 3]) == 0.0


def test_tcn_exports_and_streams_like_eager() -> None:
    tcn = _seeded(CachedTCN(4, 3, [1, 8, 64], padding="same"))
    assert _max_stream_error(tcn, [2, 4]) < 1e-4


class _Halve(RealtimeSTFT):
    """A spectral step that is not the identity."""

    def process_spectrum(self, spec: Tensor) -> Tensor:
        return spec * 0.5


@pytest.mark.parametrize(("n_fft", "hop", "window"), [(512, 128, "hann"), (64, 32, "sqrt_hann")])
def test_stft_exports_and_streams_like_eager(n_fft: int, hop: int, window: str) -> None:
    assert _max_stream_error(_Halve(n_fft, hop, window), [2]) < 1e-5


def test_stft_exports_with_a_fixed_block_size() -> None:
    # 96-sample blocks against a 128 hop: the frames end at a different place in every block.
    stft = _ready(_Halve(512, 128), torch.zeros(2, 96))
    eager = copy.deepcopy(stft)
    program = torch.export.export(copy.deepcopy(stft), (torch.zeros(2, 96),), strict=False)
    exported = program.run_decompositions().module()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(20):
            x = torch.randn(2, 96, generator=generator)
            assert torch.allclose(exported(x), eager(x), atol=1e-5)


def test_tcn_block_refuses_export_before_its_state_exists() -> None:
    block = TCNBlock(2, 3, 2, padding="same").eval().requires_grad_(False)
    with pytest.raises(ValueError, match="run one block eagerly"):
        _exported(block, torch.zeros(1, 2, 512))
