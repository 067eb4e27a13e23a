"""tools/export_cache.py: one export per content key, a new export when the content changes,
nothing half-written trusted, one export when two callers ask at once.

A stand-in exporter (it writes a `model.nm` and returns a report) counts the exports, so these
tests run in milliseconds; the examples and compat tests use the real one.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Callable, List

import pytest
from torch import nn

from neutone_export.suite.report import CheckResult, ValidationReport

PLANTED = """
from torch import nn


class PlantedGain(nn.Module):
    def forward(self, x):
        return x * {gain}


def build_model():
    return PlantedGain()
"""


@pytest.fixture
def export_cache(load_tool: Callable[[str], ModuleType]) -> ModuleType:
    return load_tool("export_cache")


class CountingExporter:
    """Writes `model.nm` and returns a report whose verdict is `passed`; counts its calls."""

    def __init__(self, passed: bool = True, crash: bool = False) -> None:
        self.calls: List[Path] = []
        self.passed = passed
        self.crash = crash
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()  # cleared by a test that holds an export open

    def __call__(self, model: nn.Module, folder: Path) -> ValidationReport:
        self.calls.append(folder)
        self.entered.set()
        self.release.wait(timeout=30)
        folder.mkdir(parents=True)
        (folder / "model.nm").write_bytes(b"half" if self.crash else b"model")
        if self.crash:
            raise RuntimeError("the export crashed half way")
        check = CheckResult("delay", self.passed, 3.0, "measured", unit="samples", seconds=0.5)
        return ValidationReport(source=str(folder / "model.nm"), checks=[check])


def plant(folder: Path, gain: int) -> Callable[[], nn.Module]:
    """Write the planted model's source with `gain`, import it afresh, return its factory."""
    path = folder / "planted_gain.py"
    path.write_text(PLANTED.format(gain=gain))
    spec = importlib.util.spec_from_file_location("planted_gain", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["planted_gain"] = module
    spec.loader.exec_module(module)
    return module.build_model


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A stand-in for a dependency's src tree."""
    folder = tmp_path / "tree" / "neutone_fake"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("VALUE = 1\n")
    return folder.parent


def test_second_call_reuses_the_entry(export_cache: ModuleType, tmp_path: Path, tree: Path) -> None:
    exporter = CountingExporter()
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    first = cache.get("identity", nn.Identity)
    again = cache.get("identity", nn.Identity)
    assert (first.exported, again.exported, len(exporter.calls)) == (True, False, 1)
    assert again.path == first.path and again.path.read_bytes() == b"model"
    assert again.report.to_dict() == first.report.to_dict()


def test_planted_change_in_the_model_source_exports_again(
    export_cache: ModuleType, tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "planted_gain", raising=False)
    exporter = CountingExporter()
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    first = cache.get("planted", plant(tmp_path, gain=2))
    changed = cache.get("planted", plant(tmp_path, gain=3))
    assert changed.exported and changed.path != first.path
    restored = cache.get("planted", plant(tmp_path, gain=2))
    assert not restored.exported and restored.path == first.path
    assert len(exporter.calls) == 2


def test_only_the_newest_entries_of_a_model_are_kept(
    export_cache: ModuleType, tmp_path: Path, tree: Path
) -> None:
    cache = export_cache.ExportCache(tmp_path / "cache", CountingExporter(), trees=[tree])
    other = cache.get("identity_other", nn.Identity)  # a name that starts like the pruned one
    paths = []
    for value in range(export_cache.KEEP_PER_NAME + 2):
        (tree / "neutone_fake" / "__init__.py").write_text(f"VALUE = {value}\n")
        paths.append(cache.get("identity", nn.Identity).path)
    assert [p.is_file() for p in paths] == [False] * 2 + [True] * export_cache.KEEP_PER_NAME
    assert other.path.is_file()


def test_change_in_a_dependency_tree_exports_again(
    export_cache: ModuleType, tmp_path: Path, tree: Path
) -> None:
    exporter = CountingExporter()
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    first = cache.get("identity", nn.Identity)
    (tree / "neutone_fake" / "__init__.py").write_text("VALUE = 2\n")
    changed = cache.get("identity", nn.Identity)
    assert changed.exported and changed.path != first.path and len(exporter.calls) == 2


def test_changed_weights_export_again(export_cache: ModuleType, tmp_path: Path, tree: Path) -> None:
    exporter = CountingExporter()
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    weights = nn.Linear(2, 2)
    first = cache.get("linear", lambda: weights)
    nn.init.zeros_(weights.weight)
    assert cache.get("linear", lambda: weights).path != first.path
    assert len(exporter.calls) == 2


def test_crashed_export_leaves_no_entry(
    export_cache: ModuleType, tmp_path: Path, tree: Path
) -> None:
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="half way"):
        export_cache.ExportCache(root, CountingExporter(crash=True), trees=[tree]).get(
            "identity", nn.Identity
        )
    assert [p.name for p in root.iterdir() if not p.name.endswith(".lock")] == []
    exporter = CountingExporter()
    done = export_cache.ExportCache(root, exporter, trees=[tree]).get("identity", nn.Identity)
    assert done.exported and done.path.read_bytes() == b"model" and len(exporter.calls) == 1


def test_failing_export_is_returned_but_not_kept(
    export_cache: ModuleType, tmp_path: Path, tree: Path
) -> None:
    exporter = CountingExporter(passed=False)
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    failed = cache.get("identity", nn.Identity)
    assert not failed.report.passed and failed.path.read_bytes() == b"model"
    assert failed.folder.is_relative_to(tmp_path / "cache" / "failed")
    again = cache.get("identity", nn.Identity)
    assert again.exported and again.path == failed.path and len(exporter.calls) == 2


def test_two_callers_at_once_export_once(
    export_cache: ModuleType, tmp_path: Path, tree: Path
) -> None:
    exporter = CountingExporter()
    exporter.release.clear()
    cache = export_cache.ExportCache(tmp_path / "cache", exporter, trees=[tree])
    results = []
    workers = [
        threading.Thread(target=lambda: results.append(cache.get("identity", nn.Identity)))
        for _ in range(2)
    ]
    workers[0].start()
    assert exporter.entered.wait(timeout=30)  # the first caller is exporting, holding the lock
    workers[1].start()  # the second finds no entry and waits for the lock
    time.sleep(0.5)  # (without the lock it would be exporting by now: two calls)
    exporter.release.set()
    for worker in workers:
        worker.join()
    assert len(exporter.calls) == 1
    assert sorted(r.exported for r in results) == [False, True]
    assert results[0].path == results[1].path


def test_report_round_trips_with_a_non_finite_figure(export_cache: ModuleType) -> None:
    check = CheckResult("finite", False, math.inf, "output is infinite", seconds=1.5)
    report = ValidationReport(source="x.nm", checks=[check], settings={"seconds": 1.0})
    back = export_cache.report_from_json(report.to_json())
    assert back.to_dict() == report.to_dict()
    assert not back.passed and math.isnan(back["finite"].figure)


def test_an_example_key_covers_its_own_source(export_cache: ModuleType) -> None:
    from neutone_examples.registry import EXAMPLES

    model = EXAMPLES["clipper_prefilter"]()
    modules = export_cache.source_modules(EXAMPLES["clipper_prefilter"], model)
    assert {"neutone_examples.clipper", "neutone_examples.clipper_prefilter"} <= set(modules)
    assert not any(name.split(".")[0] in export_cache.TREE_PACKAGES for name in modules)
    assert not any(name.split(".")[0] == "torch" for name in modules)
