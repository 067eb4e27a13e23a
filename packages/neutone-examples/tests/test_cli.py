"""`neutone-examples export`: exit status, the summary table and JSON, the CLI contract."""

import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import torch
from typer.testing import CliRunner

from neutone_examples import clipper, registry
from neutone_examples.cli import app

runner = CliRunner()
ENVELOPE = ["tool", "version", "torch", "python", "platform", "cpu", "threads", "created"]


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def assert_one_line_error(result, *fragments: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr (before any work), naming the fragments."""
    assert result.exit_code == 2, show(result)
    assert result.stdout == "", show(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), show(result)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, show(result))


@pytest.mark.slow
@pytest.mark.usefixtures("short_demos")
def test_exports_two_examples_and_prints_one_row_each(tmp_path: Path) -> None:
    # The `.nm` alone: the rows are the subject; test_json_dash_is_the_envelope_on_stdout proves
    # the default --format all (the pt2 package) end to end.
    args = ["export", "clipper", "look_ahead", "--out", str(tmp_path), "--format", "nm"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, show(result)
    rows: List[str] = [line for line in result.stdout.splitlines() if "pass" in line]
    assert [row.split()[1] for row in rows] == ["clipper", "look_ahead"], result.stdout
    assert "64" in rows[1].split()  # look-ahead of 2 * 32 samples at 48 kHz/128
    assert "exporting look_ahead" in result.stderr
    assert (tmp_path / "clipper" / "model.nm").is_file()
    assert (tmp_path / "look_ahead" / "report.json").is_file()
    assert not (tmp_path / "clipper" / "model.pt2pkg").exists()  # --format nm writes no package


@pytest.mark.slow
@pytest.mark.usefixtures("short_demos")
def test_json_dash_is_the_envelope_on_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "clipper", "--out", str(tmp_path), "--json", "-"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert list(data)[: len(ENVELOPE)] == ENVELOPE
    assert (data["tool"], data["command"]) == ("neutone-examples", "export")
    assert data["torch"] == torch.__version__.split("+")[0]
    (row,) = data["examples"]
    assert row["name"] == "clipper" and row["passed"] is True
    assert row["checks_passed"] == row["checks_total"] > 0
    assert row["delay_samples"] == 0 and row["realtime_factor"] > 0
    # The default --format all: the pt2 package is written beside the .nm, and proven by the
    # package checks in the clipper's report.
    assert row["package"] == "written", row
    assert (tmp_path / "clipper" / "model.pt2pkg" / "manifest.json").is_file()
    report = json.loads((tmp_path / "clipper" / "report.json").read_text())
    pt2_checks = [check for check in report["checks"] if check["name"].startswith("pt2_")]
    assert pt2_checks and all(check["passed"] for check in pt2_checks), pt2_checks


def test_unknown_name_exits_2_and_exports_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "clipper", "nope", "--out", str(tmp_path)])
    assert_one_line_error(result, "unknown example(s) nope")
    assert not (tmp_path / "clipper").exists()


def test_output_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    cases = [
        (["--out", str(a_file)], "--out: ", "is a file; give a folder"),
        (["--out", str(tmp_path / "no" / "such")], "--out: ", "does not exist"),
        (["--json", str(tmp_path / "no" / "r.json")], "--json: ", "does not exist"),
        (["--json", str(tmp_path)], "--json: ", "is a folder"),
    ]
    for args, *fragments in cases:
        out = [] if "--out" in args else ["--out", str(tmp_path / "exports")]
        assert_one_line_error(runner.invoke(app, ["export", "clipper", *out, *args]), *fragments)
    assert a_file.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_version_names_package_torch_and_python() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, show(result)
    assert result.stdout.startswith("neutone-examples ")
    assert (
        f"torch {torch.__version__.split('+')[0]}" in result.stdout and "python 3." in result.stdout
    )


class _WrongDelayClipper(clipper.ClipperModelWrapper):
    """A clipper that claims a delay it does not have: the suite's delay check must fail."""

    def get_model_name(self) -> str:
        return "clipper.wrong-delay"

    def calc_model_delay_samples(self) -> int:
        return 5


@pytest.mark.slow
@pytest.mark.usefixtures("short_demos")
def test_failed_check_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        registry.ALL_EXAMPLES, "wrong_delay", lambda: _WrongDelayClipper(clipper.ClipperModel())
    )
    out = tmp_path / "summary.json"
    exports = str(tmp_path / "exports")
    # The `.nm` alone: its delay check is the subject (test_json_dash proves --format all).
    args = ["export", "wrong_delay", "--out", exports, "--json", str(out), "--format", "nm"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, show(result)
    (row,) = json.loads(out.read_text())["examples"]
    assert row["passed"] is False and "delay" in row["failed_checks"]
    assert "1 example(s) failed: wrong_delay" in result.stderr


def test_help_does_not_load_torch() -> None:
    """`--help` answers without importing torch (which alone takes seconds). What is imported is
    checked, not how long it took: wall time depends on the machine's load."""
    code = (
        "import sys\n"
        "from neutone_examples.cli import app\n"
        "try:\n"
        "    app(['export', '--help'], prog_name='neutone_examples')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout, done.stdout
    assert done.stdout.split()[-1] == "False", "torch was imported for --help"


@pytest.mark.slow
@pytest.mark.usefixtures("short_demos")
def test_trace_exports_through_the_trace_fallback(tmp_path: Path) -> None:
    # A non-realtime example in the same call is scripted whole (tracing is for realtime ones).
    out = tmp_path / "summary.json"
    exports = tmp_path / "exports"
    args = ["export", "clipper", "clip_processor", "--trace", "--out", str(exports)]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, show(result)
    rows = json.loads(out.read_text())["examples"]
    assert [(row["name"], row["passed"]) for row in rows] == [
        ("clipper", True),
        ("clip_processor", True),
    ]
    report = json.loads((exports / "clipper" / "report.json").read_text())
    assert report["trace"]["module"] == "self.model", report.get("trace")
    assert "trace" not in json.loads((exports / "clip_processor" / "report.json").read_text())
