"""Reinstall the packages a test cell copied from this tree, so that its tests run today's code.

A test cell installs its sibling packages from their folders as wheels (not editable), which is
how a user gets them. Hatch treats such an install as up to date whatever the folder holds now,
so an environment kept from an earlier run (CI machines keep theirs; so does every developer's)
would go on testing the siblings as they were when it was made. `hatch run test:run` calls this
first. Editable installs are left alone: they already read the tree.
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


def main() -> int:
    copies = copied_from_tree(list(metadata.distributions()), REPO_ROOT)
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
