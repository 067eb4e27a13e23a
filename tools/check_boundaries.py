"""Check that no neutone package imports a package above it (import-linter, see .importlinter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Run `lint-imports` with the repository's contracts and return its exit code."""
    config = REPO_ROOT / ".importlinter"
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.call([lint_imports, str(config), "--no-cache"], cwd=REPO_ROOT)


if __name__ == "__main__":
    sys.exit(main())
