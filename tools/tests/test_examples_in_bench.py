"""Across packages: every example model, found by name, measures the delay it reports.

neutone-bench cannot depend on neutone-examples (nothing imports examples), so its own test cell
has no example models; this check runs in the dev environment, where every package is installed
and bench finds the examples through the `neutone.models` entry points.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neutone_bench.cli import app

EXAMPLES = sorted(entry.name for entry in entry_points(group="neutone.models"))
# An LSTM with random weights answers a noise burst with output uncorrelated to it, so no
# cross-correlation can find its delay; its sample alignment is proven against Neural Amp Modeler's
# own offline output in neutone-examples' test_nam.py instead.
UNMEASURABLE = {"nam_lstm"}
SETTINGS = ["-r", "44100", "-r", "48000", "-b", "128", "-b", "2048"]


def test_the_examples_are_installed_as_entry_points() -> None:
    assert len(EXAMPLES) >= 10, EXAMPLES


@pytest.mark.parametrize("name", [name for name in EXAMPLES if name not in UNMEASURABLE])
def test_measured_delay_equals_reported_delay(name: str, tmp_path: Path) -> None:
    """`neutone-bench latency NAME --measure`, run in this process (the console script itself is
    tested in test_cli_contract_apps.py): torch is imported once, not once per example."""
    report = tmp_path / "latency.json"
    args = ["latency", name, *SETTINGS, "--measure", "--json", str(report)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, (result.output[-2000:], result.exception)
    rows = json.loads(report.read_text())["rows"]
    assert len(rows) == 4
    for row in rows:
        assert row["measured"] == row["total"], f"{name}: {row}"
