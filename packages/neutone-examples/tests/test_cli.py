"""`neutone-examples export`: exit codes, the summary table and JSON, progress on stderr."""

import json
from pathlib import Path
from typing import List

import pytest
from typer.testing import CliRunner

from neutone_examples import clipper, registry
from neutone_examples.cli import app

runner = CliRunner()


def test_exports_two_examples_and_prints_one_row_each(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "clipper", "look_ahead", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    rows: List[str] = [line for line in result.stdout.splitlines() if "pass" in line]
    assert [row.split()[1] for row in rows] == ["clipper", "look_ahead"], result.stdout
    assert all("11/11" in row for row in rows), result.stdout
    assert "64" in rows[1].split()  # look-ahead of 2 * 32 samples at 48 kHz/128
    assert "exporting look_ahead" in result.stderr
    assert (tmp_path / "clipper" / "model.nm").is_file()
    assert (tmp_path / "look_ahead" / "report.json").is_file()


def test_json_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "clipper", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["name"] == "clipper" and row["passed"] is True
    assert row["checks_passed"] == row["checks_total"] > 0
    assert row["delay_samples"] == 0
    assert row["realtime_factor"] > 0


def test_unknown_name_exits_2_and_exports_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "clipper", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown example(s) nope" in result.stderr
    assert not (tmp_path / "clipper").exists()


class _WrongDelayClipper(clipper.ClipperModelWrapper):
    """A clipper that claims a delay it does not have: the suite's delay check must fail."""

    def get_model_name(self) -> str:
        return "clipper.wrong-delay"

    def calc_model_delay_samples(self) -> int:
        return 5


def test_failed_check_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        registry.EXAMPLES, "wrong_delay", lambda: _WrongDelayClipper(clipper.ClipperModel())
    )
    result = runner.invoke(app, ["export", "wrong_delay", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.stdout
    (row,) = json.loads(result.stdout)
    assert row["passed"] is False and "delay" in row["failed_checks"]
    assert "1 example(s) failed: wrong_delay" in result.stderr
