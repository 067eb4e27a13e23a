"""`neutone-export import-nam CAPTURE.nam OUT_DIR`: bad input and a missing `nam` in one line.

The full path (NAM's own exporter -> a `.nm` that passes `check`) is tested where `nam` is
installed, by the NAM tests; here `nam` is absent, as in the dev environment.
"""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neutone_export.cli import app

runner = CliRunner()
CAPTURE = {"version": "0.5.4", "architecture": "WaveNet", "config": {}, "weights": []}


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def one_line_error(result) -> str:
    assert result.exit_code == 2, show(result)
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def test_without_nam_the_command_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [module for module in sys.modules if module == "nam" or module.startswith("nam.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "nam", None)  # what `import nam` finds without the extra
    capture = tmp_path / "amp.nam"
    capture.write_text(json.dumps(CAPTURE))
    line = one_line_error(runner.invoke(app, ["import-nam", str(capture), str(tmp_path / "out")]))
    assert "`nam` package is not installed" in line and "pip install 'neutone-export[nam]'" in line
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_a_capture(tmp_path: Path) -> None:
    capture = tmp_path / "notes.nam"
    capture.write_text(json.dumps({"hello": "world"}))
    line = one_line_error(runner.invoke(app, ["import-nam", str(capture), str(tmp_path / "out")]))
    assert "is not a NAM capture" in line


def test_missing_capture_and_an_out_dir_that_is_a_file(tmp_path: Path) -> None:
    line = one_line_error(runner.invoke(app, ["import-nam", str(tmp_path / "no.nam"), "out"]))
    assert "CAPTURE.nam" in line and "is not a file" in line
    capture = tmp_path / "amp.nam"
    capture.write_text(json.dumps(CAPTURE))
    taken = tmp_path / "taken"
    taken.write_text("")
    line = one_line_error(runner.invoke(app, ["import-nam", str(capture), str(taken)]))
    assert "OUT_DIR" in line and "is a file" in line
