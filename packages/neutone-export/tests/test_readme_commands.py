"""The README's list of commands and options is the app's: neither can drift from the other, and
every command has its line in the README's command-line examples."""

import re
from pathlib import Path
from typing import Dict, Set

import typer

from neutone_export.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Commands and options"
#: `- `render`: `--sample-rate`, `-r`, ...`: a command (or `neutone-export` for the global
#: options) then every option name it takes, each in backticks.
ENTRY = re.compile(r"^- `([\w-]+)`: (.*)$")


def readme_entries(text: str) -> Dict[str, Set[str]]:
    """Command -> option names, from the README's "Commands and options" section."""
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    body = re.sub(r"\n  +", " ", body)  # an entry's continuation lines join it
    entries = {}
    for line in body.splitlines():
        match = ENTRY.match(line)
        if match:
            entries[match.group(1)] = set(re.findall(r"`(-[-\w]+)`", match.group(2)))
    return entries


def app_entries() -> Dict[str, Set[str]]:
    """Command -> option names, enumerated from the typer app (``--help`` left out)."""
    group = typer.main.get_command(app)

    def names(command) -> Set[str]:
        return {
            name
            for param in command.params
            if param.param_type_name == "option"
            for name in [*param.opts, *param.secondary_opts]
        }

    entries = {"neutone-export": names(group)}
    for name, command in group.commands.items():
        entries[name] = names(command)
    return entries


def test_the_readme_lists_every_command_and_option_of_the_app() -> None:
    assert readme_entries(README.read_text(encoding="utf-8")) == app_entries()


def test_every_command_has_an_example_line() -> None:
    text = README.read_text(encoding="utf-8")
    examples = text.split("## Command line", 1)[1].split("```", 2)[1]
    for command in app_entries():
        if command != "neutone-export":
            assert f"neutone-export {command} " in examples, command


def test_the_comparison_fails_on_a_planted_drift() -> None:
    text = README.read_text(encoding="utf-8")
    dropped = re.sub(r"^- `render`:.*\n(  .*\n)*", "", text, flags=re.MULTILINE)
    assert "render" not in readme_entries(dropped)
    assert readme_entries(dropped) != app_entries()
    renamed = text.replace("`--compensate`", "`--compensated`")
    assert readme_entries(renamed) != app_entries()
