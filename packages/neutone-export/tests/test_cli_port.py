"""`neutone-export port FILE.py [--write]`: the diff on stdout, the file rewritten atomically."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from neutone_export.cli import app

runner = CliRunner()
SCRIPT = (
    "# a model written for the Neutone SDK\n"
    "import torch\n"
    "from neutone_sdk import WaveformToWaveformBase\n"
    "from neutone_sdk.utils import save_neutone_model\n"
)


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_the_diff_goes_to_stdout_and_the_file_stays(tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    result = runner.invoke(app, ["port", str(script)])
    assert result.exit_code == 0, show(result)
    assert "-from neutone_sdk.utils import save_neutone_model" in result.stdout
    assert "+from neutone_export import save_neutone_model" in result.stdout
    assert "+from neutone_core import WaveformToWaveformBase" in result.stdout
    assert result.stdout.startswith("--- a/model.py\n+++ b/model.py\n")
    assert script.read_text() == SCRIPT


def test_write_rewrites_the_imports_only_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    result = runner.invoke(app, ["port", str(script), "--write"])
    assert result.exit_code == 0, show(result)
    assert "+from neutone_export import save_neutone_model" in result.stdout
    assert "rewritten" in result.stderr
    ported = script.read_text()
    assert ported.splitlines()[:2] == SCRIPT.splitlines()[:2]  # the rest byte-identical
    assert "neutone_sdk" not in ported
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]  # no temporary left
    again = runner.invoke(app, ["port", str(script), "--write"])
    assert again.exit_code == 0, show(again)
    assert again.stdout == "" and "nothing to change" in again.stderr
    assert script.read_text() == ported


@pytest.mark.parametrize(
    "name, text, fragment",
    [
        ("broken.py", "def (:\n", "not valid Python"),
        ("model.txt", SCRIPT, "not a Python script"),
        ("missing.py", None, "does not exist"),
    ],
)
def test_a_file_that_is_not_python_is_one_line_exit_2(
    tmp_path: Path, name: str, text: str | None, fragment: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    result = runner.invoke(app, ["port", str(path), "--write"])
    assert result.exit_code == 2, show(result)
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and fragment in line and name in line
    if text is not None:
        assert path.read_text() == text
