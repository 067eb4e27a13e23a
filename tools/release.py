"""Release one package alone: bump its version, date its changelog, build its sdist and wheel.

    python tools/release.py core patch   # 0.1.0 -> 0.1.1, built into packages/neutone-core/dist
    python tools/release.py export minor --out /tmp/dist

It prints the tag to push (`neutone-core-v0.1.1`). Commit the bump and the dated changelog, then
push that tag: `.github/workflows/release.yml` checks it with `tools/check_release_tag.py`, builds
that package alone, checks and uploads its sdist and wheel, and publishes them to PyPI once a
maintainer approves the `pypi` environment.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
UNRELEASED = "## Unreleased"


def hatch_environment() -> dict[str, str]:
    """This process's environment without Hatch's own variables.

    Run from `hatch run dev:...`, `HATCH_ENV_ACTIVE=dev` would make the nested `hatch` look for a
    `dev` environment in the package's project, which has none.
    """
    return {key: value for key, value in os.environ.items() if not key.startswith("HATCH_")}


def hatch_executable() -> str:
    """The `hatch` command, which owns version bumps and builds."""
    hatch = shutil.which("hatch")
    if hatch is None:
        raise SystemExit(
            "release: `hatch` is not on PATH; install it with `python -m pip install hatch`"
        )
    return hatch


def bump_version(package_dir: Path, part: str) -> str:
    """Bump the version with `hatch version` and return the new version."""
    hatch = hatch_executable()
    env = hatch_environment()
    subprocess.run([hatch, "version", part], cwd=package_dir, check=True, env=env)
    result = subprocess.run(
        [hatch, "version"], cwd=package_dir, check=True, capture_output=True, text=True, env=env
    )
    return result.stdout.strip()


def date_changelog(changelog: Path, version: str, today: datetime.date) -> None:
    """Turn the `Unreleased` heading into `version - date`; refuse a release with nothing in it."""
    text = changelog.read_text()
    if UNRELEASED not in text:
        raise SystemExit(f"release: {changelog} has no '{UNRELEASED}' section to release")
    section = text.split(UNRELEASED, 1)[1].split("\n## ", 1)[0]
    if not re.search(r"^\s*[-*] \S", section, flags=re.MULTILINE):
        raise SystemExit(f"release: the '{UNRELEASED}' section of {changelog} lists no change")
    changelog.write_text(text.replace(UNRELEASED, f"## {version} - {today.isoformat()}", 1))


def build(package_dir: Path, out_dir: Path) -> list[Path]:
    """Build this package's sdist and wheel into `out_dir` and return the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    before = set(out_dir.iterdir())
    subprocess.run(
        [hatch_executable(), "build", "--target", "sdist", "--target", "wheel", str(out_dir)],
        cwd=package_dir,
        check=True,
        env=hatch_environment(),
    )
    return sorted(set(out_dir.iterdir()) - before)


def main(argv: list[str] | None = None) -> int:
    """Release the package named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", help="short name (core, filters, export, bench, examples)")
    parser.add_argument("part", help="what to bump: major, minor, patch, or an explicit version")
    parser.add_argument("--out", type=Path, help="where to build (default: the package's dist/)")
    parser.add_argument("--packages-dir", type=Path, default=REPO_ROOT / "packages")
    args = parser.parse_args(argv)

    package_dir = args.packages_dir / f"neutone-{args.package}"
    if not (package_dir / "pyproject.toml").is_file():
        raise SystemExit(f"release: no package {args.package!r} under {args.packages_dir}")
    version = bump_version(package_dir, args.part)
    date_changelog(package_dir / "CHANGELOG.md", version, datetime.date.today())
    files = build(package_dir, args.out or package_dir / "dist")
    for built in files:
        print(built)
    print(f"tag: neutone-{args.package}-v{version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
