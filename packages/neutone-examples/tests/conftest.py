"""Shared fixtures: drive an example through the realtime adapter as a host would, the examples
exported once per content key (`tools/export_cache.py`, shared with compat/), their pt2
packages written once per session, and short demos for exports whose demos are not the subject."""

import importlib.util
import os
import sys
from functools import wraps
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, List, Tuple, Union

import pytest
import torch
from torch import Tensor

import neutone_export
import neutone_export.nam.capture
from neutone_core import RealtimeAdapter, WaveformToWaveformBase
from neutone_examples.registry import build_example
from neutone_export.audio.samples import demo_input
from neutone_export.files.locking import exclusive_lock
from neutone_export.pt2.package import MANIFEST, PACKAGE_DIR, write_package

StreamFn = Callable[..., Tuple[Tensor, int]]
EXPORT_CACHE_FILE = Path(__file__).resolve().parents[3] / "tools" / "export_cache.py"


def load_export_cache() -> ModuleType:
    """`tools/export_cache.py`, imported by path (the tools are not a package of any cell)."""
    name = "neutone_test_export_cache"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXPORT_CACHE_FILE)
        if spec is None or spec.loader is None:
            raise ImportError(f"{EXPORT_CACHE_FILE} cannot be loaded as a module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def example_exports() -> Any:
    """The shared export cache: ``example_exports.get(name, factory)`` is a `CachedExport`
    (folder, report, path) of that model, exported once per content key."""
    return load_export_cache().ExportCache()


@pytest.fixture(scope="session")
def example_package(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``example_package(name)``: the folder `write_package` wrote for example `name`, written
    once per session under a lock per name in a folder every xdist worker of this session shares
    (`PackageExportError` when export refuses the example; nothing is kept then)."""
    base = tmp_path_factory.getbasetemp()
    # An xdist worker's base is one folder of the session's; a plain run's is the session's own.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "pt2-packages"
    root.mkdir(exist_ok=True)

    def package_of(name: str) -> Path:
        with exclusive_lock(root / f".{name}.lock"):
            folder = root / name / PACKAGE_DIR
            if not (folder / MANIFEST).is_file():  # write_package swaps the folder in whole
                write_package(build_example(name), root / name)
            return folder

    return package_of


@pytest.fixture
def short_demos(monkeypatch: pytest.MonkeyPatch) -> None:
    """`save_neutone_model`, as a CLI, a script or `import_nam` calls it, renders a realtime
    model's demos from one 1-second input instead of every demo clip at every knob extreme, unless
    the caller gives its own: for tests of what an export reports and writes, not of the demos
    (test_export's exports render the whole demo set)."""
    save = neutone_export.save_neutone_model

    @wraps(save)  # the same signature to whoever inspects it
    def save_with_short_demos(model: Any, *args: Any, **kwargs: Any) -> Any:
        # A Gen model renders no demos; the SDK's audio_sample_pairs are the caller's own demos.
        if isinstance(model, WaveformToWaveformBase) and kwargs.get("audio_sample_pairs") is None:
            kwargs.setdefault("input_samples", [demo_input(seconds=1.0)])
        return save(model, *args, **kwargs)

    for caller in (neutone_export, neutone_export.nam.capture):
        monkeypatch.setattr(caller, "save_neutone_model", save_with_short_demos)


def _stream(
    model: WaveformToWaveformBase,
    x: Tensor,
    knobs: Union[List[float], Tensor],
    sample_rate: int = 48000,
    buffer_size: int = 128,
) -> Tuple[Tensor, int]:
    """Feed ``x`` (channels, n) to a fresh adapter in host buffers of ``buffer_size`` samples and
    return the output and the total delay the adapter reports, in host samples.

    ``knobs`` holds knob positions in [0, 1]: a list (held constant, missing knobs at 0) or a
    ``(4, n)`` tensor (one value per sample). ``n`` is cut to a whole number of buffers.
    """
    adapter = RealtimeAdapter(model)
    adapter.set_daw_sample_rate_and_buffer_size(sample_rate, buffer_size)
    if isinstance(knobs, Tensor):
        params = knobs
    else:
        params = torch.zeros(4, x.size(1))
        for row, value in enumerate(knobs):
            params[row] = value
    outputs = []
    with torch.no_grad():
        for start in range(0, x.size(1) - buffer_size + 1, buffer_size):
            block = slice(start, start + buffer_size)
            outputs.append(adapter(x[:, block], params[:, block]).clone())
    delay = adapter.calc_buffering_delay_samples() + adapter.calc_model_delay_samples()
    return torch.cat(outputs, dim=1), delay


@pytest.fixture
def stream() -> StreamFn:
    """``stream(model, x, knobs, sample_rate=48000, buffer_size=128) -> (output, delay)``."""
    return _stream


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run each test on one torch thread (the machines running the suite share their cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
