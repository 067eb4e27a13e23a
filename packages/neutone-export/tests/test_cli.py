"""`neutone-export check`: exit status first, then stdout and stderr apart, JSON via json.loads."""

import json

import torch
from torch import nn
from typer.testing import CliRunner

from neutone_export import load_neutone_model
from neutone_export.cli import app

runner = CliRunner()


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_check_good_file_exits_0_with_table_and_progress(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--seconds", "0.2"])
    assert result.exit_code == 0, show(result)
    for name in ("contract", "streaming", "delay", "realtime"):
        assert name in result.stdout
    assert "pass contract 0 problems" in result.stderr  # one progress line per check
    assert "pass delay 0 samples" in result.stderr
    assert "pass contract" not in result.stdout


def test_check_writes_json_file(saved_gain, tmp_path) -> None:
    out = tmp_path / "report.json"
    args = ["check", str(saved_gain.path), "--json", str(out), "--seconds", "0.2", "--quiet"]
    args += ["--sample-rate", "32000"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, show(result)
    data = json.loads(out.read_text())
    assert data["passed"] is True
    assert data["source"] == str(saved_gain.path)
    assert data["settings"]["sample_rates"] == [44100, 48000, 32000]
    assert result.stderr == ""


def test_check_json_to_stdout(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--json", "-", "-q"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert [c["status"] for c in data["checks"]].count("fail") == 0
    assert data["checks"][0]["name"] == "contract"


def test_check_failing_file_exits_1(saved_gain, tmp_path) -> None:
    module, metadata = load_neutone_model(saved_gain.path)
    metadata["tags"] = ["a-tag-that-is-far-too-long"]
    path = tmp_path / "bad.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": json.dumps(metadata)})
    result = runner.invoke(app, ["check", str(path), "--seconds", "0.1", "--json", "-"])
    assert result.exit_code == 1, show(result)
    data = json.loads(result.stdout)
    failed = [c["name"] for c in data["checks"] if c["status"] == "fail"]
    assert failed == ["metadata"]
    assert "failed: metadata" in result.stderr


def test_check_sdk15_file_runs_and_reports(sdk15_path) -> None:
    result = runner.invoke(app, ["check", str(sdk15_path), "--seconds", "0.2", "--json", "-"])
    assert result.exit_code == 1, show(result)  # fixed-size buffers only: streaming fails
    data = json.loads(result.stdout)
    statuses = {c["name"]: c["status"] for c in data["checks"]}
    assert statuses["streaming"] == "fail"
    assert statuses["delay_breakdown"] == "skip"
    assert statuses["contract"] == "pass"
    assert "Traceback" not in result.stderr


def test_bad_files_exit_2_with_one_line(tmp_path) -> None:
    text = tmp_path / "text.nm"
    text.write_text("not a model")
    foreign = tmp_path / "linear.pt"
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), str(foreign))
    cases = [
        (tmp_path / "missing.nm", "no such file"),
        (text, "not a TorchScript archive"),
        (foreign, "no metadata.json inside"),
    ]
    for path, reason in cases:
        result = runner.invoke(app, ["check", str(path)])
        assert result.exit_code == 2, show(result)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, show(result)
        assert lines[0].startswith("Error: Invalid value for MODEL_PATH: ")
        assert reason in lines[0]
        assert "Traceback" not in result.stderr


def test_bad_option_exits_2(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--seconds", "0"])
    assert result.exit_code == 2, show(result)
    assert result.stderr.strip() == "Error: Invalid value for --seconds: must be > 0, got 0.0"


def test_help_lists_check() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, show(result)
    assert "check" in result.stdout
