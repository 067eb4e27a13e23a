"""The native host loads and runs `.nm` files in plain libtorch, as the plugin does.

Built once into the native cache every test environment shares (hatch.toml's
`NEUTONE_CACHE_DIR`; the build takes seconds). Skipped only where no C++ compiler exists; CI
machines have one.
"""

import shutil
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import script_neutone_model
from neutone_export.audio.host import configure, random_sizes, reported_delay, stream
from neutone_export.native.build import cache_dir
from neutone_export.native.host import NativeHostError, build_runner, stream_native, time_native

pytestmark = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("c++", "g++", "clang++")),
    reason="no C++ compiler on this machine: the native host cannot be built",
)


class _Smoother(WaveformToWaveformBase):
    """Stereo one-pole lowpass with a knob, native 48 kHz / 64: state, queueing and resampling."""

    def get_model_name(self) -> str:
        return "native.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model made by the native host tests."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("mix", "dry/wet", default_value=0.5)]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [64]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["mix"])


class _OnePole(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("state", torch.zeros(2, 1))

    def forward(self, x: Tensor, mix: Tensor) -> Tensor:
        y = torch.empty_like(x)
        for i in range(x.size(1)):
            self.state = 0.9 * self.state + 0.1 * x[:, i : i + 1]
            y[:, i : i + 1] = self.state
        return mix * y + (1.0 - mix) * x

    @torch.jit.export
    def reset(self) -> None:
        self.state.zero_()


class _PythonOnly(_Smoother):
    """Calls an op defined from Python: runs in Python, unknown to the plugin's libtorch."""

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return torch.ops.neutone_test.python_gain(x)


@torch.library.custom_op("neutone_test::python_gain", mutates_args=())
def _python_gain(x: Tensor) -> Tensor:
    return x * 0.5


@pytest.fixture(scope="session")
def smoother_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("native") / "smoother.nm"
    module = script_neutone_model(_Smoother(_OnePole()))
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


def test_build_is_cached_and_reused() -> None:
    first = build_runner()
    assert first.is_file() and first.is_relative_to(cache_dir())
    mtime = first.stat().st_mtime_ns
    assert build_runner() == first and first.stat().st_mtime_ns == mtime


def test_timed_run_reports_every_call_and_the_same_delay_as_python(smoother_file: Path) -> None:
    timing = time_native(smoother_file, 44100, 128, calls=50, warmup=5)
    assert len(timing.times_s) == len(timing.allocations) == len(timing.allocated_bytes) == 50
    assert all(t > 0 for t in timing.times_s)
    assert timing.threads == 1
    module = torch.jit.load(str(smoother_file))
    configure(module, 44100, 128)
    assert timing.reported_delay == reported_delay(module) > 0


def test_native_stream_equals_python_stream_for_variable_buffers(smoother_file: Path) -> None:
    n = 6000
    x = torch.rand(2, n, generator=torch.Generator().manual_seed(1)) * 2 - 1
    knobs = torch.rand(4, n, generator=torch.Generator().manual_seed(2))
    sizes = random_sizes(n, 300, torch.Generator().manual_seed(3))
    native, delay = stream_native(smoother_file, x, 44100, sizes, knobs)
    module = torch.jit.load(str(smoother_file))
    configure(module, 44100, max(sizes))
    expected = stream(module, x, sizes, knobs)
    assert delay == reported_delay(module)
    assert torch.allclose(native, expected, atol=1e-6), (native - expected).abs().max()


def test_an_op_defined_in_python_fails_in_the_native_host_in_one_line(tmp_path: Path) -> None:
    module = script_neutone_model(_PythonOnly(nn.Identity()))
    path = tmp_path / "python_op.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    configure(module, 48000, 64)
    module(torch.zeros(2, 64))  # runs in Python, where the op is registered
    with pytest.raises(NativeHostError, match=r"fails in plain libtorch: .*neutone_test") as info:
        time_native(path, 48000, 64, calls=2)
    assert "\n" not in str(info.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(NativeHostError) as info:
        time_native(tmp_path / "missing.nm", 48000, 64, calls=1)
    assert "\n" not in str(info.value)
