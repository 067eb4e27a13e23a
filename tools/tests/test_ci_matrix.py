"""The CI matrix follows the pyprojects and the Hatch test matrix."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ci_matrix(load_tool):
    return load_tool("ci_matrix")


def test_every_package_has_a_hatch_test_cell(ci_matrix) -> None:
    hatch = tomllib.loads((REPO_ROOT / "hatch.toml").read_text())
    cells = set(hatch["envs"]["test"]["matrix"][0]["package"])
    packages = {folder.removeprefix("neutone-") for folder in ci_matrix.read_packages()}
    assert cells == packages


def test_siblings_come_from_the_pyprojects(ci_matrix) -> None:
    packages = ci_matrix.read_packages()
    assert packages["neutone-core"].siblings == ()
    assert packages["neutone-bench"].siblings == ("neutone-core", "neutone-export")


def test_a_core_change_selects_every_dependent(ci_matrix) -> None:
    packages = ci_matrix.read_packages()
    affected = ci_matrix.affected_packages(packages, ["packages/neutone-core/src/x.py"])
    assert affected == set(packages)


def test_a_bench_change_selects_bench_alone(ci_matrix) -> None:
    packages = ci_matrix.read_packages()
    assert ci_matrix.affected_packages(packages, ["packages/neutone-bench/README.md"]) == {
        "neutone-bench"
    }


def test_a_root_change_selects_everything(ci_matrix) -> None:
    packages = ci_matrix.read_packages()
    assert ci_matrix.affected_packages(packages, ["hatch.toml"]) == set(packages)


def test_an_unknown_folder_stops_the_matrix(ci_matrix, tmp_path: Path) -> None:
    (tmp_path / "neutone-core").mkdir()
    (tmp_path / "neutone-core" / "pyproject.toml").write_text(
        '[project]\nname = "neutone-core"\ndependencies = ["torch"]\n'
    )
    (tmp_path / "stray").mkdir()
    with pytest.raises(SystemExit, match="stray is not a package"):
        ci_matrix.read_packages(tmp_path)
    with pytest.raises(SystemExit, match="unknown package folder"):
        ci_matrix.affected_packages(
            ci_matrix.read_packages(REPO_ROOT / "packages"), ["packages/stray/x.py"]
        )
