"""Print the per-package CI matrix (JSON), derived from each package's pyproject.toml.

Without arguments every package is listed. With `--changed PATH...` only the packages a change
touches are listed, together with every package that depends on them (directly or not); a
change outside `packages/` (Hatch config, tools, CI) selects every package.
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
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Package:
    """One distribution of the monorepo, as its pyproject.toml declares it."""

    name: str
    path: str
    siblings: tuple[str, ...]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_packages(packages_dir: Path = PACKAGES_DIR) -> dict[str, Package]:
    """Every package under `packages_dir`, keyed by folder name; unknown folders are an error."""
    folders = sorted(p for p in packages_dir.iterdir() if p.is_dir())
    projects: dict[str, dict] = {}
    for folder in folders:
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            raise SystemExit(
                f"ci_matrix: {folder} is not a package (no pyproject.toml); add one or move it"
            )
        projects[folder.name] = tomllib.loads(pyproject.read_text())["project"]
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


def main(argv: list[str] | None = None) -> int:
    """Print the matrix as JSON: one entry per package with its path and sibling dependencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--changed", nargs="*", help="paths changed, relative to the repository root"
    )
    args = parser.parse_args(argv)
    packages = read_packages()
    folders = set(packages) if args.changed is None else affected_packages(packages, args.changed)
    matrix = [
        {
            "package": folder.removeprefix("neutone-"),
            "name": packages[folder].name,
            "path": packages[folder].path,
            "depends_on": list(packages[folder].siblings),
            "hatch_env": f"test.{folder.removeprefix('neutone-')}",
        }
        for folder in sorted(folders)
    ]
    json.dump({"include": matrix}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
