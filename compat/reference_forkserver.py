"""A warm interpreter of the reference Neutone SDK 1.5.2: each script runs in a fresh fork of it.

    python compat/reference_forkserver.py   # then one JSON request a line on stdin

The compat tests run many short scripts of the reference (its judge of our files, its exporter,
its benchmark command line), each in a process of its own because the reference keeps state
between loads in one process (docs/compatibility.md). A new interpreter pays the import of torch
and neutone_sdk (seconds) every time; this one imports them once and then forks a child per
request, so each script starts from the same clean, just-imported state and nothing one script
does reaches another. The parent runs no torch op before forking (one intra-op thread, no thread
pool started), so a child never inherits a half-made thread pool.

A request is ``{"argv": [SCRIPT, ARG...]}`` (or ``["-m", MODULE, ARG...]``) and the answer one
line ``{"returncode": N, "stdout": "...", "stderr": "..."}``, as `subprocess.run` of
``python ARGV`` would give (a negative code: killed by that signal). A child that runs past
``TIMEOUT_S`` is killed by SIGALRM.
"""

import json
import os
import runpy
import signal
import sys
import tempfile
import traceback
from typing import Any, Callable, Dict, List

# Imported once here, for every child: the reference's schema, loader and exporter.
import neutone_sdk.metadata
import neutone_sdk.utils  # noqa: F401
import torch

TIMEOUT_S = 600


def _run_in_child(argv: List[str], stdout_path: str, stderr_path: str) -> int:
    """Run `argv` as `python ARGV` would, with fds 0-2 on /dev/null and the two files: its code."""
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, stdout_path, os.O_WRONLY),
        (2, stderr_path, os.O_WRONLY),
    ):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    signal.alarm(TIMEOUT_S)
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(argv)
            sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python SCRIPT` sets it
            runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as done:  # as the interpreter exits: None is 0, a message is 1
        code = 0 if done.code is None else done.code if isinstance(done.code, int) else 1
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001  (the script's own failure, reported as python would)
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def fork_and_wait(child: Callable[[], int]) -> int:
    """Run `child` in a forked process and wait: its return code as a process exit code (1 if it
    raised; negative: killed by that signal). Nothing the child does reaches this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = child()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def run(argv: List[str]) -> Dict[str, Any]:
    """Fork, run `argv` in the child, wait: its return code and what it printed."""
    with tempfile.TemporaryDirectory(prefix="reference-forkserver-") as folder:
        stdout_path, stderr_path = os.path.join(folder, "out"), os.path.join(folder, "err")
        for path in (stdout_path, stderr_path):
            open(path, "wb").close()
        returncode = fork_and_wait(lambda: _run_in_child(argv, stdout_path, stderr_path))
        with open(stdout_path, encoding="utf-8", errors="replace") as out:
            stdout = out.read()
        with open(stderr_path, encoding="utf-8", errors="replace") as err:
            stderr = err.read()
    return {"returncode": returncode, "stdout": stdout, "stderr": stderr}


def main() -> None:
    """Answer each request line on stdin with one JSON line on stdout, until stdin closes."""
    torch.set_num_threads(1)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line)["argv"])), flush=True)


if __name__ == "__main__":
    main()
