"""The CI matrix follows the pyprojects and the Hatch test matrix."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest
import tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ci_matrix(load_tool: Callable[[str], ModuleType]) -> ModuleType:
    return load_tool("ci_matrix")


def test_every_package_has_a_hatch_test_cell(ci_matrix: ModuleType) -> None:
    hatch = tomllib.loads((REPO_ROOT / "hatch.toml").read_text())
    cells = set(hatch["envs"]["test"]["matrix"][0]["package"])
    packages = {folder.removeprefix("neutone-") for folder in ci_matrix.read_packages()}
    assert cells == packages


def test_siblings_come_from_the_pyprojects(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    assert packages["neutone-core"].siblings == ()
    assert packages["neutone-bench"].siblings == ("neutone-core", "neutone-export")


def test_a_core_change_selects_every_dependent(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    affected = ci_matrix.affected_packages(packages, ["packages/neutone-core/src/x.py"])
    assert affected == set(packages)


def test_a_bench_change_selects_bench_alone(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    assert ci_matrix.affected_packages(packages, ["packages/neutone-bench/README.md"]) == {
        "neutone-bench"
    }


def test_a_root_change_selects_everything(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    assert ci_matrix.affected_packages(packages, ["hatch.toml"]) == set(packages)


def test_an_unknown_folder_stops_the_matrix(ci_matrix: ModuleType, tmp_path: Path) -> None:
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


def test_a_filters_change_selects_filters_and_examples(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    changed = ["packages/neutone-filters/src/neutone_filters/fir.py"]
    assert ci_matrix.affected_packages(packages, changed) == {
        "neutone-filters",
        "neutone-examples",
    }


def test_each_package_runs_at_its_floor_and_the_newest_python(ci_matrix: ModuleType) -> None:
    packages = ci_matrix.read_packages()
    entries = ci_matrix.matrix_entries(packages, {"neutone-core", "neutone-bench"})
    assert [(entry["package"], entry["python"]) for entry in entries] == [
        ("bench", packages["neutone-bench"].python_floor),
        ("bench", ci_matrix.NEWEST_PYTHON),
        ("core", packages["neutone-core"].python_floor),
        ("core", ci_matrix.NEWEST_PYTHON),
    ]
    assert all(entry["hatch_env"] == f"test.{entry['package']}" for entry in entries)


def test_depends_on_lists_every_sibling_a_wheel_install_needs(
    ci_matrix: ModuleType, tmp_path: Path
) -> None:
    for name, dependencies in {
        "neutone-core": [],
        "neutone-export": ["neutone-core>=0.1"],
        "neutone-bench": ["neutone-export>=0.1"],
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nrequires-python = ">=3.11"\n'
            f"dependencies = {json.dumps(dependencies)}\n"
        )
    packages = ci_matrix.read_packages(tmp_path)
    bench_floor, bench_newest = ci_matrix.matrix_entries(packages, {"neutone-bench"})
    assert bench_floor["depends_on"] == ["neutone-core", "neutone-export"]
    assert (bench_floor["python"], bench_newest["python"]) == ("3.11", ci_matrix.NEWEST_PYTHON)


def test_a_package_without_a_python_floor_stops_the_matrix(
    ci_matrix: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "neutone-core").mkdir()
    (tmp_path / "neutone-core" / "pyproject.toml").write_text(
        '[project]\nname = "neutone-core"\ndependencies = ["torch"]\n'
    )
    with pytest.raises(SystemExit, match="has no 'requires-python"):
        ci_matrix.read_packages(tmp_path)


def test_packages_flag_prints_the_selected_short_names(
    ci_matrix: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ci_matrix.main(["--packages", "--changed", "packages/neutone-export/README.md"]) == 0
    assert capsys.readouterr().out.split() == ["bench", "examples", "export"]
