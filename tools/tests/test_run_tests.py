"""`tools/run_tests.py`, what `hatch run test` runs: every step, at most `--jobs` at once, each
step's output printed whole, a failure anywhere the run's failure.

The steps here are small shell commands; the real ones are hatch.toml's cells.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, List

import pytest
import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_tests(load_tool: Callable[[str], ModuleType]) -> ModuleType:
    return load_tool("run_tests")


def shell(script: str) -> List[str]:
    return ["/bin/sh", "-c", script]


def wait_for(path: Path, seconds: int = 20) -> str:
    """A shell line that waits up to `seconds` for `path`, exiting 7 if it never comes."""
    ticks = seconds * 10
    return (
        f"i=0; while [ ! -e {path} ]; do i=$((i+1)); [ $i -gt {ticks} ] && exit 7; sleep 0.1; done"
    )


def rendezvous(run_tests: ModuleType, tmp_path: Path) -> list:
    """Two steps that each finish only once the other has started."""
    a, b = tmp_path / "a-started", tmp_path / "b-started"
    return [
        run_tests.Step("a", [shell(f"touch {a}; {wait_for(b)}; echo a done")]),
        run_tests.Step("b", [shell(f"touch {b}; {wait_for(a)}; echo b done")]),
    ]


def test_two_jobs_run_two_steps_at_once(run_tests: ModuleType, tmp_path: Path) -> None:
    out = io.StringIO()
    steps = rendezvous(run_tests, tmp_path)
    assert run_tests.run_steps(steps, 2, tmp_path / "logs", out) == 0, out.getvalue()
    assert [step.returncode for step in steps] == [0, 0]


def test_one_job_runs_one_step_at_a_time(run_tests: ModuleType, tmp_path: Path) -> None:
    # The first step waits for the second, which cannot start before it ends: it times out.
    out = io.StringIO()
    steps = rendezvous(run_tests, tmp_path)
    steps[0].commands = [
        shell(f"touch {tmp_path / 'a-started'}; {wait_for(tmp_path / 'never', 2)}")
    ]
    assert run_tests.run_steps(steps, 1, tmp_path / "logs", out) == 1
    assert [step.returncode for step in steps] == [7, 0]


def test_each_steps_output_is_printed_whole_and_a_failure_fails_the_run(
    run_tests: ModuleType, tmp_path: Path
) -> None:
    lines = "; ".join(f"echo {{name}} line {i}; sleep 0.05" for i in range(5))
    steps = [
        run_tests.Step(
            "first", [shell(lines.format(name="first")), shell("echo failing >&2; exit 3")]
        ),
        run_tests.Step("second", [shell(lines.format(name="second"))]),
        run_tests.Step("never", [shell("exit 4"), shell("echo not reached")]),
    ]
    out = io.StringIO()
    assert run_tests.run_steps(steps, 2, tmp_path / "logs", out) == 1
    text = out.getvalue()
    for name in ("first", "second"):
        block = "\n".join(f"{name} line {i}" for i in range(5))
        assert block in text, text  # never interleaved with the other step's lines
    assert "\nfailing\n" in text and "not reached" not in text
    assert "run_tests: first FAILED (exit 3)" in text
    assert "run_tests: second passed" in text
    assert "run_tests: never FAILED (exit 4)" in text
    assert [step.returncode for step in steps] == [3, 0, 4]
    log = (tmp_path / "logs" / "second.log").read_text().splitlines()
    assert [line for line in log if not line.startswith("$ ")] == [
        f"second line {i}" for i in range(5)
    ]


def test_the_cells_are_hatch_tomls_matrix_narrowed_by_test_cells(run_tests: ModuleType) -> None:
    hatch = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))
    cells = hatch["envs"]["test"]["matrix"][0]["package"]
    assert run_tests.matrix_cells() == cells
    assert run_tests.selected_cells(cells, "") == cells
    assert run_tests.selected_cells(cells, "+package=examples,core") == ["core", "examples"]
    with pytest.raises(SystemExit, match="TEST_CELLS names no test cell nope"):
        run_tests.selected_cells(cells, "+package=core,nope")
    with pytest.raises(SystemExit, match="must look like"):
        run_tests.selected_cells(cells, "core")


def test_every_cell_lint_tools_and_compat_are_steps_longest_first(run_tests: ModuleType) -> None:
    cells = run_tests.matrix_cells()
    steps = run_tests.repository_steps(cells)
    names = [step.name for step in steps]
    assert sorted(names) == sorted([*cells, "lint+tools", "compat"])
    assert names[:2] == ["examples", "export"]
    commands = {step.name: step.commands for step in steps}
    assert commands["lint+tools"] == [
        ["hatch", "run", "lint:check"],
        ["hatch", "run", "dev:checks"],
    ]
    assert commands["core"] == [["hatch", "run", "test.core:run", "--", "-n", "0"]]
    assert commands["compat"] == [["hatch", "run", "compat:run", "--", "-n", "0"]]
    # Narrowed cells still run lint, the tools tests and compat.
    assert [s.name for s in run_tests.repository_steps(["core"])] == [
        "lint+tools",
        "compat",
        "core",
    ]


def test_hatch_run_test_is_this_runner() -> None:
    hatch = tomllib.loads((REPO_ROOT / "hatch.toml").read_text(encoding="utf-8"))
    assert hatch["envs"]["default"]["scripts"]["test"] == "python tools/run_tests.py"


def test_the_runner_runs_as_a_script_and_rejects_zero_jobs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "run_tests.py"), "--jobs", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "--jobs must be 1 or more" in done.stderr


def test_each_step_reports_the_cpu_time_of_its_processes(
    run_tests: ModuleType, tmp_path: Path
) -> None:
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass"
    steps = [
        # The CPU is used by a grandchild the shell waits for: counted too.
        run_tests.Step("busy", [shell(f"{sys.executable} -c '{busy}'")]),
        run_tests.Step("idle", [shell("sleep 0.5")]),
    ]
    out = io.StringIO()
    assert run_tests.run_steps(steps, 2, tmp_path / "logs", out) == 0
    assert steps[0].cpu_seconds >= 0.5 and steps[1].cpu_seconds < 0.25
    assert "CPU-s" in out.getvalue().split("run_tests: summary")[1]
