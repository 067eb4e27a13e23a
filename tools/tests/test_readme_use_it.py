"""The README's "Use it" section works as written, without Hatch: its pip lines install the
packages from the clone into a fresh virtual environment, and its wrap, export, render and info
steps run there.

The fresh environment must not download torch (gigabytes): a `.pth` file makes the running
interpreter's site-packages importable after the environment's own, so pip finds torch and the
other dependencies installed and fetches nothing but the build backend. `.pth` lines add folders,
not the `.pth` files inside them, so the editable installs of the development environment stay
invisible: every neutone package must import from the fresh environment's own site-packages.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
PACKAGES = ("neutone_core", "neutone_filters", "neutone_export", "neutone_bench")


def block_after(marker: str, text: str) -> str:
    """The fenced code block right after `<!-- marker -->` in `text`."""
    match = re.search(rf"<!-- {marker} -->\s*```\w*\n(.*?)```", text, flags=re.DOTALL)
    if match is None:
        raise AssertionError(f"README.md has no code block after <!-- {marker} -->")
    return match.group(1)


def commands(block: str) -> List[List[str]]:
    """The shell commands of a block, one per line, comments dropped."""
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def wrapper_source(text: str) -> str:
    """The wrapper of "Wrapping your model", up to (not including) its own export."""
    section = text.split("## Wrapping your model", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert code is not None, "README.md: no Python block under 'Wrapping your model'"
    return code.group(1).split("report = save_neutone_model", 1)[0]


def run(argv: List[str], cwd: Path, env: dict) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{shlex.join(argv)} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def test_the_readme_use_it_section_installs_exports_and_renders(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_torch_from_the_test_environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    installs = commands(block_after("use-it-install", text))
    assert [argv[:4] for argv in installs] == [["python", "-m", "pip", "install"]] * 4
    for argv in installs:  # no conflict report: it would parse every package the .pth shows
        run([str(python), *argv[1:], "--quiet", "--no-warn-conflicts"], REPO_ROOT, env)

    names = ", ".join(PACKAGES)
    program = f"import {names}; print(' '.join(m.__file__ for m in ({names})))"
    where = run([str(python), "-c", program], tmp_path, env)
    for package, path in zip(PACKAGES, where.split(), strict=True):
        assert Path(path).is_relative_to(site), f"{package} imports from {path}, not the new venv"

    script = wrapper_source(text) + block_after("use-it-export", text)
    (tmp_path / "use_it.py").write_text(script, encoding="utf-8")
    printed = run([str(python), "use_it.py"], tmp_path, env)
    assert printed.strip().splitlines()[-1] == "True", printed
    export = tmp_path / "exports" / "my_clipper"
    assert (export / "model.nm").is_file() and (export / "report.json").is_file()

    shutil.copy(next((export / "samples").glob("*.in.wav")), tmp_path / "my_take.wav")
    render, info = commands(block_after("use-it-render", text))
    assert render[0] == info[0] == "neutone-export"
    run(render, tmp_path, env)
    assert (tmp_path / render[4]).stat().st_size > 1000
    assert "clipper" in run(info, tmp_path, env)


@pytest.mark.parametrize("marker", ["use-it-install", "use-it-export", "use-it-render"])
def test_each_use_it_block_is_found(marker: str) -> None:
    assert block_after(marker, README.read_text(encoding="utf-8")).strip()
