"""`hatch run test`: every check and test cell of the repository, two steps at a time.

The steps are lint and the type check followed by the tools tests (one step: both use the `dev`
environment), each package's test cell (hatch.toml's `test` matrix) and compat. Run alone, a cell
spreads its tests over two pytest-xdist workers; here two steps run side by side instead and each
cell and compat runs in one process (`-n 0`): both cores stay busy, and no cell starts a second
interpreter or builds its session fixtures twice (measured: 1,211 CPU-s and 614 s with two
workers per cell). Steps share nothing but the caches under
`.cache/`, which lock per entry (two steps asking for one export or one native build make it once).

Each step's output goes to `.cache/test-logs/<step>.log` and is printed whole when the step ends,
so two steps never interleave their lines, with its wall time and CPU time (its processes' user +
system: what the step costs the machine); a line every minute says what is still running. The
exit status is 1 when any step failed (every step runs regardless), 130 on Ctrl-C (the running
steps are stopped). ``TEST_CELLS="+package=core,export"`` (what `.ci/run PATH...` sets) narrows the
cells; lint, the tools tests and compat always run.

    python tools/run_tests.py [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, List, NoReturn, Sequence

import tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = REPO_ROOT / ".cache" / "test-logs"
# Measured longest first, so the long steps start at once and the short ones fill in at the end.
LONGEST_FIRST = ("examples", "export", "lint+tools", "compat", "filters", "core", "bench")
HEARTBEAT_S = 60.0
ONE_PROCESS = ("--", "-n", "0")  # pytest-xdist off: the steps beside each other use the cores


@dataclass
class Step:
    """Commands run one after another in one step; the step fails at the first that fails."""

    name: str
    commands: List[List[str]]
    started: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    returncode: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    remaining: List[List[str]] = field(default_factory=list, repr=False)
    log: IO[str] | None = field(default=None, repr=False)


def matrix_cells(hatch_toml: Path = REPO_ROOT / "hatch.toml") -> List[str]:
    """The packages of hatch.toml's `test` matrix, in its order."""
    config = tomllib.loads(hatch_toml.read_text(encoding="utf-8"))
    return [name for entry in config["envs"]["test"]["matrix"] for name in entry["package"]]


def selected_cells(cells: Sequence[str], test_cells: str) -> List[str]:
    """`cells` narrowed by a ``+package=a,b`` filter (empty: all). Unknown names: SystemExit."""
    if not test_cells.strip():
        return list(cells)
    if not test_cells.startswith("+package="):
        raise SystemExit(
            f"run_tests: TEST_CELLS must look like '+package=core,export', not {test_cells!r}"
        )
    wanted = [name for name in test_cells.removeprefix("+package=").split(",") if name]
    unknown = sorted(set(wanted) - set(cells))
    if unknown:
        raise SystemExit(f"run_tests: TEST_CELLS names no test cell {', '.join(unknown)}")
    return [name for name in cells if name in wanted]


def repository_steps(cells: Sequence[str]) -> List[Step]:
    """What `hatch run test` runs, longest first."""
    steps = [
        Step("lint+tools", [["hatch", "run", "lint:check"], ["hatch", "run", "dev:checks"]]),
        *(Step(name, [["hatch", "run", f"test.{name}:run", *ONE_PROCESS]]) for name in cells),
        Step("compat", [["hatch", "run", "compat:run", *ONE_PROCESS]]),
    ]
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    return sorted(steps, key=lambda step: rank.get(step.name, len(rank)))


def _start_next_command(step: Step) -> None:
    command = step.remaining.pop(0)
    assert step.log is not None
    step.log.write(f"$ {shlex.join(command)}\n")
    step.log.flush()
    # A session of its own: Ctrl-C reaches the runner, which stops the whole step's process group.
    step.process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=step.log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _start(step: Step, log_dir: Path, say: IO[str]) -> None:
    step.started = time.monotonic()
    step.remaining = list(step.commands)
    step.log = (log_dir / f"{step.name}.log").open("w", encoding="utf-8")
    say.write(f"run_tests: {step.name} started\n")
    say.flush()
    _start_next_command(step)


def _finish(step: Step, say: IO[str]) -> None:
    assert step.log is not None
    step.log.close()
    step.seconds = time.monotonic() - step.started
    say.write(f"\n{'=' * 30} {step.name} {'=' * 30}\n")
    say.write(Path(step.log.name).read_text(encoding="utf-8"))
    say.write(
        f"run_tests: {step.name} {_verdict(step)} in {step.seconds:.0f} s "
        f"({step.cpu_seconds:.0f} CPU-s)\n"
    )
    say.flush()


def _reap(step: Step) -> int | None:
    """The exit status of the step's command if it ended (else None), adding the CPU time it and
    the processes it waited for used (user + system) to the step's."""
    assert step.process is not None
    pid, status, usage = os.wait4(step.process.pid, os.WNOHANG)
    if pid == 0:
        return None
    step.process.returncode = os.waitstatus_to_exitcode(status)
    step.cpu_seconds += usage.ru_utime + usage.ru_stime
    return step.process.returncode


def _stop(running: Sequence[Step]) -> None:
    for step in running:
        if step.process is not None and step.process.poll() is None:
            os.killpg(step.process.pid, signal.SIGTERM)
    for step in running:
        if step.process is not None:
            step.process.wait()


def run_steps(steps: Sequence[Step], jobs: int, log_dir: Path, say: IO[str] = sys.stdout) -> int:
    """Run `steps` in order, at most `jobs` at once; 0 when every one passed, else 1."""
    log_dir.mkdir(parents=True, exist_ok=True)
    waiting = list(steps)
    running: List[Step] = []
    started = time.monotonic()
    last_heartbeat = started
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                step = waiting.pop(0)
                _start(step, log_dir, say)
                running.append(step)
            time.sleep(0.2)
            for step in list(running):
                code = _reap(step)
                if code is None:
                    continue
                if code == 0 and step.remaining:
                    _start_next_command(step)
                    continue
                step.returncode = code
                running.remove(step)
                _finish(step, say)
            if running and time.monotonic() - last_heartbeat >= HEARTBEAT_S:
                last_heartbeat = time.monotonic()
                busy = ", ".join(f"{s.name} {last_heartbeat - s.started:.0f} s" for s in running)
                say.write(f"run_tests: still running: {busy}\n")
                say.flush()
    except KeyboardInterrupt:
        _stop(running)
        say.write("run_tests: interrupted; the running steps were stopped\n")
        return 130
    _summary(steps, time.monotonic() - started, say)
    return 0 if all(step.returncode == 0 for step in steps) else 1


def _verdict(step: Step) -> str:
    return "passed" if step.returncode == 0 else f"FAILED (exit {step.returncode})"


def _summary(steps: Sequence[Step], wall: float, say: IO[str]) -> None:
    say.write("\nrun_tests: summary\n")
    for step in steps:
        say.write(
            f"  {step.name:<12} {_verdict(step):<18} {step.seconds:6.0f} s "
            f"{step.cpu_seconds:6.0f} CPU-s\n"
        )
    cpu = sum(step.cpu_seconds for step in steps)
    say.write(f"  {'all':<12} {'':<18} {wall:6.0f} s {cpu:6.0f} CPU-s (wall, and all cores)\n")
    say.flush()


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="steps at once (default 2)")
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1:
        parser.error("--jobs must be 1 or more")
    cells = selected_cells(matrix_cells(), os.environ.get("TEST_CELLS", ""))
    signal.signal(signal.SIGTERM, _interrupt)  # a cancelled CI job stops the steps too
    return run_steps(repository_steps(cells), arguments.jobs, LOG_DIR)


if __name__ == "__main__":
    sys.exit(main())
