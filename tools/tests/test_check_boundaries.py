"""The boundary check passes on the tree and fails on a planted wrong-way import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK = REPO_ROOT / "tools" / "check_boundaries.py"
PACKAGES = ["core", "filters", "export", "bench", "examples"]


def run_check(python_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the boundary check, optionally with package copies first on the import path."""
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, str(CHECK)], capture_output=True, text=True, env=env, check=False
    )


@pytest.fixture
def planted_tree(tmp_path: Path) -> Path:
    """Copies of every package's source, to plant imports in without touching the tree."""
    for name in PACKAGES:
        source = REPO_ROOT / "packages" / f"neutone-{name}" / "src" / f"neutone_{name}"
        shutil.copytree(source, tmp_path / f"neutone_{name}")
    return tmp_path


def test_tree_keeps_every_contract() -> None:
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("package", "planted_import", "broken_contract"),
    [
        ("core", "import neutone_bench", "Packages import only the packages below them BROKEN"),
        ("export", "import neutone_filters", "Packages import only the packages below them BROKEN"),
        ("bench", "import neutone_examples", "Packages import only the packages below them BROKEN"),
        ("core", "import numpy", "neutone_core needs torch alone BROKEN"),
    ],
)
def test_planted_wrong_way_import_fails(
    planted_tree: Path, package: str, planted_import: str, broken_contract: str
) -> None:
    (planted_tree / f"neutone_{package}" / "planted.py").write_text(planted_import + "\n")
    result = run_check(planted_tree)
    assert result.returncode != 0, result.stdout
    assert broken_contract in result.stdout
    assert f"neutone_{package}.planted" in result.stdout
