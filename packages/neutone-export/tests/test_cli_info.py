"""`neutone-export info` through CliRunner: the table, `--json`, and bad input in one line."""

import json
from pathlib import Path

from typer.testing import CliRunner

from neutone_export.cli import info as cli_info
from neutone_export.cli.contract import make_app

runner = CliRunner()
app = make_app("neutone-export", "test app")
cli_info.register(app)


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def test_info_table_shows_every_field(saved_gain) -> None:
    result = runner.invoke(app, ["info", str(saved_gain.root)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, show(result)
    for field in (
        "name", "version", "authors", "description", "channels", "knob p1", "native sample",
        "native buffer", "delay at 48000 Hz / 512", "file size", "made by", "created",
        "last validation",
    ):  # fmt: skip
        assert field in result.stdout, (field, show(result))
    assert "export.test" in result.stdout and "stereo-stereo" in result.stdout
    assert result.stderr == ""


def test_info_json(saved_gain, tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(saved_gain.path), "--json", "-"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["tool"] == "neutone-export" and data["command"] == "info"
    model = data["model"]
    assert model["name"] == "export.test" and model["knobs"][0]["name"] == "gain"
    assert model["validation"]["passed"] is True and len(model["delays"]) == 6
    target = tmp_path / "info.json"
    result = runner.invoke(app, ["info", str(saved_gain.path), "--json", str(target)])
    assert result.exit_code == 0 and "export.test" in result.stdout  # the table still shows
    assert json.loads(target.read_text())["model"]["path"] == str(saved_gain.path)


def test_info_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nm"
    bad.write_bytes(b"nope")
    result = runner.invoke(app, ["info", str(bad)])
    assert result.exit_code == 2 and result.stdout == "", show(result)
    assert (
        result.stderr.strip().startswith("Error: MODEL:") and len(result.stderr.splitlines()) == 1
    )
