"""A release tag is checked against the package it names before anything is built or published."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest


@pytest.fixture
def tag_check(load_tool: Callable[[str], ModuleType]) -> ModuleType:
    return load_tool("check_release_tag")


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    """neutone-core at 1.2.0 with a dated changelog heading, as `tools/release.py` leaves it."""
    core = tmp_path / "packages" / "neutone-core"
    (core / "src" / "neutone_core").mkdir(parents=True)
    (core / "pyproject.toml").write_text(
        '[project]\nname = "neutone-core"\ndynamic = ["version"]\n\n'
        '[tool.hatch.version]\npath = "src/neutone_core/__about__.py"\n'
    )
    (core / "src" / "neutone_core" / "__about__.py").write_text('__version__ = "1.2.0"\n')
    (core / "CHANGELOG.md").write_text(
        "# Changelog\n\n## Unreleased\n\n- Next.\n\n## 1.2.0 - 2026-11-30\n\n- Released.\n"
    )
    return tmp_path / "packages"


def test_a_matching_tag_names_the_release(tag_check: ModuleType, packages: Path) -> None:
    release = tag_check.check_tag("neutone-core-v1.2.0", packages)
    assert (release.package, release.name, release.version) == ("core", "neutone-core", "1.2.0")
    assert release.path == packages / "neutone-core"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("neutone-core-v1.2.1", "says 1.2.1 but neutone-core is at 1.2.0"),
        ("neutone-filters-v1.2.0", "names no folder neutone-filters; known: neutone-core"),
        ("core-v1.2.0", "is not 'neutone-<package>-v<version>'"),
        ("neutone-core-1.2.0", "is not 'neutone-<package>-v<version>'"),
    ],
)
def test_a_mismatching_tag_is_refused(
    tag_check: ModuleType, packages: Path, tag: str, message: str
) -> None:
    with pytest.raises(tag_check.ReleaseTagError, match=re.escape(message)):
        tag_check.check_tag(tag, packages)


def test_a_version_without_a_dated_heading_is_refused(
    tag_check: ModuleType, packages: Path
) -> None:
    changelog = packages / "neutone-core" / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## Unreleased\n\n- 1.2.0 - 2026-11-30\n")
    with pytest.raises(
        tag_check.ReleaseTagError, match=re.escape("has no '## 1.2.0 - YYYY-MM-DD'")
    ):
        tag_check.check_tag("neutone-core-v1.2.0", packages)


def test_the_built_files_must_be_that_package_and_version(
    tag_check: ModuleType, packages: Path, tmp_path: Path
) -> None:
    release = tag_check.check_tag("neutone-core-v1.2.0", packages)
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ["neutone_core-1.2.0.tar.gz", "neutone_core-1.2.0-py3-none-any.whl"]:
        (dist / name).write_bytes(b"")
    assert [path.name for path in tag_check.check_artifacts(release, dist)] == [
        "neutone_core-1.2.0-py3-none-any.whl",
        "neutone_core-1.2.0.tar.gz",
    ]
    (dist / "neutone_filters-1.2.0-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(tag_check.ReleaseTagError, match="build the tagged package alone"):
        tag_check.check_artifacts(release, dist)


def test_the_command_line_prints_outputs_or_one_line_why_not(
    tag_check: ModuleType, packages: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tag_check.main(["neutone-core-v1.2.0", "--packages-dir", str(packages)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "name=neutone-core",
        "package=core",
        "path=packages/neutone-core",
        "version=1.2.0",
    ]
    with pytest.raises(SystemExit, match=r"^check_release_tag: tag 'neutone-core-v2\.0\.0' says"):
        tag_check.main(["neutone-core-v2.0.0", "--packages-dir", str(packages)])
