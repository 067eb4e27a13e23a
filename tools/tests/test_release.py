"""The release task bumps one package, dates its changelog and builds it alone; the tag it prints
passes the check that `.github/workflows/release.yml` runs before building from that tag."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RELEASE = REPO_ROOT / "tools" / "release.py"

pytestmark = pytest.mark.skipif(shutil.which("hatch") is None, reason="needs `hatch` on PATH")


def test_release_bumps_dates_and_builds_one_package(
    load_tool: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    packages = tmp_path / "packages"
    shutil.copytree(REPO_ROOT / "packages" / "neutone-core", packages / "neutone-core")
    about = packages / "neutone-core" / "src" / "neutone_core" / "__about__.py"
    major, minor, patch = (int(part) for part in about.read_text().split('"')[1].split("."))
    version = f"{major}.{minor}.{patch + 1}"
    out = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            str(RELEASE),
            "core",
            "patch",
            "--packages-dir",
            str(packages),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f'__version__ = "{version}"' in about.read_text()
    assert f"tag: neutone-core-v{version}" in result.stdout
    changelog = (packages / "neutone-core" / "CHANGELOG.md").read_text()
    assert f"## {version} - {datetime.date.today().isoformat()}" in changelog
    assert "## Unreleased" not in changelog
    assert load_tool("check_changelogs").changelog_problems(packages / "neutone-core") == []
    tag_check = load_tool("check_release_tag")
    release = tag_check.check_tag(f"neutone-core-v{version}", packages)
    assert tag_check.check_artifacts(release, out) == sorted(out.iterdir())
    built = sorted(path.name for path in out.iterdir())
    assert built == [f"neutone_core-{version}-py3-none-any.whl", f"neutone_core-{version}.tar.gz"]
    with zipfile.ZipFile(out / built[0]) as wheel:
        top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert top_level == {"neutone_core", f"neutone_core-{version}.dist-info"}


def test_release_refuses_an_empty_unreleased_section(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    shutil.copytree(REPO_ROOT / "packages" / "neutone-bench", packages / "neutone-bench")
    (packages / "neutone-bench" / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n")
    result = subprocess.run(
        [sys.executable, str(RELEASE), "bench", "minor", "--packages-dir", str(packages)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "lists no change" in result.stderr
