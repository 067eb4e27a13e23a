"""Check every package's CHANGELOG.md headings: `Unreleased` first if present, then dated versions.

The newest dated heading must be the package's current version unless an `Unreleased`
section comes first (a change not yet released).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^## (.+)$", flags=re.MULTILINE)
DATED = re.compile(r"^(\d+\.\d+\.\d+(?:[a-z]+\d+)?) - (\d{4}-\d{2}-\d{2})$")
VERSION = re.compile(r"""^__version__ = ["']([^"']+)["']""", flags=re.MULTILINE)


def changelog_problems(package_dir: Path) -> list[str]:
    """What is wrong with one package's changelog headings (empty when nothing is)."""
    changelog = package_dir / "CHANGELOG.md"
    if not changelog.is_file():
        return [f"{package_dir.name}: no CHANGELOG.md"]
    about = next((package_dir / "src").glob("*/__about__.py"))
    version = VERSION.search(about.read_text())
    if version is None:
        return [f'{about}: no `__version__ = "X.Y.Z"` line']
    current = version.group(1)
    headings = HEADING.findall(changelog.read_text())
    problems = []
    if not headings:
        return [f"{changelog}: no '## ' headings"]
    for index, heading in enumerate(headings):
        if heading == "Unreleased":
            if index != 0:
                problems.append(f"{changelog}: 'Unreleased' must be the first heading")
        elif not DATED.match(heading):
            problems.append(f"{changelog}: heading {heading!r} is not 'X.Y.Z - YYYY-MM-DD'")
    dated = [match.group(1) for match in map(DATED.match, headings) if match]
    if headings[0] != "Unreleased" and dated and dated[0] != current:
        problems.append(f"{changelog}: newest heading is {dated[0]} but the version is {current}")
    return problems


def main() -> int:
    """Print every problem and fail if there is one."""
    problems = []
    for package_dir in sorted((REPO_ROOT / "packages").iterdir()):
        if package_dir.is_dir():
            problems.extend(changelog_problems(package_dir))
    for problem in problems:
        print(problem)
    if not problems:
        print("changelogs: every heading is in order")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
