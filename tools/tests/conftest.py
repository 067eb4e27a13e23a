"""Shared helpers for the tests of the repository tasks in tools/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"tools_{name}", REPO_ROOT / "tools" / f"{name}.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"tools/{name}.py cannot be loaded as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_tool() -> Callable[[str], ModuleType]:
    """Import a script from tools/ by name, as a module."""
    return _load_tool


# Importing Neural Amp Modeler takes seconds (it brings its trainer): the tests of its examples
# share one xdist group, so `--dist loadgroup` gives them one worker and one import.
NAM_EXAMPLES = {"nam", "nam_lstm"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test parametrized with a NAM example `name` as one xdist group."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("name") in NAM_EXAMPLES:
            item.add_marker(pytest.mark.xdist_group("nam"))
