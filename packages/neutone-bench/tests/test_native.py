"""`speed` and `latency --measure` in the native host (C++ libtorch), through typer's CliRunner.

The runner is built once into the native cache every test environment shares (hatch.toml's
`NEUTONE_CACHE_DIR`; builds are keyed by their sources and torch, and locked). Skipped only
where no C++ compiler exists; CI machines have one. The no-compiler message is tested everywhere.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn
from typer.testing import CliRunner

from neutone_bench.cli import app
from neutone_core import WaveformToWaveformBase
from neutone_export import script_neutone_model

FAST = ["--duration", "0.05", "--repetitions", "2", "--warmup", "2"]
TERMINAL = {"COLUMNS": "80", "NO_COLOR": "1"}
HAS_COMPILER = any(shutil.which(c) for c in ("c++", "g++", "clang++"))
needs_compiler = pytest.mark.skipif(
    not HAS_COMPILER, reason="no C++ compiler on this machine: the native host cannot be built"
)


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def invoke(runner: CliRunner, args: list[str]):
    return runner.invoke(app, args, env=TERMINAL)


@needs_compiler
def test_speed_native_reports_times_and_allocations_per_call(
    runner: CliRunner, smoother_file: Path
) -> None:
    args = ["speed", str(smoother_file), "--host", "native", "-b", "256", *FAST, "--json", "-"]
    result = invoke(runner, args)
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["host"] == "native" and data["threads"] == 1
    [row] = data["results"]
    assert row["host"] == "native" and row["buffer_size"] == 256
    calls = 2 * round(0.05 * 48000 / 256 + 0.5)  # two repetitions of ceil(duration / buffer)
    assert row["num_calls"] == len(row["times_s"]) == len(row["allocations"]) == calls
    assert len(row["warmup_s"]) == 2 and len(row["floor_s"]) == calls
    assert all(t > 0 for t in row["times_s"])
    assert row["allocations_max"] == max(row["allocations"]) >= 0
    assert "native host" in result.stderr


@needs_compiler
def test_speed_native_of_a_named_model_and_its_verbose_table(runner: CliRunner) -> None:
    """A name (installed or embedded model) is scripted and saved to a temporary file."""
    result = invoke(runner, ["speed", "clipper", "--host", "native", "-b", "128", *FAST, "-v"])
    assert result.exit_code == 0, show(result)
    assert "speed of clipper" in result.stdout and "(native host)" in result.stdout
    assert "CPU allocations per call in the native host" in result.stdout
    assert "median allocs" in result.stdout


@needs_compiler
def test_latency_measured_in_the_native_host_agrees_with_the_report(
    runner: CliRunner, sdk15_file: Path
) -> None:
    args = ["latency", str(sdk15_file), "--measure", "--host", "native", "-r", "48000"]
    result = invoke(runner, [*args, "-b", "128", "-b", "512", "--json", "-"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["host"] == "native"
    assert [(r["total"], r["measured"], r["agrees"]) for r in data["rows"]] == [(37, 37, True)] * 2


@needs_compiler
def test_latency_native_finds_a_misreported_delay(
    runner: CliRunner, misreporting_file: Path
) -> None:
    args = ["latency", str(misreporting_file), "--measure", "--host", "native"]
    result = invoke(runner, [*args, "-r", "48000", "-b", "256"])
    assert result.exit_code == 1, show(result)
    assert "reports 30 samples of delay but 37 were measured" in result.stderr


class _PythonOnly(WaveformToWaveformBase):
    """Calls an op registered from Python: runs here, unknown to the plugin's libtorch."""

    def get_model_name(self) -> str:
        return "python.only"

    def get_model_authors(self) -> list[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Calls an op defined in Python."

    def get_neutone_parameters(self) -> list:
        return []

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> list[int]:
        return []

    def get_native_buffer_sizes(self) -> list[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
        return torch.ops.neutone_bench_test.half(x)


@torch.library.custom_op("neutone_bench_test::half", mutates_args=())
def _half(x: Tensor) -> Tensor:
    return x * 0.5


@needs_compiler
def test_a_file_that_fails_in_plain_libtorch_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    module = script_neutone_model(_PythonOnly(nn.Identity()))
    path = tmp_path / "python_op.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    result = invoke(runner, ["speed", str(path), "--host", "native", "-b", "128", *FAST])
    assert result.exit_code == 2, show(result)
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("Error: ") and "fails in plain libtorch" in line
    assert "neutone_bench_test" in line


@pytest.mark.parametrize(
    "args, message",
    [
        (["--pin-cpu", "0"], "--pin-cpu 0: pinning needs --host native"),
        (["--host", "native", "--num-threads", "2"], "--num-threads 2: the native host runs one"),
        (["--host", "native", "--pin-cpu", "100000"], "--pin-cpu 100000: not a core"),
    ],
)
def test_native_options_refused_before_any_work(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, ["speed", *args])
    assert result.exit_code == 2, show(result)
    assert message in result.stderr and result.stdout == ""


def test_latency_native_needs_measure(runner: CliRunner) -> None:
    result = invoke(runner, ["latency", "--host", "native"])
    assert result.exit_code == 2, show(result)
    assert "add --measure" in result.stderr


def test_without_a_compiler_the_native_host_says_what_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUTONE_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no compiler on it
    monkeypatch.delenv("CXX", raising=False)
    result = invoke(runner, ["speed", "--host", "native", "-b", "128", *FAST])
    assert result.exit_code == 2, show(result)
    assert "needs a C++20 compiler and none was found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # the banner, then the one-line error


@needs_compiler
def test_pinned_native_run(runner: CliRunner) -> None:

    core = min(os.sched_getaffinity(0))
    args = ["speed", "--host", "native", "--pin-cpu", str(core), "-b", "512", *FAST]
    result = invoke(runner, [*args, "--json", "-"])
    assert result.exit_code == 0, show(result)
    assert json.loads(result.stdout)["results"][0]["host"] == "native"
