"""`check --host native`: streaming and delay checks in plain C++ libtorch, as the plugin runs.

The runner is built once into the native cache every test environment shares (hatch.toml). Skipped
only where no C++ compiler exists; CI machines have one.
"""

import json
import shutil
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn
from typer.testing import CliRunner

from neutone_export import load_neutone_model, script_neutone_model
from neutone_export.cli import app
from neutone_export.suite.native import run_native_checks

pytestmark = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("c++", "g++", "clang++")),
    reason="no C++ compiler on this machine: the native host cannot be built",
)
runner = CliRunner()
NATIVE_CHECKS = ["native_load", "native_streaming", "native_delay"]


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _save(module: torch.jit.ScriptModule, path: Path) -> Path:
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


@torch.library.custom_op("neutone_export_test::quarter", mutates_args=())
def _quarter(x: Tensor) -> Tensor:
    return x * 0.25


def test_a_blocked_model_streams_and_has_its_reported_delay_natively(saved_blocked) -> None:
    module, _ = load_neutone_model(saved_blocked.path)
    results = run_native_checks(saved_blocked.path, module, seconds=0.25)
    assert [r.name for r in results] == NATIVE_CHECKS
    assert all(r.status == "pass" for r in results), [r.to_dict() for r in results]
    streaming, delay = results[1], results[2]
    assert streaming.figure is not None and streaming.figure <= 1e-4
    configured = load_neutone_model(saved_blocked.path)[0]
    configured.set_daw_sample_rate_and_buffer_size(48000, 128)
    reported = configured.calc_buffering_delay_samples() + configured.calc_model_delay_samples()
    assert delay.figure == reported > 0  # measured natively == reported, at 48000 Hz/128


def test_a_false_delay_claim_fails_natively(models, tmp_path: Path) -> None:
    path = _save(script_neutone_model(models.FalseDelayClaim(nn.Identity())), tmp_path / "f.nm")
    module, _ = load_neutone_model(path)
    results = {r.name: r for r in run_native_checks(path, module, seconds=0.25)}
    assert results["native_delay"].status == "fail"
    assert "reported 100, measured 0" in results["native_delay"].message


def test_check_host_native_fails_a_file_that_runs_only_in_python(models, tmp_path: Path) -> None:
    class PythonOp(models.Identity):
        def do_forward_pass(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
            return torch.ops.neutone_export_test.quarter(x)

    path = _save(script_neutone_model(PythonOp(nn.Identity())), tmp_path / "python_op.nm")
    args = ["check", str(path), "--host", "native", "--seconds", "0.2", "--json", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, show(result)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["streaming"]["status"] == "pass"  # Python has the op
    assert checks["native_load"]["status"] == "fail"
    assert "fails in plain libtorch" in checks["native_load"]["message"]
    assert "neutone_export_test" in checks["native_load"]["message"]
    assert [checks[n]["status"] for n in NATIVE_CHECKS[1:]] == ["skip", "skip"]
    assert "failed:" in result.stderr and "native_load" in result.stderr


def test_check_host_native_passes_a_good_file(saved_gain) -> None:
    args = ["check", str(saved_gain.path), "--host", "native", "--seconds", "0.2", "--json", "-"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["settings"]["host"] == "native"
    names = [c["name"] for c in data["checks"]]
    assert names[-3:] == NATIVE_CHECKS
    assert "pass native_streaming" in result.stderr


def test_check_host_must_be_python_or_native(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--host", "plugin"])
    assert result.exit_code == 2, show(result)
    assert result.stdout == "" and "--host: 'plugin' is not a host" in result.stderr
