"""Scripted processors load and run where only torch is present, as in the Neutone plugin.

The plugin loads models with libtorch alone; a model that calls torchaudio's compiled ops
(`torchaudio.functional.lfilter` does) fails there with "Unknown builtin op". So nothing scripted
here may reach `torch.ops.torchaudio`.
"""

import subprocess
import sys
from pathlib import Path

import torch
from torch import Tensor, nn

from neutone_filters import (
    CachedTCN,
    FIRFilter,
    RealtimeSTFT,
    SOSFilter,
    StateVariableFilter,
    butterworth,
    design_fir,
)


class _Chain(nn.Module):
    """Every processor in series, on a stereo stream."""

    def __init__(self) -> None:
        super().__init__()
        self.sos = SOSFilter(butterworth("highpass", 3, 40.0, 48000))
        self.svf = StateVariableFilter("lowpass", 48000.0, 5000.0)
        self.fir = FIRFilter(design_fir("lowpass", 8000.0, 48000, num_taps=101))
        self.stft = RealtimeSTFT(256, 64)
        self.tcn = CachedTCN(2, 3, [1, 2], padding="same")

    def forward(self, x: Tensor) -> Tensor:
        y = self.stft(self.fir(self.svf(self.sos(x))))
        return self.tcn(y.unsqueeze(0)).squeeze(0)


_LOADER = """
import sys
import torch
module = torch.jit.load(sys.argv[1])
x = torch.load(sys.argv[2])
y = torch.cat([module(x[:, :100]), module(x[:, 100:])], dim=1)
assert "torchaudio" not in sys.modules and "neutone_filters" not in sys.modules
torch.save(y, sys.argv[3])
"""


def test_scripted_chain_runs_without_torchaudio(tmp_path: Path) -> None:
    torch.manual_seed(0)
    scripted = torch.jit.script(_Chain())
    torch.jit.save(scripted, str(tmp_path / "chain.pt"))  # saved before it has any state
    x = torch.randn(2, 1000)
    torch.save(x, tmp_path / "x.pt")
    with torch.no_grad():
        expected = torch.cat([scripted(x[:, :100]), scripted(x[:, 100:])], dim=1)
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, *(str(tmp_path / f) for f in ("chain.pt", "x.pt", "y.pt"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert torch.allclose(torch.load(tmp_path / "y.pt"), expected, atol=1e-6)
