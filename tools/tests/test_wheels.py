"""Every package builds a wheel that installs and imports in an empty virtual environment.

This proves the published metadata alone (no Hatch sources): each wheel is installed with only
the wheels of the siblings it declares, and neutone-core's wheel brings torch and nothing else
of the other packages' dependency lists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["core", "filters", "export", "bench", "examples"]
# Pinned as in hatch.toml so that uv links the torch it already has instead of downloading another.
CONSTRAINTS = "torch==2.14.1\ntorchaudio==2.11.0\n"
NOT_FOR_CORE = ["torchaudio", "typer", "rich", "psutil", "numpy", "scipy", "lameenc", "matplotlib"]

UV = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
pytestmark = [
    pytest.mark.skipif(
        shutil.which("hatch") is None or not Path(UV).exists(), reason="needs `hatch` and `uv`"
    ),
    # One worker builds the wheels once for every test here (`--dist loadgroup`).
    pytest.mark.xdist_group("wheels"),
]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One freshly built wheel per package."""
    out = tmp_path_factory.mktemp("wheels")
    for name in PACKAGES:
        subprocess.run(
            ["hatch", "build", "--target", "wheel", str(out)],
            cwd=REPO_ROOT / "packages" / f"neutone-{name}",
            check=True,
            capture_output=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("HATCH_")},
        )
    return {name: next(out.glob(f"neutone_{name}-*.whl")) for name in PACKAGES}


def install_into_new_venv(venv: Path, wheels: list[Path]) -> set[str]:
    """Create `venv`, install `wheels` with their dependencies, return the installed names."""
    subprocess.run([UV, "venv", "--quiet", str(venv)], check=True)
    constraints = venv / "constraints.txt"
    constraints.write_text(CONSTRAINTS)
    python = venv / "bin" / "python"
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", str(python), "-c", str(constraints)]
        + [str(wheel) for wheel in wheels],
        check=True,
    )
    frozen = subprocess.run(
        [UV, "pip", "freeze", "--python", str(python)], check=True, capture_output=True, text=True
    ).stdout
    return {line.split("==")[0].split(" @ ")[0].lower() for line in frozen.splitlines()}


def declared_siblings(name: str) -> list[str]:
    import tomllib

    project = tomllib.loads(
        (REPO_ROOT / "packages" / f"neutone-{name}" / "pyproject.toml").read_text()
    )["project"]
    return [
        other
        for other in PACKAGES
        if any(dep.startswith(f"neutone-{other}") for dep in project["dependencies"])
    ]


def test_core_wheel_brings_torch_and_nothing_else_of_ours(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    installed = install_into_new_venv(tmp_path / "venv", [wheels["core"]])
    assert "torch" in installed
    assert sorted(set(NOT_FOR_CORE) & installed) == []
    assert not any(name.startswith("neutone-") and name != "neutone-core" for name in installed)
    subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-c", "import neutone_core"], check=True
    )


@pytest.mark.parametrize("name", PACKAGES)
def test_each_wheel_imports_with_its_declared_siblings_only(
    name: str, wheels: dict[str, Path], tmp_path: Path
) -> None:
    needed = [wheels[name]] + [wheels[sibling] for sibling in declared_siblings(name)]
    install_into_new_venv(tmp_path / "venv", needed)
    result = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-W", "ignore", "-c", f"import neutone_{name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
