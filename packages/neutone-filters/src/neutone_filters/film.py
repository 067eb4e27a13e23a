"""`FiLM`: feature-wise linear modulation of a conv net's channels by a conditioning vector.

A small linear layer maps the conditioning vector (knob values, an embedding) to a gain and an
offset per channel; the features are normalised (batch norm without its own affine part) and then
scaled and shifted: ``y = bn(x) * g(c) + b(c)`` (Perez et al., 2018). Stateless across calls, so
it streams as it is. The name and constructor are the Neutone SDK's (``neutone_sdk.tcn_1d.FiLM``).
"""

import torch
from torch import Tensor, nn

from neutone_filters.checks import is_int_at_least


class FiLM(nn.Module):
    """Scale and shift every channel of ``x`` by amounts computed from ``cond``.

    Args:
        cond_dim: size of the conditioning vector, ``>= 1``.
        num_features: channels of ``x``, ``>= 1``.
        use_bn: normalise ``x`` first (`nn.BatchNorm1d` without affine parameters).

    Shape:
        forward: ``x (batch, num_features, n)``, ``cond (batch, cond_dim)`` -> like ``x``.

    Example:
        >>> film = FiLM(cond_dim=2, num_features=8)
        >>> film(torch.randn(1, 8, 100), torch.rand(1, 2)).shape
        torch.Size([1, 8, 100])
    """

    def __init__(self, cond_dim: int, num_features: int, use_bn: bool = True) -> None:
        super().__init__()
        for name, value in (("cond_dim", cond_dim), ("num_features", num_features)):
            if not is_int_at_least(value, 1):
                raise ValueError(f"FiLM: {name} must be an int >= 1, got {value!r}")
        self.num_features = num_features
        self.use_bn = use_bn
        self.bn = nn.BatchNorm1d(num_features, affine=False) if use_bn else nn.Identity()
        self.adaptor = nn.Linear(cond_dim, 2 * num_features)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        if cond.dim() != 2:
            raise ValueError(
                f"FiLM: cond must be (batch, cond_dim), got {cond.dim()} dimensions; "
                "reshape it with cond.reshape(1, -1)"
            )
        gain, offset = torch.chunk(self.adaptor(cond), 2, dim=-1)
        return self.bn(x) * gain.unsqueeze(-1) + offset.unsqueeze(-1)
