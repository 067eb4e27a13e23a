"""Check a release tag before `.github/workflows/release.yml` builds and publishes from it.

    python tools/check_release_tag.py neutone-core-v0.1.1             # before the build
    python tools/check_release_tag.py neutone-core-v0.1.1 --dist dist  # after it

A tag `neutone-<package>-v<version>` must name a folder under packages/, that package's current
version and a dated `## <version> - YYYY-MM-DD` changelog heading (what `tools/release.py` writes).
With `--dist`, the folder must hold exactly that package's sdist and wheel at that version.
On success it prints `key=value` lines (name, package, path, version) for `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^neutone-(?P<package>[a-z0-9]+(?:-[a-z0-9]+)*)-v(?P<version>\d\S*)$")
VERSION = re.compile(r"""^__version__ = ["']([^"']+)["']""", flags=re.MULTILINE)


class ReleaseTagError(ValueError):
    """A tag that does not match the package it names; the message says what to fix."""


@dataclass(frozen=True)
class Release:
    """The package and version a checked tag releases."""

    package: str
    name: str
    path: Path
    version: str


def package_version(package_dir: Path) -> str:
    """The version in `pyproject.toml`, or in the file its `[tool.hatch.version] path` names."""
    pyproject = tomllib.loads((package_dir / "pyproject.toml").read_text())
    if "version" in pyproject["project"]:
        return pyproject["project"]["version"]
    version_file = package_dir / pyproject["tool"]["hatch"]["version"]["path"]
    match = VERSION.search(version_file.read_text())
    if match is None:
        raise ReleaseTagError(f"{version_file} has no '__version__ = \"X.Y.Z\"' line; add one")
    return match.group(1)


def dated_heading(changelog: Path, version: str) -> datetime.date | None:
    """The date of the `## <version> - YYYY-MM-DD` heading in `changelog`, or None if absent."""
    heading = re.compile(rf"^## {re.escape(version)} - (\d{{4}}-\d{{2}}-\d{{2}})$", re.MULTILINE)
    match = heading.search(changelog.read_text()) if changelog.is_file() else None
    return None if match is None else datetime.date.fromisoformat(match.group(1))


def check_tag(tag: str, packages_dir: Path) -> Release:
    """The release `tag` names, once its package, version and changelog agree with it."""
    match = TAG.match(tag)
    if match is None:
        raise ReleaseTagError(
            f"tag {tag!r} is not 'neutone-<package>-v<version>'; push e.g. neutone-core-v0.1.1"
        )
    package, version = match.group("package"), match.group("version")
    package_dir = packages_dir / f"neutone-{package}"
    if not (package_dir / "pyproject.toml").is_file():
        known = ", ".join(sorted(p.name for p in packages_dir.iterdir() if p.is_dir()))
        raise ReleaseTagError(f"tag {tag!r} names no folder neutone-{package}; known: {known}")
    current = package_version(package_dir)
    if current != version:
        raise ReleaseTagError(
            f"tag {tag!r} says {version} but {package_dir.name} is at {current}; tag the commit "
            f"`tools/release.py {package} ...` made, or delete the tag"
        )
    if dated_heading(package_dir / "CHANGELOG.md", version) is None:
        raise ReleaseTagError(
            f"tag {tag!r}: {package_dir.name}/CHANGELOG.md has no '## {version} - YYYY-MM-DD' "
            f"heading; release with `tools/release.py {package} ...`, which dates it"
        )
    name = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]["name"]
    return Release(package=package, name=name, path=package_dir, version=version)


def check_artifacts(release: Release, dist: Path) -> list[Path]:
    """The sdist and wheel in `dist`, refusing anything else (another package or version)."""
    stem = f"{release.name.replace('-', '_')}-{release.version}"
    expected = {f"{stem}.tar.gz", f"{stem}-py3-none-any.whl"}
    found = {path.name for path in dist.iterdir()} if dist.is_dir() else set()
    if found != expected:
        raise ReleaseTagError(
            f"{dist} holds {sorted(found)}, not {sorted(expected)}; build the tagged package alone"
        )
    return sorted(dist / name for name in expected)


def main(argv: list[str] | None = None) -> int:
    """Check the tag (and with `--dist` the built files) and print the release as key=value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the pushed tag, e.g. neutone-core-v0.1.1")
    parser.add_argument("--dist", type=Path, help="folder of built files to check as well")
    parser.add_argument("--packages-dir", type=Path, default=REPO_ROOT / "packages")
    args = parser.parse_args(argv)
    try:
        release = check_tag(args.tag, args.packages_dir)
        if args.dist is not None:
            check_artifacts(release, args.dist)
    except ReleaseTagError as error:
        raise SystemExit(f"check_release_tag: {error}") from None
    print(f"name={release.name}")
    print(f"package={release.package}")
    print(f"path={release.path.relative_to(args.packages_dir.parent)}")
    print(f"version={release.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
