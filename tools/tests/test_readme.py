"""The README's Python example runs as written, and its two commands are the ones CI runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "README.md").read_text()


def fenced_blocks(language: str) -> list[str]:
    """Every fenced code block of `language` in the README, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_wrapping_example_exports_a_valid_model(tmp_path: Path) -> None:
    # The complete example under "Wrapping your model" (the "Use it" snippet calls its classes).
    (example,) = [block for block in fenced_blocks("python") if "class " in block]
    script = tmp_path / "example.py"
    script.write_text(example)
    env = dict(os.environ, PYTHONWARNINGS="ignore::FutureWarning")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert (tmp_path / "exports" / "my_clipper" / "model.nm").is_file()


def test_ci_runs_the_readme_commands() -> None:
    ci_script = (REPO_ROOT / ".ci" / "run").read_text()
    for marker in ("main-command", "test-command"):
        assert f"<!-- {marker} -->\n```bash\n" in README
        assert f"readme_command {marker}" in ci_script
