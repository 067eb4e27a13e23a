"""A model that calls a torchaudio op loads in Python but fails in the native host, in one line.

Here, not in neutone-export's own tests: torchaudio is only in the dev environment (and the filters
cell), never a dependency of a package. The plugin's libtorch has no torchaudio ops either. The
native host is built into the native cache every test environment shares (hatch.toml's
`NEUTONE_CACHE_DIR`; keyed by its sources and torch, and locked): compiled once for the export
and bench cells and this test.
"""

import shutil
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_export import script_neutone_model
from neutone_export.audio.host import configure
from neutone_export.native.host import NativeHostError, time_native

torchaudio_functional = pytest.importorskip("torchaudio.functional")


class _Lfilter(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        a = torch.tensor([1.0, -0.5])
        b = torch.tensor([0.5, 0.0])
        return torchaudio_functional.lfilter(x, a, b, clamp=False)


class _TorchaudioModel(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "torchaudio.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Calls torchaudio's compiled lfilter."

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x)


@pytest.mark.skipif(
    not any(shutil.which(c) for c in ("c++", "g++", "clang++")),
    reason="no C++ compiler on this machine: the native host cannot be built",
)
def test_torchaudio_op_fails_in_the_native_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = script_neutone_model(_TorchaudioModel(_Lfilter()))
    path = tmp_path / "torchaudio.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    configure(module, 48000, 64)
    module(torch.zeros(2, 64))  # runs in Python, where torchaudio registered its ops
    with pytest.raises(NativeHostError, match=r"fails in plain libtorch: .*torchaudio") as info:
        time_native(path, 48000, 64, calls=2)
    assert "\n" not in str(info.value)
