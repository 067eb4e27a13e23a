"""The three commands through typer's CliRunner: table and JSON rows, errors and exit codes."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from neutone_bench.cli import app
from neutone_bench.embedded import EMBEDDED_MODELS

FAST_SPEED = ["--duration", "0.05", "--repetitions", "2", "--warmup", "2"]


def table_rows(stdout: str) -> list[list[str]]:
    """Cells of the body rows of the rich tables in `stdout` (headers use another box character)."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in stdout.splitlines()
        if line.startswith("│")
    ]


def invoke(runner: CliRunner, args: list[str]):
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(
        result.exception, SystemExit
    ), f"{args}: {result.exception!r}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_speed_json_has_one_consistent_row_per_setting(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "speed.json"
    args = ["speed", "-r", "48000", "-r", "44100", "-b", "128", "-b", "512", *FAST_SPEED]
    result = invoke(runner, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["model"] == "clipper (embedded)"
    settings = [(r["sample_rate"], r["buffer_size"]) for r in data["results"]]
    assert settings == [(48000, 128), (48000, 512), (44100, 128), (44100, 512)]
    for row in data["results"]:
        sr, bs = row["sample_rate"], row["buffer_size"]
        assert row["num_calls"] == 2 * math.ceil(0.05 * sr / bs)
        assert row["deadline_s"] == pytest.approx(bs / sr)
        assert 0.0 < row["median_s"] <= row["p99_s"] <= row["max_s"]
        assert row["inverse_rtf"] == pytest.approx(row["deadline_s"] / row["median_s"])
        assert 0 <= row["deadline_misses"] <= row["num_calls"]
        assert row["warmup"]["calls"] == 2
        for outlier in row["outliers"]:
            assert outlier["time_s"] > row["outlier_threshold_s"]
    # The same rows in the table on stdout, in the same order.
    rows = table_rows(result.stdout)
    assert "┃ rate (Hz) ┃ buffer ┃" in result.stdout
    assert [(int(r[0]), int(r[1])) for r in rows] == settings
    assert [r[9] for r in rows] == [
        f"{r['deadline_misses']}/{r['num_calls']}" for r in data["results"]
    ]


def test_speed_json_to_stdout_is_pure_json(runner: CliRunner) -> None:
    result = invoke(runner, ["speed", "-b", "256", *FAST_SPEED, "--json", "-"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["buffer_size"] for r in data["results"]] == [256]
    assert "speed: clipper (embedded)" in result.stderr  # the header goes to stderr


def test_speed_restores_threads_and_plots(runner: CliRunner, tmp_path: Path) -> None:
    before = torch.get_num_threads()
    plot = tmp_path / "speed.png"
    args = ["speed", "smoother-48k", "-r", "44100", "-b", "128", "-b", "2048", *FAST_SPEED]
    result = invoke(runner, [*args, "--num-threads", "2", "--plot", str(plot)])
    assert result.exit_code == 0, result.stderr
    assert torch.get_num_threads() == before
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "smoother-48k" in result.stdout


@pytest.mark.parametrize("name", sorted(EMBEDDED_MODELS))
def test_latency_rows_are_sorted_and_sum_to_total(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "latency.json"
    result = invoke(runner, ["latency", name, "--json", str(out)])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 10
    assert {(r["sample_rate"], r["buffer_size"]) for r in rows} == {
        (sr, bs) for sr in (44100, 48000) for bs in (128, 256, 512, 1024, 2048)
    }
    keys = [(r["total"], r["sample_rate"], r["buffer_size"]) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert r["buffering"] + r["resampling"] + r["look_ahead"] + r["model"] == r["total"], r
        assert "measured" not in r
    cells = table_rows(result.stdout)
    assert [[int(c) for c in row[:3]] for row in cells] == [
        [r["sample_rate"], r["buffer_size"], r["total"]] for r in rows
    ]


def test_latency_of_the_embedded_models_has_every_part(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "latency.json"
    result = invoke(
        runner, ["latency", "smoother-48k", "-r", "44100", "-b", "128", "--json", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["buffering"] > 0 and row["resampling"] > 0
    assert row["look_ahead"] > 0 and row["model"] > 0
    result = invoke(runner, ["latency", "--json", str(out)])  # default model: clipper
    assert all(r["total"] == 0 for r in json.loads(out.read_text())["rows"])


def _check_measured(runner: CliRunner, model: str, out: Path) -> None:
    result = invoke(runner, ["latency", model, "--measure", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    differing = [r for r in rows if r["measured"] != r["total"]]
    assert not differing, f"{model}: measured != reported in {differing}\n{result.stderr}"
    assert all(r["agrees"] for r in rows)
    assert result.exit_code == 0, result.stderr
    assert "measured" in result.stdout


@pytest.mark.parametrize("name", sorted(EMBEDDED_MODELS))
def test_latency_measure_agrees_with_reported_for_embedded(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    _check_measured(runner, name, tmp_path / "latency.json")


# The same check for every example model (found through the `neutone.models` entry points) runs in
# tools/tests/test_examples_in_bench.py: this package's test environment holds no examples.


def test_a_saved_file_by_path_and_by_folder(
    runner: CliRunner, tmp_path: Path, smoother_file: Path
) -> None:
    out = tmp_path / "latency.json"
    args = ["latency", str(smoother_file), "-r", "44100", "-b", "256", "--measure"]
    result = invoke(runner, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row["measured"] == row["total"] > 0
    assert "native sample rates [48000], native buffer sizes [2048]" in result.stderr
    result = invoke(runner, ["speed", str(smoother_file.parent), "-b", "256", *FAST_SPEED])
    assert result.exit_code == 0, result.stderr
    assert f"speed of {smoother_file}" in result.stdout


def test_latency_of_an_sdk15_file_uses_the_two_contract_methods(
    runner: CliRunner, tmp_path: Path, sdk15_file: Path
) -> None:
    out = tmp_path / "latency.json"
    result = invoke(
        runner,
        ["latency", str(sdk15_file), "-r", "48000", "-b", "64", "--measure", "--json", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(out.read_text())["rows"]
    assert row == {
        "sample_rate": 48000,
        "buffer_size": 64,
        "buffering": 34,
        "resampling": None,
        "look_ahead": None,
        "model": 3,
        "total": 37,
        "measured": 37,
        "agrees": True,
    }


def test_latency_warns_and_fails_when_measured_differs(
    runner: CliRunner, misreporting_file: Path
) -> None:
    result = invoke(
        runner, ["latency", str(misreporting_file), "-b", "128", "-r", "48000", "--measure"]
    )
    assert result.exit_code == 1
    assert "reports 30 samples of delay but 37 were measured" in result.stderr
    assert "37 (differs)" in result.stdout


def test_latency_reports_a_silent_output(runner: CliRunner, silent_file: Path) -> None:
    args = ["latency", str(silent_file), "-b", "128", "-r", "48000", "--measure", "--json", "-"]
    result = invoke(runner, args)
    assert result.exit_code == 1
    assert "reports 37 samples of delay but the output stayed silent" in result.stderr
    (row,) = json.loads(result.stdout)["rows"]
    assert row["measured"] is None and row["agrees"] is False


def test_profile_lists_operators_and_writes_a_trace(runner: CliRunner, tmp_path: Path) -> None:
    out, trace = tmp_path / "profile.json", tmp_path / "trace.json"
    args = ["profile", "--num-calls", "5", "--warmup", "1", "--top", "3"]
    result = invoke(runner, [*args, "--json", str(out), "--trace", str(trace)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    assert (data["sample_rate"], data["buffer_size"], data["num_calls"]) == (48000, 128, 5)
    assert 1 <= len(data["top_cpu"]) <= 3 and 1 <= len(data["top_memory"]) <= 3
    cpu = [r["self_cpu_us"] for r in data["top_cpu"]]
    assert cpu == sorted(cpu, reverse=True)
    assert all(r["calls"] >= 1 for r in data["top_cpu"])
    assert data["rss_after_bytes"] > 0 and data["cpu_percent"] >= 0.0
    assert data["peak_rss_bytes"] >= data["rss_after_bytes"]
    assert "traceEvents" in json.loads(trace.read_text())
    assert "top operators by self CPU time" in result.stdout
    assert "top operators by self CPU memory" in result.stdout


def _assert_bad_input(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    text = " ".join(result.stderr.replace("│", " ").split())  # typer's error panel wraps lines
    for fragment in fragments:
        assert fragment in text, (fragment, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["speed", "latency", "profile"])
def test_missing_file_is_bad_input(runner: CliRunner, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nothing-here.nm"
    _assert_bad_input(runner.invoke(app, [command, str(missing)]), "no such file")


def test_corrupt_file_is_bad_input(runner: CliRunner, corrupt_file: Path) -> None:
    _assert_bad_input(runner.invoke(app, ["speed", str(corrupt_file)]), "not a TorchScript archive")


def test_foreign_torchscript_file_is_bad_input(runner: CliRunner, foreign_file: Path) -> None:
    _assert_bad_input(runner.invoke(app, ["latency", str(foreign_file)]), "not a Neutone model")


def test_unknown_name_is_bad_input(runner: CliRunner) -> None:
    _assert_bad_input(
        runner.invoke(app, ["speed", "no-such-model"]), "no model file or model named"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["speed", "-r", "0"], "sample rate must be in [8000, 768000] Hz, got 0"),
        (["speed", "-b", "0"], "buffer size must be in [1, 65536] samples, got 0"),
        (["latency", "-r", "-44100"], "sample rate must be in [8000, 768000] Hz, got -44100"),
        (["latency", "-b", "0"], "buffer size must be in [1, 65536] samples, got 0"),
        (["profile", "-r", "0"], "sample rate must be in [8000, 768000] Hz, got 0"),
        (["profile", "-b", "0"], "buffer size must be in [1, 65536] samples, got 0"),
        (["speed", "--duration", "0"], "--duration"),
        (["speed", "--num-threads", "0"], "--num-threads"),
    ],
)
def test_impossible_settings_are_bad_input(
    runner: CliRunner, args: list[str], fragment: str
) -> None:
    _assert_bad_input(runner.invoke(app, args), fragment)


def test_a_setting_the_model_refuses_is_bad_input(runner: CliRunner, sdk15_file: Path) -> None:
    result = runner.invoke(app, ["latency", str(sdk15_file), "-r", "12345", "-b", "128"])
    _assert_bad_input(result, "the model refused 12345 Hz / 128 samples", "not supported")


def test_python_dash_m_runs_the_same_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "neutone_bench", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("speed", "latency", "profile"):
        assert command in result.stdout
