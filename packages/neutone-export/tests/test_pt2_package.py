"""The pt2 package: capture, compile, state kept between calls, the Python runtime against the
`.nm`, reset, one-line capture errors, atomic writes, and the save path's `formats`.

Compiles take tens of seconds: each compiled model is written once per session, shared by the
xdist workers (conftest's `made_once`).
"""

import json
import warnings
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model, script_neutone_model
from neutone_export.audio.host import configure, noise, reported_delay, stream
from neutone_export.files.save import PackageNotWrittenWarning, check_formats
from neutone_export.pt2 import package as package_module
from neutone_export.pt2.capture import (
    PackageExportError,
    export_forward,
    forward_specs,
)
from neutone_export.pt2.package import MANIFEST, PACKAGE_DIR, package_path, write_package
from neutone_export.pt2.runtime import PackageError, PackageRuntime, read_manifest
from neutone_export.suite.compare import NUMERIC_TOLERANCE


class StereoModel(WaveformToWaveformBase):
    """Stereo in and out, any rate, valid metadata; subclasses say what they do."""

    def get_model_name(self) -> str:
        return "pt2.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model made by the pt2 tests."

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


class ShortEchoNet(nn.Module):
    """y[n] = x[n] + level * x[n - 8]; the last 8 input samples kept in a buffer, in place."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("history", torch.zeros(2, 8))

    def forward(self, x: Tensor, level: Tensor) -> Tensor:
        joined = torch.cat([self.history, x], 1)
        y = x + level * joined[:, : x.size(1)]
        self.history.copy_(joined[:, -8:])
        return y

    def reset(self) -> None:
        self.history.zero_()


class FixedEcho(StereoModel):
    """The short echo in native blocks of 64 samples (one fixed-size graph)."""

    def __init__(self) -> None:
        super().__init__(ShortEchoNet())

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("level", "echo level", default_value=0.5)]

    def get_native_buffer_sizes(self) -> List[int]:
        return [64]

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["level"])


class AnyEcho(FixedEcho):
    """The short echo on blocks of any length (the direct path: one dynamic-length graph)."""

    def get_native_buffer_sizes(self) -> List[int]:
        return []


class LoudnessSwitch(StereoModel):
    """Python control flow on the signal's values: torch.export cannot capture it."""

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        if float(x.abs().max()) > 0.5:
            return x * 0.5
        return x.clone()


@pytest.fixture(scope="module")
def fixed_package(made_once: Callable[[str, Callable[[Path], object]], Path]) -> Path:
    return package_path(
        made_once("pt2-fixed-echo", lambda folder: write_package(FixedEcho(), folder))
    )


@pytest.fixture(scope="module")
def any_package(made_once: Callable[[str, Callable[[Path], object]], Path]) -> Path:
    return package_path(made_once("pt2-any-echo", lambda folder: write_package(AnyEcho(), folder)))


def test_specs_follow_the_declared_sizes() -> None:
    fixed = forward_specs(FixedEcho())
    assert [(s.buffer_size, s.dynamic, s.sample_rate) for s in fixed] == [(64, False, 0)]
    assert fixed[0].file == "forward_64.pt2"
    (any_length,) = forward_specs(AnyEcho())
    assert any_length.dynamic and any_length.buffer_size == 0
    assert any_length.file == "forward_any.pt2"


def test_capture_keeps_the_state_as_a_buffer_mutation() -> None:
    program = export_forward(FixedEcho(), forward_specs(FixedEcho())[0])
    mutated = set(program.graph_signature.buffers_to_mutate.values())
    assert "adapter.w2w_base.model.history" in mutated


def test_manifest_describes_the_package(fixed_package: Path) -> None:
    manifest = read_manifest(fixed_package)
    assert manifest["format"] == "neutone-pt2" and manifest["version"] == 1
    assert manifest["reset"] == "reload"
    assert manifest["native_buffer_sizes"] == [64]
    assert manifest["in_channels"] == 2 and manifest["out_channels"] == 2
    assert manifest["default_positions"][0] == pytest.approx(0.5)
    (entry,) = manifest["forwards"]
    assert entry["file"] == "forward_64.pt2" and entry["window"] == 64
    assert entry["state_buffers"] == ["model.history"]
    assert (fixed_package / entry["file"]).is_file()
    assert (fixed_package / manifest["plan_file"]).exists()


@pytest.mark.parametrize("which", ["fixed", "any"])
def test_compiled_graph_keeps_state_over_consecutive_blocks(
    which: str, fixed_package: Path, any_package: Path
) -> None:
    folder = fixed_package if which == "fixed" else any_package
    graph = torch._inductor.aoti_load_package(
        str(folder / read_manifest(folder)["forwards"][0]["file"])
    )
    net = ShortEchoNet()
    generator = torch.Generator().manual_seed(1)
    for block in range(20):
        n = 64 if which == "fixed" else [64, 1, 300, 17][block % 4]
        x = torch.rand(2, n, generator=generator) - 0.5
        level = torch.rand(1, generator=generator)
        positions = level.expand(4, n).contiguous()
        expected = net(x, level)
        assert torch.allclose(graph(x, positions), expected, atol=1e-6), f"block {block}"


@pytest.fixture(scope="module")
def fixed_pair(fixed_package: Path) -> tuple:
    return PackageRuntime(fixed_package), script_neutone_model(FixedEcho())


@pytest.fixture(scope="module")
def any_pair(any_package: Path) -> tuple:
    return PackageRuntime(any_package), script_neutone_model(AnyEcho())


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    which=st.sampled_from(["fixed", "any"]),
    rate=st.sampled_from([44100, 48000, 96000]),
    sizes=st.lists(st.integers(0, 2048), min_size=1, max_size=12),
    seed=st.integers(0, 1000),
)
def test_runtime_streams_as_the_nm(
    fixed_pair: tuple, any_pair: tuple, which: str, rate: int, sizes: List[int], seed: int
) -> None:
    runtime, module = fixed_pair if which == "fixed" else any_pair
    n = sum(sizes)
    x = noise(n, seed, amplitude=0.5)
    knobs = torch.rand(4, 1, generator=torch.Generator().manual_seed(seed)).expand(4, n)
    configure(runtime, rate, 2048)
    configure(module, rate, 2048)
    assert reported_delay(runtime) == reported_delay(module)
    expected = stream(module, x, sizes, knobs.contiguous())
    found = stream(runtime, x, sizes, knobs.contiguous())
    assert expected.shape == found.shape
    assert torch.allclose(found, expected, rtol=0.0, atol=NUMERIC_TOLERANCE)


def test_reset_clears_the_state(fixed_pair: tuple) -> None:
    runtime, _ = fixed_pair
    configure(runtime, 48000, 512)
    probe = noise(2048, 3, amplitude=0.5)
    sizes = [512] * 4
    first = stream(runtime, probe, sizes)
    stream(runtime, noise(2048, 4), sizes)
    runtime.reset()
    assert torch.equal(stream(runtime, probe, sizes), first)
    assert not torch.equal(stream(runtime, probe, sizes), first)  # the state is real


def test_runtime_refuses_a_folder_that_is_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="is not a pt2 package"):
        PackageRuntime(tmp_path)


def test_capture_failure_is_one_line_naming_the_construct() -> None:
    model = LoudnessSwitch(nn.Identity())
    with pytest.raises(PackageExportError) as caught:
        export_forward(model, forward_specs(model)[0])
    message = str(caught.value)
    assert "\n" not in message
    assert "if float(x.abs().max()) > 0.5:" in message
    assert "test_pt2_package.py" in message and "LoudnessSwitch.do_forward_pass" in message
    assert "module `<wrapper>`" in message


def test_scripted_inner_model_is_named() -> None:
    model = FixedEcho()
    model.model = torch.jit.script(ShortEchoNet())
    with pytest.raises(PackageExportError, match=r"module `model` is a torch\.jit\.ScriptModule"):
        export_forward(model, forward_specs(model)[0])


def test_uncapturable_model_still_gets_its_nm(tmp_path: Path, short_demo: List[Tensor]) -> None:
    with pytest.warns(PackageNotWrittenWarning, match="control flow") as caught:
        report = save_neutone_model(
            LoudnessSwitch(nn.Identity()),
            tmp_path / "out",
            input_samples=short_demo,
            formats=("nm", "pt2"),
            quiet=True,
        )
    assert all("\n" not in str(w.message) for w in caught if w.category is PackageNotWrittenWarning)
    assert report.passed
    status = report.settings["pt2_package"]
    assert status["written"] is False and "LoudnessSwitch.do_forward_pass" in status["reason"]
    assert (tmp_path / "out" / "model.nm").is_file()
    assert not (tmp_path / "out" / PACKAGE_DIR).exists()
    assert json.loads((tmp_path / "out" / "report.json").read_text())["settings"]["pt2_package"]


def test_failed_write_leaves_the_previous_package(
    fixed_package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    snapshot: Callable[[Path], Dict[str, bytes]],
) -> None:
    target = tmp_path / PACKAGE_DIR
    target.mkdir()
    (target / MANIFEST).write_text((fixed_package / MANIFEST).read_text())
    before = snapshot(target)

    def fake_compile(program: object, package_path: str, **options: object) -> str:
        Path(package_path).write_bytes(b"compiled")
        return package_path

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch._inductor, "aoti_compile_and_package", fake_compile)
    monkeypatch.setattr(package_module, "check_graph", lambda *args: 0.0)
    monkeypatch.setattr(package_module, "write_runtime_plan", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_package(FixedEcho(), tmp_path)
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [PACKAGE_DIR]


def test_formats_are_checked() -> None:
    assert check_formats(("nm",), "f") == ("nm",)
    with pytest.raises(ValueError, match="must name 'nm'"):
        check_formats(("pt2",), "save_neutone_model")
    with pytest.raises(ValueError, match="sequence of names"):
        check_formats("pt2", "save_neutone_model")


def test_default_save_writes_no_package(tmp_path: Path, short_demo: List[Tensor]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", PackageNotWrittenWarning)
        report = save_neutone_model(
            LoudnessSwitch(nn.Identity()), tmp_path / "out", input_samples=short_demo, quiet=True
        )
    assert "pt2_package" not in report.settings
    assert not (tmp_path / "out" / PACKAGE_DIR).exists()
