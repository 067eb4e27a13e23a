"""Small models for the export tests, good and deliberately broken, and files saved once a session.

Every model is a `WaveformToWaveformBase` with valid metadata; each broken one breaks exactly one
rule that one check of the suite must catch.
"""

import os
import pickle
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model
from neutone_export.files.locking import exclusive_lock

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


@pytest.fixture(scope="session")
def made_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str, Callable[[Path], object]], Path]:
    """``made_once(name, make)``: the folder `make(folder)` filled, made once per session under a
    lock per name in a folder every xdist worker of this session shares (a pt2 compile takes tens
    of seconds, an export seconds: each worker would otherwise make the same one again). A
    marker written after `make` returns says the folder is whole; a folder without one (a
    failed `make`) is made again."""
    base = tmp_path_factory.getbasetemp()
    # An xdist worker's base is one folder of the session's; a plain run's is the session's own.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "made-once"
    root.mkdir(exist_ok=True)

    def folder_of(name: str, make: Callable[[Path], object]) -> Path:
        folder, done = root / name, root / f".{name}.done"
        with exclusive_lock(root / f".{name}.lock"):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                make(folder)
                done.touch()
        return folder

    return folder_of


def saved_once(
    made_once: Callable[[str, Callable[[Path], object]], Path], name: str, model: nn.Module
) -> SimpleNamespace:
    """`model` saved once per session (see `made_once`): its folder, its `model.nm` and the
    report save_neutone_model returned (pickled beside the export, for the other worker)."""

    def save(folder: Path) -> None:
        report = save_neutone_model(model, folder / "export", quiet=True)
        (folder / "report.pickle").write_bytes(pickle.dumps(report))

    folder = made_once(name, save)
    report = pickle.loads((folder / "report.pickle").read_bytes())
    root = folder / "export"
    return SimpleNamespace(root=root, path=root / "model.nm", report=report)


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
def short_demo() -> List[Tensor]:
    """`input_samples` for an export whose demo files are not what the test is about: a quarter
    second of a sine instead of the default demos (9 renders and 24 MP3s, most of the export of
    a small model)."""
    return [0.5 * torch.sin(torch.linspace(0.0, 300.0, 12000)).reshape(1, -1)]


@pytest.fixture(scope="session")
def saved_gain(made_once: Callable[[str, Callable[[Path], object]], Path]) -> SimpleNamespace:
    """The gain model saved once: its folder and the report save_neutone_model returned."""
    return saved_once(made_once, "saved-gain", Gain(nn.Identity()))


@pytest.fixture(scope="session")
def saved_blocked(made_once: Callable[[str, Callable[[Path], object]], Path]) -> SimpleNamespace:
    """The blocked identity saved once (a model with buffering delay)."""
    return saved_once(made_once, "saved-blocked", BlockedIdentity(nn.Identity()))
