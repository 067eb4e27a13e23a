"""A randomly initialised conditioned TCN as an overdrive, written for the Neutone SDK 1.5.

Mirrors the SDK's example examples/neutone_fx/example_overdrive-random.py (after Steinmetz &
Reiss, "Randomized overdrive neural networks", 2020): causal dilated convolutions that cache their
left context between calls, each modulated by the SDK's ``FiLM`` from two knobs through a small
MLP; knobs in the SDK's positional order; the model writes each channel back into ``x``; the script
calls ``wrapper.to_metadata()`` before saving. It never clears its convolution caches
(no ``reset_model``), as the SDK example does not.
neutone_examples.ported.overdrive_random is this file with only its imports changed by
``neutone-export port``.
"""

# The imports keep the SDK script's order: porting renames their modules only.
# ruff: noqa: I001, RUF100

from argparse import ArgumentParser
from pathlib import Path
from typing import Dict, List

import torch
import torch.nn as nn
from neutone_core import ContinuousNeutoneParameter, NeutoneParameter, WaveformToWaveformBase
from neutone_filters import FiLM
from neutone_export import save_neutone_model
from torch import Tensor


class CachedCausalConv(nn.Module):
    """A dilated Conv1d that prepends the last (kernel - 1) * dilation input samples it saw."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.context = (kernel - 1) * dilation
        self.register_buffer("cache", torch.zeros(1, in_ch, self.context))
        self.conv = nn.Conv1d(in_ch, out_ch, kernel, dilation=dilation, bias=True)
        nn.init.normal_(self.conv.weight, 0.0, 0.7)

    def forward(self, x: Tensor) -> Tensor:
        joined = torch.cat([self.cache, x], dim=-1)
        self.cache = joined[..., -self.context :]
        return self.conv(joined)


class TCNBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, kernel: int, dilation: int, cond_dim: int) -> None:
        super().__init__()
        self.conv = CachedCausalConv(in_ch, out_ch, kernel, dilation)
        self.film = FiLM(cond_dim, out_ch)
        self.bn = nn.BatchNorm1d(out_ch)
        self.act = nn.PReLU(out_ch)
        self.res = nn.Conv1d(in_ch, out_ch, kernel_size=1, bias=False)

    def forward(self, x: Tensor, p: Tensor) -> Tensor:
        y = self.act(self.bn(self.film(self.conv(x), p)))
        return y + self.res(x)


class OverdriveModel(nn.Module):
    def __init__(
        self, n_blocks: int = 4, width: int = 32, kernel: int = 13, n_condition: int = 2
    ) -> None:
        super().__init__()
        cond_dim = 32
        self.condition = nn.Sequential(
            nn.Linear(n_condition, 16),
            nn.ReLU(),
            nn.Linear(16, cond_dim),
            nn.ReLU(),
        )
        for layer in self.condition:
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, 0.0, 0.4)
        self.blocks = nn.ModuleList(
            TCNBlock(1 if n == 0 else width, width, kernel, 2**n, cond_dim) for n in range(n_blocks)
        )
        self.output = nn.Conv1d(width, 1, kernel_size=1)

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        p = self.condition(c)
        for block in self.blocks:
            x = block(x, p)
        return torch.tanh(self.output(x))


class OverdriveModelWrapper(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "conv1d-overdrive.random"

    def get_model_authors(self) -> List[str]:
        return ["neutone examples"]

    def get_model_short_description(self) -> str:
        return "Neural overdrive from a random TCN."

    def get_model_long_description(self) -> str:
        return "Distortion from a randomly initialised temporal convolutional network."

    def get_technical_description(self) -> str:
        return "Random causal dilated convolutions with FiLM conditioning (Steinmetz et al.)."

    def get_tags(self) -> List[str]:
        return ["distortion", "overdrive"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return False

    def get_technical_links(self) -> Dict[str, str]:
        return {"Paper": "https://arxiv.org/abs/2010.04237"}

    def get_citation(self) -> str:
        return "Steinmetz, C. J., & Reiss, J. D. (2020). Randomized overdrive neural networks."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            ContinuousNeutoneParameter("depth", "Effect Depth", 0.0),
            ContinuousNeutoneParameter("P1", "Feature modulation 1", 0.0),
            ContinuousNeutoneParameter("P2", "Feature modulation 2", 0.0),
        ]

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return False

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return False

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        condition = torch.hstack([params["P1"], params["P2"]]).reshape((1, -1)) * params["depth"]
        for ch in range(x.shape[0]):  # channel by channel, written back into x
            x[ch] = self.model(x[ch].reshape(1, 1, -1), condition).squeeze()
        return x


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("-o", "--output", default="export_model")
    args = parser.parse_args()
    wrapper = OverdriveModelWrapper(OverdriveModel())
    metadata = wrapper.to_metadata()
    save_neutone_model(wrapper, Path(args.output), dump_samples=True, submission=True)
