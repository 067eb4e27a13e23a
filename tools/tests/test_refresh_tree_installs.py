"""A test cell kept from an earlier run tests the siblings as the tree holds them now."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest
import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]


def fake_distribution(site: Path, name: str, origin: dict | None) -> metadata.Distribution:
    """A dist-info folder holding only what the refresh reads."""
    info = site / f"{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    if origin is not None:
        (info / "direct_url.json").write_text(json.dumps(origin))
    return metadata.PathDistribution(info)


def test_only_copies_of_tree_folders_are_refreshed(
    load_tool: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    refresh = load_tool("refresh_tree_installs")
    tree = tmp_path / "tree"
    copied = tree / "packages" / "neutone-core"
    editable = tree / "packages" / "neutone-export"
    elsewhere = tmp_path / "elsewhere" / "package"
    site = tmp_path / "site"
    distributions = [
        fake_distribution(site, "neutone_core", {"url": copied.as_uri(), "dir_info": {}}),
        fake_distribution(
            site, "neutone_export", {"url": editable.as_uri(), "dir_info": {"editable": True}}
        ),
        fake_distribution(site, "elsewhere", {"url": elsewhere.as_uri(), "dir_info": {}}),
        fake_distribution(
            site,
            "from_git",
            {"url": "https://example.org/x.git", "vcs_info": {"vcs": "git", "commit_id": "0"}},
        ),
        fake_distribution(site, "from_an_index", None),
    ]
    assert refresh.copied_from_tree(distributions, tree) == {"neutone_core": copied.resolve()}


def test_every_test_cell_refreshes_before_it_tests() -> None:
    config = tomllib.loads((REPO_ROOT / "hatch.toml").read_text())
    run = config["envs"]["test"]["scripts"]["run"]
    assert run[0] == "python tools/refresh_tree_installs.py"
    assert run[-1].startswith("pytest ")


def write_package(folder: Path, body: str) -> Path:
    """A one-module package built by hatchling, as the siblings are."""
    (folder / "src" / "tiny").mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "tiny"\nversion = "0.1.0"\n'
    )
    module = folder / "src" / "tiny" / "__init__.py"
    module.write_text(body)
    return module


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is a dev dependency")
def test_a_stale_copy_is_replaced_by_the_tree(tmp_path: Path) -> None:
    """Install a package copy, change the tree, refresh: the environment holds the change."""
    tree = tmp_path / "tree"
    source = write_package(tree / "packages" / "tiny", "VERSION = 1\n")
    (tree / "tools").mkdir()
    shutil.copy(REPO_ROOT / "tools" / "refresh_tree_installs.py", tree / "tools")
    venv = tmp_path / "venv"
    uv = shutil.which("uv")
    assert uv is not None  # the skipif above
    subprocess.run([uv, "venv", "--quiet", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", str(python)]
    subprocess.run([*install, str(source.parents[2])], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    installed = Path(site) / "tiny" / "__init__.py"

    source.write_text("VERSION = 2\n")
    assert installed.read_text() == "VERSION = 1\n"  # the copy made before the change
    refreshed = subprocess.run(
        [str(python), str(tree / "tools" / "refresh_tree_installs.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "HATCH_UV": uv},
        check=False,
    )
    assert refreshed.returncode == 0, refreshed.stderr
    assert "reinstalling tiny from the tree" in refreshed.stderr
    assert installed.read_text() == "VERSION = 2\n"


def test_a_copy_installed_after_its_folders_last_change_is_kept(
    load_tool: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """A fresh environment is not reinstalled; an edit, a new file or a deletion after the install
    makes the copy stale (what make would do, comparing times)."""
    refresh = load_tool("refresh_tree_installs")
    tree = tmp_path / "tree"
    folder = tree / "packages" / "neutone-core"
    module = write_package(folder, "VERSION = 1\n")
    spare = module.with_name("spare.py")
    spare.write_text("")
    for path in [folder / "pyproject.toml", module, spare, module.parent, module.parent.parent]:
        os.utime(path, (1000.0, 1000.0))
    site = tmp_path / "site"
    core = fake_distribution(site, "neutone_core", {"url": folder.as_uri(), "dir_info": {}})
    installed = site / "neutone_core-0.1.0.dist-info" / "direct_url.json"

    def stale() -> list[str]:
        return list(refresh.stale_copies([core], tree))

    os.utime(installed, (2000.0, 2000.0))
    assert stale() == []
    os.utime(module, (3000.0, 3000.0))  # edited after the install
    assert stale() == ["neutone_core"]
    os.utime(installed, (4000.0, 4000.0))  # reinstalled
    assert stale() == []
    spare.unlink()  # a deletion changes only its folder's time
    os.utime(module.parent, (5000.0, 5000.0))
    assert stale() == ["neutone_core"]
    os.utime(installed, (6000.0, 6000.0))
    (folder / "pyproject.toml").write_text((folder / "pyproject.toml").read_text() + "\n")
    assert stale() == ["neutone_core"]  # written now, long after 6000
