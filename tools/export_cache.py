"""A content-keyed cache of exported models, shared by the test cells and compat/.

Exporting a model runs the whole validation suite (seconds to a minute each), and the examples
tests and the compatibility tests need the same exports. An entry is keyed by everything the
export reads: the source files of the model (every module its classes and factory come from, and
every module those refer to, outside the installed libraries), its weights, the `src` trees of
neutone-core, neutone-filters and neutone-export, the torch and Python versions and the export
options; a change to any of them is a new key, so a stale export is never reused.

Entries live in ``$NEUTONE_TEST_CACHE`` or ``.cache/neutone-test-exports/`` at the repository
root (gitignored). An export is written into a staging folder and renamed into place, so a
crashed export never leaves an entry a later run trusts; a lock file per key makes two processes
(pytest-xdist workers, two cells at once) that ask for the same entry export it once. Failing
exports are not cached. The tests load this file by path: it lives in tools/ because the
examples cell and the compat environment both have the repository, and no package may depend on
neutone-examples.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import sys
import sysconfig
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Sequence, Set

import torch
from torch import nn

from neutone_export.files.locking import exclusive_lock

if TYPE_CHECKING:
    from neutone_export.suite.report import ValidationReport

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_ENV = "NEUTONE_TEST_CACHE"
DEFAULT_ROOT = REPO_ROOT / ".cache" / "neutone-test-exports"
DEPENDENCY_TREES = tuple(
    REPO_ROOT / "packages" / name / "src"
    for name in ("neutone-core", "neutone-filters", "neutone-export")
)
# Their modules are hashed as whole trees above, wherever they are installed from.
TREE_PACKAGES = ("neutone_core", "neutone_filters", "neutone_export")
KEEP_PER_NAME = 4  # entries kept per model: the newest, the rest pruned as new ones land
ENTRY_FORMAT = "1"  # bump when the layout of an entry changes
# One 1 s demo (the three clips in turn, at 16 kHz) instead of every clip at every knob extreme:
# the demos were most of an example's export, and no test of a cached export is about them (the
# main job exports every example with the full set). The suite still validates at 44.1 and 48 kHz.
DEMO_RATE = 16000
EXPORT_OPTIONS = "quiet=True; realtime: samples_sample_rate=16000, input_samples=[1 s demo_input]"

Exporter = Callable[[nn.Module, Path], "ValidationReport"]


@dataclass(frozen=True)
class CachedExport:
    """One export: the folder `save_neutone_model` wrote, its report, and whether this call
    ran the export (False: an entry made earlier was reused)."""

    folder: Path
    report: ValidationReport
    exported: bool

    @property
    def path(self) -> Path:
        """The exported `model.nm`."""
        return self.folder / "model.nm"


def cache_root() -> Path:
    """Where entries live: ``$NEUTONE_TEST_CACHE`` if set, else `.cache/neutone-test-exports`."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_ROOT)


def export_with_the_suite(model: nn.Module, folder: Path) -> ValidationReport:
    """Export `model` into `folder` as a user would, with the options in `EXPORT_OPTIONS`."""
    from neutone_core import NonRealtimeBase
    from neutone_export import save_neutone_model
    from neutone_export.files.save import save_non_realtime_model

    if isinstance(model, NonRealtimeBase):
        return save_non_realtime_model(model, folder, quiet=True)
    from neutone_export.audio.samples import demo_input

    return save_neutone_model(
        model,  # type: ignore[arg-type]
        folder,
        quiet=True,
        samples_sample_rate=DEMO_RATE,
        input_samples=[demo_input(DEMO_RATE, seconds=1.0)],
    )


def tree_digest(folder: Path) -> str:
    """SHA-256 of every file under `folder` (relative path and bytes), bytecode caches aside."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of the model's state dict: names, dtypes, shapes and values."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{value.dtype}|{tuple(value.shape)}".encode())
        digest.update(value.flatten().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _library_roots() -> List[Path]:
    paths = sysconfig.get_paths()
    return [Path(paths[key]).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")]


def _module_of(value: object) -> ModuleType | None:
    if isinstance(value, ModuleType):
        return value
    try:
        name = getattr(value, "__module__", None)
    except Exception:  # noqa: BLE001 -- some library objects raise on any attribute
        return None
    return sys.modules.get(name) if isinstance(name, str) else None


def source_modules(factory: Callable[[], nn.Module], model: nn.Module) -> Dict[str, Path]:
    """Module name -> file of every module the model's source may come from: the factory's and
    each submodule's class hierarchy, and every module they refer to, followed outside the
    installed libraries and the dependency trees (those are hashed whole)."""
    libraries = _library_roots()
    todo: List[ModuleType] = []
    for value in [factory, *(cls for m in model.modules() for cls in type(m).__mro__)]:
        found = _module_of(value)
        if found is not None:
            todo.append(found)
    seen: Set[str] = set()
    files: Dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module.__name__ in seen:
            continue
        seen.add(module.__name__)
        if module.__name__.split(".")[0] in TREE_PACKAGES:
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if any(path.is_relative_to(root) for root in libraries):
            continue
        files[module.__name__] = path
        todo.extend(m for m in map(_module_of, list(vars(module).values())) if m is not None)
    return files


def export_key(
    name: str,
    factory: Callable[[], nn.Module],
    model: nn.Module,
    trees: Sequence[Path] = DEPENDENCY_TREES,
    options: str = EXPORT_OPTIONS,
) -> str:
    """The entry name for `model` (built by `factory`): `name`, then a digest of every input."""
    digest = hashlib.sha256()
    built = f"{getattr(factory, '__qualname__', factory)} -> {type(model).__qualname__}"
    parts = [ENTRY_FORMAT, name, built, options, torch.__version__, f"{sys.version_info[:2]}"]
    parts += [tree_digest(tree) for tree in trees]
    parts.append(weights_digest(model))
    for module, path in sorted(source_modules(factory, model).items()):
        parts.append(module + ":" + hashlib.sha256(path.read_bytes()).hexdigest())
    digest.update("\n".join(parts).encode())
    return f"{name}-{digest.hexdigest()[:24]}"


def report_from_json(text: str) -> ValidationReport:
    """The `ValidationReport` that `ValidationReport.to_json()` wrote (NaN figures come back)."""
    from neutone_export.suite.report import CheckResult, ValidationReport

    data = json.loads(text)
    checks = []
    for check in data["checks"]:
        figure = math.nan if check.get("figure_non_finite") else check["figure"]
        fields = {"name", "passed", "message", "unit", "skipped", "warning", "seconds"}
        checks.append(CheckResult(figure=figure, **{k: v for k, v in check.items() if k in fields}))
    return ValidationReport(
        source=data["source"], checks=checks, settings=data["settings"], trace=data.get("trace")
    )


class ExportCache:
    """Exports each model once per key under `root`, and hands the same entry to every caller."""

    def __init__(
        self,
        root: Path | None = None,
        exporter: Exporter = export_with_the_suite,
        trees: Sequence[Path] = DEPENDENCY_TREES,
        options: str = EXPORT_OPTIONS,
    ) -> None:
        self.root = cache_root() if root is None else root
        self.exporter = exporter
        self.trees = tuple(trees)
        self.options = options

    def get(self, name: str, factory: Callable[[], nn.Module]) -> CachedExport:
        """The export of the model `factory` builds: reused if its key has an entry, else
        exported now (a passing export is kept; a failing one is returned from `failed/` and
        exported again next time)."""
        model = factory()
        key = export_key(name, factory, model, self.trees, self.options)
        entry = self.root / key
        if entry.is_dir():
            return self._read(entry)
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / f".{key}.lock"):
            if entry.is_dir():  # another process exported it while this one waited
                return self._read(entry)
            for stale in self.root.glob(f".staging-{key}-*"):  # left by a crashed export
                shutil.rmtree(stale, ignore_errors=True)
            staging = Path(tempfile.mkdtemp(prefix=f".staging-{key}-", dir=self.root))
            try:
                report = self.exporter(model, staging / "export")
                (staging / "report.json").write_text(report.to_json(), encoding="utf-8")
                if not report.passed:  # kept for reading under failed/, never reused
                    kept = self.root / "failed" / key
                    shutil.rmtree(kept, ignore_errors=True)
                    kept.parent.mkdir(exist_ok=True)
                    os.replace(staging, kept)
                    return CachedExport(kept / "export", report, exported=True)
                os.replace(staging, entry)
                self._prune(name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return CachedExport(entry / "export", report, exported=True)

    def _prune(self, name: str) -> None:
        """Keep the `KEEP_PER_NAME` newest entries of `name` (older sources, other Pythons)."""
        pattern = re.compile(rf"{re.escape(name)}-[0-9a-f]{{24}}")
        entries = [p for p in self.root.iterdir() if pattern.fullmatch(p.name) and p.is_dir()]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_PER_NAME:]:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _read(entry: Path) -> CachedExport:
        report = report_from_json((entry / "report.json").read_text(encoding="utf-8"))
        return CachedExport(entry / "export", report, exported=False)


@contextmanager
def cached_json(root: Path, key: str) -> Iterator[Dict[str, Any]]:
    """A small JSON result cached under `root` by `key`: the caller fills the yielded dict when
    it is empty (the work runs under the key's lock), and it is written atomically after."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{key}.json"
    with exclusive_lock(root / f".{key}.lock"):
        data: Dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        had = bool(data)
        yield data
        if data and not had:
            handle, temporary = tempfile.mkstemp(prefix=f".{key}-", dir=root)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(temporary, path)
