"""Our tools read what the reference Neutone SDK 1.5.2 writes: load, benchmark and check.

A reference file takes one fixed host buffer size only; `neutone-export check` recognises it,
checks it with fixed buffers as the plugin drives it, and says in one line what a re-export with
neutone would add. The commands run in this process through typer's CliRunner (the console
scripts themselves are tested in tools/tests/test_cli_contract_apps.py).
"""

import json
from pathlib import Path
from typing import Dict

import pytest
import torch
from typer.testing import CliRunner

from neutone_bench.cli import app as bench_app
from neutone_export import load_neutone_model, validate_neutone_model
from neutone_export.cli import app as export_app
from neutone_export.files.info import model_info
from neutone_export.files.load import made_by_reference_sdk

REFERENCE_MODELS = ("clipper", "monoblocks")  # compat/make_reference_models.py


def test_every_reference_model_was_made(reference_files: Dict[str, Path]) -> None:
    assert sorted(reference_files) == sorted(REFERENCE_MODELS)


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_our_loader_reads_reference_files(reference_files: Dict[str, Path], name: str) -> None:
    module, metadata = load_neutone_model(reference_files[name])  # strict: as the plugin loads
    assert metadata["sdk_version"] == "1.5.2"
    assert made_by_reference_sdk(module)
    channels = 1 if metadata["is_input_mono"] else 2
    assert module.set_daw_sample_rate_and_buffer_size(48000, 512) >= 512
    assert module.forward(torch.zeros(channels, 512), None).shape == (channels, 512)


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_check_passes_reference_files_with_fixed_buffers(
    reference_files: Dict[str, Path], name: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    args = ["check", str(reference_files[name]), "--seconds", "0.2", "--json", str(out)]
    result = CliRunner().invoke(export_app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads(out.read_text())
    checks = {check["name"]: check for check in report["checks"]}
    origin = checks["origin"]["message"]
    assert "written by the Neutone SDK 1.5.2" in origin and "\n" not in origin
    assert "a re-export with neutone adds variable host buffer sizes" in origin
    assert "fixed host buffers" in checks["streaming"]["message"]
    assert checks["plugin_load"]["status"] == "pass"
    assert checks["consistency"]["status"] == "pass"


def test_reference_delay_is_what_it_reports(reference_files: Dict[str, Path]) -> None:
    report = validate_neutone_model(reference_files["monoblocks"], seconds=0.2)
    delay = report["delay"]
    assert delay.passed and not delay.skipped, delay.message
    assert "48000 Hz/128: reported 128, measured 128" in delay.message  # blocks of 256


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_bench_speed_runs_reference_files(reference_files: Dict[str, Path], name: str) -> None:
    args = ["speed", str(reference_files[name]), "--duration", "0.2"]
    result = CliRunner().invoke(bench_app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.exception is None and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_info_describes_reference_files(reference_files: Dict[str, Path], name: str) -> None:
    info = model_info(reference_files[name])
    assert info.sdk_version.startswith("1.5") and info.name
    assert all(not delay.parts for delay in info.delays)  # no delay breakdown in 1.5 files
    assert bool(info.knobs) == (name == "clipper")
