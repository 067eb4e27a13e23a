"""A stand-in for an exported RAVE model: the TorchScript interface the RAVE wrappers call.

RAVE's exported files (``rave_cached.ts``) are downloads; the tests build this instead. It has
``encode``, ``encode_amortized`` (mean and standard deviation), ``decode``, ``latent_size`` and
``cropped_latent_size`` like RAVE, and is lossless: the latent code is the signal folded into
``RATIO`` channels, so a wrapper at its default knobs passes audio through unchanged and every
check of ours can judge the wrapper rather than the network. Its standard deviation is positive,
as a trained RAVE's is, so noise knobs add noise.
"""

from pathlib import Path
from typing import Tuple

import torch
from torch import Tensor, nn

RATIO = 16
LATENT_STD = 0.01


class RAVEStandIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.latent_size = RATIO
        self.cropped_latent_size = RATIO
        self.latent_std = LATENT_STD

    @torch.jit.export
    def encode(self, x: Tensor) -> Tensor:
        """``(batch, 1, n)`` -> ``(batch, RATIO, n / RATIO)``."""
        batch = x.size(0)
        return x.reshape(batch, -1, self.latent_size).transpose(1, 2)

    @torch.jit.export
    def encode_amortized(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        mean = self.encode(x)
        return mean, torch.full_like(mean, self.latent_std)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        """``(batch, RATIO, frames)`` -> ``(batch, 1, frames * RATIO)``."""
        return z.transpose(1, 2).reshape(z.size(0), 1, -1)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def save_rave_standin(path: Path) -> Path:
    """Script the stand-in and save it where a RAVE export would be; returns `path`."""
    torch.jit.save(torch.jit.script(RAVEStandIn()), str(path))
    return path
