"""Print the per-package CI matrix (JSON), derived from each package's pyproject.toml.

Without arguments every package is listed. With `--changed PATH...` only the packages a change
touches are listed, together with every package that depends on them (directly or not); a
change outside `packages/` (Hatch config, tools, CI) selects every package. Each package appears
once per Python it is tested on: the floor of its `requires-python` and `NEWEST_PYTHON`.
`.github/workflows/ci.yml` feeds this output to its test and wheel jobs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES_DIR = REPO_ROOT / "packages"
# The newest CPython that hatch.toml's tested torch (2.14.1) and torchaudio (2.11.0) publish
# wheels for; raise it together with them.
NEWEST_PYTHON = "3.14"
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PYTHON_FLOOR = re.compile(r">=\s*(3\.\d+)")


@dataclass(frozen=True)
class Package:
    """One distribution of the monorepo, as its pyproject.toml declares it."""

    name: str
    path: str
    siblings: tuple[str, ...]
    python_floor: str


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python_floor(folder: Path, project: dict) -> str:
    """The lowest Python `requires-python` admits, e.g. `3.10` for `>=3.10`."""
    match = _PYTHON_FLOOR.search(project.get("requires-python", ""))
    if match is None:
        raise SystemExit(
            f"ci_matrix: {folder}/pyproject.toml has no 'requires-python = \">=3.X\"'; add one"
        )
    return match.group(1)


def read_packages(packages_dir: Path = PACKAGES_DIR) -> dict[str, Package]:
    """Every package under `packages_dir`, keyed by folder name; unknown folders are an error."""
    folders = sorted(p for p in packages_dir.iterdir() if p.is_dir())
    projects: dict[str, dict] = {}
    for path in folders:
        pyproject = path / "pyproject.toml"
        if not pyproject.is_file():
            raise SystemExit(
                f"ci_matrix: {path} is not a package (no pyproject.toml); add one or move it"
            )
        projects[path.name] = tomllib.loads(pyproject.read_text())["project"]
    names = {_normalise(project["name"]): folder for folder, project in projects.items()}
    packages = {}
    for folder, project in projects.items():
        requirements = project.get("dependencies", [])
        siblings = []
        for requirement in requirements:
            match = _REQUIREMENT_NAME.match(requirement)
            if match and _normalise(match.group(1)) in names:
                siblings.append(names[_normalise(match.group(1))])
        packages[folder] = Package(
            name=project["name"],
            path=f"packages/{folder}",
            siblings=tuple(sorted(siblings)),
            python_floor=_python_floor(packages_dir / folder, project),
        )
    return packages


def dependents_closure(packages: dict[str, Package], selected: set[str]) -> set[str]:
    """`selected` plus every package that depends on one of them, directly or transitively."""
    closure = set(selected)
    changed = True
    while changed:
        changed = False
        for folder, package in packages.items():
            if folder not in closure and closure.intersection(package.siblings):
                closure.add(folder)
                changed = True
    return closure


def siblings_closure(packages: dict[str, Package], folder: str) -> set[str]:
    """Every sibling `folder` needs installed: the ones it declares and theirs, transitively."""
    needed: set[str] = set()
    pending = list(packages[folder].siblings)
    while pending:
        sibling = pending.pop()
        if sibling not in needed:
            needed.add(sibling)
            pending.extend(packages[sibling].siblings)
    return needed


def affected_packages(packages: dict[str, Package], changed_paths: list[str]) -> set[str]:
    """The packages whose tests a change to `changed_paths` must run."""
    selected: set[str] = set()
    for changed in changed_paths:
        parts = Path(changed).parts
        if len(parts) < 2 or parts[0] != "packages":
            return set(packages)
        if parts[1] not in packages:
            raise SystemExit(f"ci_matrix: {changed} is in an unknown package folder {parts[1]!r}")
        selected.add(parts[1])
    return dependents_closure(packages, selected)


def _version_key(python: str) -> tuple[int, ...]:
    return tuple(int(part) for part in python.split("."))


def matrix_entries(packages: dict[str, Package], folders: set[str]) -> list[dict]:
    """One entry per selected package and Python, as GitHub's `strategy.matrix.include` wants."""
    entries = []
    for folder in sorted(folders):
        package = packages[folder]
        for python in sorted({package.python_floor, NEWEST_PYTHON}, key=_version_key):
            entries.append(
                {
                    "package": folder.removeprefix("neutone-"),
                    "name": package.name,
                    "path": package.path,
                    "depends_on": sorted(siblings_closure(packages, folder)),
                    "hatch_env": f"test.{folder.removeprefix('neutone-')}",
                    "python": python,
                }
            )
    return entries


def main(argv: list[str] | None = None) -> int:
    """Print the matrix as JSON, or with `--packages` the selected short names one a line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--changed", nargs="*", help="paths changed, relative to the repository root"
    )
    parser.add_argument(
        "--packages",
        action="store_true",
        help="print the selected packages' short names, one a line, instead of the matrix",
    )
    args = parser.parse_args(argv)
    packages = read_packages()
    folders = set(packages) if args.changed is None else affected_packages(packages, args.changed)
    if args.packages:
        for folder in sorted(folders):
            print(folder.removeprefix("neutone-"))
        return 0
    json.dump({"include": matrix_entries(packages, folders)}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
