"""The three command lines keep one contract (`neutone_export.cli_contract`), command by command.

Each package tests its own commands in depth; this runs the installed console scripts as a user
does and checks what every command shares: `--version`, `--help`, and a bad option or a missing
file answered by one `Error:` line on stderr with exit status 2, nothing on stdout.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from neutone_bench.cli import app as bench_app
from neutone_examples.cli import app as examples_app
from neutone_export.cli import app as export_app

APPS = {"neutone-export": export_app, "neutone-bench": bench_app, "neutone-examples": examples_app}


def _command_names(app: typer.Typer) -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup), "each CLI is a group of subcommands"
    return sorted(group.commands)


COMMANDS = [(script, name) for script, app in APPS.items() for name in _command_names(app)]
# Commands whose first argument is a model file, and a file that is missing.
MODEL_COMMANDS = {
    ("neutone-export", "check"),
    ("neutone-export", "info"),
    ("neutone-export", "render"),
    ("neutone-bench", "speed"),
    ("neutone-bench", "latency"),
    ("neutone-bench", "profile"),
    ("neutone-bench", "response"),
}
VERSION = re.compile(r"^(neutone-\w+) \d+\.\d+\.\d+\S* \(torch \S+, python \d+\.\d+\.\d+\)$")


def run(script: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name(script)
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def test_every_app_has_commands() -> None:
    assert {script for script, _ in COMMANDS} == set(APPS)
    assert ("neutone-export", "check") in COMMANDS and ("neutone-bench", "speed") in COMMANDS


@pytest.mark.parametrize("script", sorted(APPS))
def test_version_names_the_package_torch_and_python(script: str) -> None:
    result = run(script, "--version")
    assert result.returncode == 0, result.stderr
    match = VERSION.match(result.stdout.strip())
    assert match and match.group(1) == script, result.stdout


@pytest.mark.parametrize(("script", "command"), COMMANDS)
def test_a_bad_option_is_one_error_line_and_exit_2(script: str, command: str) -> None:
    result = run(script, command, "--no-such-option")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: No such option: --no-such-option")


@pytest.mark.parametrize(("script", "command"), COMMANDS)
def test_help_describes_the_command(script: str, command: str) -> None:
    result = run(script, command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and result.stderr == ""


@pytest.mark.parametrize(("script", "command"), sorted(MODEL_COMMANDS))
def test_a_missing_model_file_is_one_error_line_and_exit_2(
    script: str, command: str, tmp_path: Path
) -> None:
    missing = [tmp_path / "missing.nm"]
    if command == "render":
        missing.append(tmp_path / "in.wav")  # its input is missing too: either may be named
    result = run(script, command, *map(str, missing), cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert any(f"{path}: no such file" in lines[0] for path in missing), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written
