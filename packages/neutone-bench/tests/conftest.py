"""Fixtures: a CLI runner and `.nm` files made on the spot (SDK-1.5-like, corrupt, foreign)."""

import json
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from torch import Tensor, nn
from typer.testing import CliRunner


class Sdk15LikeAdapter(nn.Module):
    """A stereo delay line exposing only the Neutone SDK 1.5 contract (no `get_delay_breakdown`).

    It delays by `delay` samples, scales by `gain`, and reports `reported - 3` samples of buffering
    and 3 of model delay. A host sample rate of 12345 Hz is refused, as a model would refuse an
    unsupported rate.
    """

    def __init__(self, delay: int, reported: int, gain: float) -> None:
        super().__init__()
        self.realtime = True  # what the plugin's loader reads first
        self.w2w_base = nn.Identity()
        self.delay = delay
        self.reported = reported
        self.gain = gain
        self.register_buffer("line", torch.zeros(2, delay))

    def forward(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        y = torch.cat([self.line, x], dim=1)
        self.line = y[:, y.size(1) - self.delay :].clone()
        return y[:, : x.size(1)] * self.gain

    @torch.jit.export
    def set_daw_sample_rate_and_buffer_size(
        self,
        daw_sr: int,
        daw_bs: int,
        model_sr: Optional[int] = None,
        model_bs: Optional[int] = None,
    ) -> int:
        if daw_sr == 12345:
            raise ValueError("sample rate 12345 is not supported by this model")
        self.line.zero_()
        return daw_bs

    @torch.jit.export
    def reset(self) -> None:
        self.line.zero_()

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []

    @torch.jit.export
    def calc_buffering_delay_samples(self) -> int:
        return self.reported - 3

    @torch.jit.export
    def calc_model_delay_samples(self) -> int:
        return 3

    # The rest of what the plugin's loader looks for (the reference's preserved names).
    @torch.jit.export
    def forward_bt(self, x: Tensor, params: Optional[Tensor] = None) -> Optional[Tensor]:
        return None

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return False

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return False

    @torch.jit.export
    def is_resampling(self) -> bool:
        return False

    @torch.jit.export
    def get_preserved_attributes(self) -> List[str]:
        return ["w2w_base", "forward_bt", "is_input_mono", "is_output_mono", "is_resampling"]

    @torch.jit.export
    def to_metadata(self) -> Dict[str, str]:
        return {"model_name": "sdk15-delay"}

    @torch.jit.export
    def get_metadata_json(self) -> str:
        return '{"model_name": "sdk15-delay"}'

    @torch.jit.export
    def get_wet_default_value(self) -> float:
        return 1.0

    @torch.jit.export
    def get_dry_default_value(self) -> float:
        return 0.0

    @torch.jit.export
    def get_input_gain_default_value(self) -> float:
        return 0.5

    @torch.jit.export
    def get_output_gain_default_value(self) -> float:
        return 0.5

    @torch.jit.export
    def get_default_param_values(self) -> Tensor:
        return torch.zeros(4)


def save_sdk15_like(path: Path, delay: int, reported: int, gain: float = 1.0) -> Path:
    """Script `Sdk15LikeAdapter` and save it as a `.nm` with a minimal metadata.json."""
    module = torch.jit.script(Sdk15LikeAdapter(delay, reported, gain))
    metadata = json.dumps({"model_name": "sdk15-delay", "sdk_version": "1.5.2"})
    torch.jit.save(module, str(path), _extra_files={"metadata.json": metadata})
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sdk15_file(tmp_path: Path) -> Path:
    """A file that delays by 37 samples and says so (34 buffering + 3 model)."""
    return save_sdk15_like(tmp_path / "sdk15.nm", delay=37, reported=37)


@pytest.fixture
def misreporting_file(tmp_path: Path) -> Path:
    """A file that delays by 37 samples but reports 30."""
    return save_sdk15_like(tmp_path / "misreporting.nm", delay=37, reported=30)


@pytest.fixture
def smoother_file(tmp_path: Path) -> Path:
    """The embedded smoother scripted by neutone-export and saved as `model.nm` in a folder."""
    from neutone_bench.embedded import build_smoother
    from neutone_export import script_neutone_model

    module = script_neutone_model(build_smoother())
    path = tmp_path / "smoother" / "model.nm"
    path.parent.mkdir()
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


@pytest.fixture
def silent_file(tmp_path: Path) -> Path:
    """A file whose output is always zero."""
    return save_sdk15_like(tmp_path / "silent.nm", delay=37, reported=37, gain=0.0)


@pytest.fixture
def corrupt_file(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.nm"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all" * 10)
    return path


@pytest.fixture
def foreign_file(tmp_path: Path) -> Path:
    """A valid TorchScript archive that is not a neutone model."""
    path = tmp_path / "linear.nm"
    torch.jit.save(torch.jit.script(nn.Linear(4, 4)), str(path))
    return path


class Imitation(nn.Module):
    """Only the two methods a loader looks for: a TorchScript file that imitates a neutone model."""

    def forward(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        return x

    @torch.jit.export
    def set_daw_sample_rate_and_buffer_size(
        self,
        daw_sr: int,
        daw_bs: int,
        model_sr: Optional[int] = None,
        model_bs: Optional[int] = None,
    ) -> int:
        return daw_bs


@pytest.fixture
def imitation_file(tmp_path: Path) -> Path:
    """`forward` and `set_daw_sample_rate_and_buffer_size` only, with an empty metadata.json."""
    path = tmp_path / "imitation.nm"
    torch.jit.save(torch.jit.script(Imitation()), str(path), _extra_files={"metadata.json": "{}"})
    return path
