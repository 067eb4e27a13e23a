"""A command given a path that is not a file answers in one line before loading torch: a typo
costs no seconds of imports."""

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

PROBE = """
import atexit, sys
atexit.register(lambda: print("torch loaded:", "torch" in sys.modules, file=sys.stderr))
from neutone_export.cli import app
sys.argv = ["neutone-export", *sys.argv[1:]]
app()
"""


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["check", "{missing}"], "Error: MODEL_PATH: {missing}: no such file"),
        (["info", "{missing}"], "Error: MODEL: {missing}: no such file"),
        (["info", "{folder}"], "Error: MODEL: {folder}: not a file"),
        (["render", "{missing}", "{missing}"], "Error: MODEL: {missing}: no such file"),
        (["render", "{model}", "{missing}"], "Error: IN: {missing}: no such file"),
    ],
)
def test_a_path_that_is_not_a_file_is_one_line_before_torch_loads(
    tmp_path: Path, arguments: List[str], line: str
) -> None:
    model = tmp_path / "model.nm"
    model.write_bytes(b"not read: the input is refused first")
    folder = tmp_path / "a-folder"  # without a model.nm, which info would read instead
    folder.mkdir()
    paths = {"missing": tmp_path / "no-such.nm", "folder": folder, "model": model}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *(a.format(**paths) for a in arguments)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [line.format(**paths), "torch loaded: False"]
