"""Small models for the export tests, good and deliberately broken, and files saved once a session.

Every model is a `WaveformToWaveformBase` with valid metadata; each broken one breaks exactly one
rule that one check of the suite must catch.
"""

from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model

# Short signals and a reduced grid keep the broken-model tests fast; the saved good models use the
# suite's defaults.
QUICK = {"seconds": 0.25, "buffer_sizes": (32, 256, 2048)}


def folder_snapshot(folder: Path) -> Dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes) and, under `.`, the names beside it: what
    a failed or interrupted export must leave as it was."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    files["."] = "\n".join(sorted(p.name for p in folder.parent.iterdir())).encode()
    return files


@pytest.fixture(scope="session")
def snapshot() -> Callable[[Path], Dict[str, bytes]]:
    return folder_snapshot


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    """One intra-op thread: the test machine is shared, and a plugin runs one model per thread."""
    torch.set_num_threads(1)


class TestModel(WaveformToWaveformBase):
    """Stereo identity with valid metadata; subclasses override what they test."""

    __test__ = False  # not a pytest test class

    def get_model_name(self) -> str:
        return "export.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model made by the export tests."

    def get_tags(self) -> List[str]:
        return ["test"]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x.clone()


class Identity(TestModel):
    pass


class Gain(TestModel):
    """Gain of 2 * knob: the default 0.5 is unity."""

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "output gain", default_value=0.5)]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * (2.0 * params["gain"])


class LookBehindNative(TestModel):
    """Mono, 32 kHz, blocks of 256, 64 samples of look-behind: y[n] = 0.75 x[n] + 0.25 x[n-64]."""

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return True

    def get_native_sample_rates(self) -> List[int]:
        return [32000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [256]

    def get_look_behind_samples(self) -> int:
        return 64

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        n = x.size(1) - 64
        return 0.75 * x[:, 64:] + 0.25 * x[:, :n]


class BlockedIdentity(TestModel):
    """Identity in fixed native blocks of 256 at any rate: buffering delay, no resampling."""

    def get_native_buffer_sizes(self) -> List[int]:
        return [256]


class TruncatesLongBlocks(TestModel):
    """Wrong output shape, but only for blocks longer than 1024 samples."""

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        n = min(x.size(1), 1024)
        return x[:, :n].clone()


class NanAtMaxDrive(TestModel):
    """Divides by (1 - drive): NaN/Inf when the knob is at its maximum."""

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("drive", "drive amount", default_value=0.5)]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x / (1.0 - params["drive"])


class FalseDelayClaim(TestModel):
    """Claims 100 samples of model delay but has none."""

    def calc_model_delay_samples(self) -> int:
        return 100


class LeakyReset(TestModel):
    """y[n] = x[n] + 0.5 x[n-1], keeping x[n-1] across blocks; reset_model() forgets to clear it."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.register_buffer("last", torch.zeros(2, 1))

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        previous = torch.cat([self.last, x[:, :-1]], dim=1)
        self.last.copy_(x[:, -1:])
        return x + 0.5 * previous

    def reset_model(self) -> bool:
        return True  # the bug: self.last is not cleared


class FixedLeakyReset(LeakyReset):
    """The same filter with a correct reset_model()."""

    def reset_model(self) -> bool:
        self.last.zero_()
        return True


class LongTags(TestModel):
    """Metadata that breaks the schema: a tag longer than 15 characters."""

    def get_tags(self) -> List[str]:
        return ["a-tag-that-is-far-too-long"]


@pytest.fixture(scope="session")
def models() -> SimpleNamespace:
    """The model classes above, by name."""
    return SimpleNamespace(
        Identity=Identity,
        Gain=Gain,
        LookBehindNative=LookBehindNative,
        BlockedIdentity=BlockedIdentity,
        TruncatesLongBlocks=TruncatesLongBlocks,
        NanAtMaxDrive=NanAtMaxDrive,
        FalseDelayClaim=FalseDelayClaim,
        LeakyReset=LeakyReset,
        FixedLeakyReset=FixedLeakyReset,
        LongTags=LongTags,
    )


@pytest.fixture(scope="session")
def quick() -> Dict[str, object]:
    """Validation options for fast tests of broken models."""
    return dict(QUICK)


@pytest.fixture(scope="session")
def saved_gain(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The gain model saved once: its folder and the report save_neutone_model returned."""
    root = tmp_path_factory.mktemp("gain")
    report = save_neutone_model(Gain(nn.Identity()), root, quiet=True)
    return SimpleNamespace(root=root, path=root / "model.nm", report=report)


@pytest.fixture(scope="session")
def saved_blocked(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The blocked identity saved once (a model with buffering delay)."""
    root = tmp_path_factory.mktemp("blocked")
    report = save_neutone_model(BlockedIdentity(nn.Identity()), root, quiet=True)
    return SimpleNamespace(root=root, path=root / "model.nm", report=report)
