"""Reinstall the packages a test cell copied from this tree, so that its tests run today's code.

A test cell installs its sibling packages from their folders as wheels (not editable), which is
how a user gets them. Hatch treats such an install as up to date whatever the folder holds now,
so an environment kept from an earlier run (CI machines keep theirs; so does every developer's)
would go on testing the siblings as they were when it was made. `hatch run test:run` calls this
first. Editable installs are left alone: they already read the tree. A copy installed after the
last change to its folder's `src/` and `pyproject.toml` (as make compares times: the install's
`direct_url.json` against every file and folder there, so a deleted file counts too) is current
and kept: a fresh environment is not built twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

REPO_ROOT = Path(__file__).resolve().parent.parent


def copied_from_tree(distributions: list[metadata.Distribution], root: Path) -> dict[str, Path]:
    """The distributions installed as copies of folders under `root`: name -> folder."""
    copies = {}
    for distribution in distributions:
        text = distribution.read_text("direct_url.json")
        if not text:
            continue
        origin = json.loads(text)
        dir_info = origin.get("dir_info")
        if dir_info is None or dir_info.get("editable", False):
            continue
        url = urlparse(origin["url"])
        if url.scheme != "file":
            continue
        folder = Path(url2pathname(url.path)).resolve()
        if folder.is_relative_to(root.resolve()):
            copies[distribution.metadata["Name"]] = folder
    return dict(sorted(copies.items()))


def last_change(folder: Path) -> float:
    """The newest modification time among what a wheel of `folder` is built from."""
    paths = [folder / "pyproject.toml", folder / "src", *(folder / "src").rglob("*")]
    return max(path.stat().st_mtime for path in paths if path.exists())


def installed_at(distribution: metadata.Distribution) -> float:
    """When `distribution` was installed: the time its installer wrote `direct_url.json`."""
    if not isinstance(distribution, metadata.PathDistribution):
        return 0.0
    return (Path(str(distribution._path)) / "direct_url.json").stat().st_mtime


def stale_copies(distributions: list[metadata.Distribution], root: Path) -> dict[str, Path]:
    """The copies of tree folders (`copied_from_tree`) whose folder changed after their install."""
    copies = copied_from_tree(distributions, root)
    stale = {}
    for distribution in distributions:
        name = distribution.metadata["Name"]
        if name in copies and last_change(copies[name]) >= installed_at(distribution):
            stale[name] = copies[name]
    return dict(sorted(stale.items()))


def main() -> int:
    copies = stale_copies(list(metadata.distributions()), REPO_ROOT)
    if not copies:
        return 0
    uv = os.environ.get("HATCH_UV") or shutil.which("uv")
    if uv is None:
        print(
            "refresh: uv not found (hatch sets HATCH_UV inside its environments)", file=sys.stderr
        )
        return 1
    print(f"refresh: reinstalling {', '.join(copies)} from the tree", file=sys.stderr)
    # Dependencies stay as they are unless a sibling now declares one the cell lacks.
    command = [uv, "pip", "install", "--quiet", "--python", sys.executable]
    for name in copies:
        command += ["--reinstall-package", name]
    command += [str(folder) for folder in copies.values()]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
