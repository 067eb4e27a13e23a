"""`neutone-bench response` through CliRunner: tables, `--json`, `--plot`, bad input."""

import json
from pathlib import Path

from typer.testing import CliRunner

from neutone_bench import cli_response
from neutone_export.cli.contract import make_app

runner = CliRunner()
app = make_app("neutone-bench", "test app")
cli_response.register(app)
FAST = ["--seconds", "0.5", "--steps", "2"]


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_response_tables_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "r.png"
    target = tmp_path / "r.json"
    args = ["response", "smoother-48k", *FAST, "--plot", str(plot), "--json", str(target)]
    result = runner.invoke(app, args, env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, show(result)
    assert "magnitude response of smoother-48k" in result.stdout
    assert "tone=1" in result.stdout and "1000 Hz sine: harmonics, dBFS (linear)" in result.stdout
    assert (
        "response: impulse response" in result.stderr and f"plot written to {plot}" in result.stderr
    )
    assert plot.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(target.read_text())
    assert data["command"] == "response" and data["tool"] == "neutone-bench"
    assert [c["label"] for c in data["response"]["curves"]] == ["default", "tone=0", "tone=1"]


def test_response_bad_options_are_one_line_before_any_work(tmp_path: Path) -> None:
    cases = [
        (["--method", "chirp"], "--method must be one of sweep, noise"),
        (["--plot", str(tmp_path / "r.txt")], "--plot"),
        (["-r", "5"], "--sample-rate"),
        (["--seconds", "0.1"], "--seconds must be in [0.5, 60]"),
    ]
    for extra, words in cases:
        result = runner.invoke(app, ["response", "clipper", *extra])
        assert result.exit_code == 2 and result.stdout == "", show(result)
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith("Error: ") and words in lines[-1], show(result)
    assert list(tmp_path.iterdir()) == []


def test_response_pins_one_thread_unless_told_and_says_so(tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    seen: list[int] = []
    target = tmp_path / "r.json"
    for threads, extra in ((1, []), (2, ["--num-threads", "2"])):
        args = ["response", "clipper", *FAST, "--json", str(target), *extra]
        result = runner.invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == 0, show(result)
        first = result.stderr.splitlines()[0]
        assert first.startswith("response: clipper") and first.endswith(f", {threads} thread(s)")
        seen.append(json.loads(target.read_text())["threads"])
        assert torch.get_num_threads() == before
    assert seen == [1, 2]
