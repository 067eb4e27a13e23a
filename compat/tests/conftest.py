"""Files for the compatibility tests, made once and shared.

`ours`: every example model of `neutone-examples` exported by `save_neutone_model`, as a user
would, taken from the export cache the examples cell fills (`tools/export_cache.py`: exported once
per content key, on first use). `reference_verdicts`: the reference Neutone SDK 1.5.2's loader on
each of them, one process per file (`compat/reference_judge.py`; its schema leaks between loads in
one process), kept beside the cache by the file's bytes, the judge's source and the SDK version.
`reference_files`: models exported by the reference itself (`compat/make_reference_models.py`,
run here in the `compat` environment). Both mappings are filled on first use of each name, so
pytest-xdist workers share the work instead of each doing all of it.
"""

import hashlib
import importlib.util
import json
import subprocess
import sys
import warnings
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Union

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_examples.registry import ALL_EXAMPLES

COMPAT_DIR = Path(__file__).resolve().parents[1]
EXPORT_CACHE_FILE = COMPAT_DIR.parent / "tools" / "export_cache.py"


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


@pytest.fixture(autouse=True, scope="session")
def _quiet_torchscript_notice() -> Iterator[None]:
    """One intra-op thread (a shared machine; a plugin runs one model per thread), and no
    TorchScript deprecation notice: loading TorchScript is what the plugin does."""
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.[a-z_]+` is deprecated", FutureWarning)
        yield


class StereoToMono(WaveformToWaveformBase):
    """Stereo in, mono out (the channel mean): the one layout no example model has."""

    def get_model_name(self) -> str:
        return "compat.stereo_to_mono"

    def get_model_authors(self) -> List[str]:
        return ["neutone compat tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Mixes stereo down to mono."

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return True

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x.mean(dim=0, keepdim=True)


MODELS: Dict[str, Callable[[], nn.Module]] = {
    **ALL_EXAMPLES,  # every example, realtime and non-realtime
    "stereo_to_mono": lambda: StereoToMono(nn.Identity()),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `model_name` runs once per model of `MODELS`."""
    if "model_name" in metafunc.fixturenames:
        metafunc.parametrize("model_name", list(MODELS))


class Exports(Mapping[str, Union[Path, str]]):
    """Model name -> exported `model.nm`, or the one-line reason why a model cannot be built
    here (an optional extra it needs is missing); each exported through the cache on first use."""

    def __init__(self) -> None:
        self.cache = load_export_cache().ExportCache()
        self.found: Dict[str, Union[Path, str, AssertionError]] = {}

    def __getitem__(self, name: str) -> Union[Path, str]:
        if name not in self.found:
            try:
                self.found[name] = self._export(name)
            except AssertionError as failed:  # every test that needs it fails, one export
                self.found[name] = failed
        found = self.found[name]
        if isinstance(found, AssertionError):
            raise found
        return found

    def _export(self, name: str) -> Union[Path, str]:
        build = MODELS[name]
        try:
            export = self.cache.get(name, build)
        except ValueError as error:  # e.g. `nam` needs the extra neutone-examples[nam]
            if "not installed" not in str(error):
                raise
            return str(error)
        assert export.report.passed, f"{name}: {[c.message for c in export.report.failures]}"
        return export.path

    def __iter__(self) -> Iterator[str]:
        return iter(MODELS)

    def __len__(self) -> int:
        return len(MODELS)


@pytest.fixture(scope="session")
def ours() -> Exports:
    """Every example (and `StereoToMono`) exported once: name -> `model.nm`, or the one-line
    reason why a model cannot be built here."""
    return Exports()


@pytest.fixture
def our_file(ours: Dict[str, Union[Path, str]], model_name: str) -> Path:
    """The exported file of `model_name`; skips, with the reason, a model this environment
    cannot build."""
    found = ours[model_name]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def _judge(paths: List[Path]) -> List[Dict[str, Any]]:
    """The reference loader's verdicts on `paths`, loaded in this order in ONE fresh process
    (`compat/reference_judge.py`; the tests pass one path, except to show the schema leak)."""
    script = COMPAT_DIR / "reference_judge.py"
    result = _run([sys.executable, str(script), *map(str, paths)])
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(verdicts) == len(paths), result.stdout + result.stderr
    return verdicts


@pytest.fixture(scope="session")
def judge_with_the_reference() -> Callable[[List[Path]], List[Dict[str, Any]]]:
    """Load paths in order in one fresh process of the reference: one verdict per path."""
    return _judge


class Verdicts(Mapping[str, Dict[str, Any]]):
    """Model name -> the reference loader's verdict on its file of `ours`, each file judged in a
    process of its own on first use, and kept by content: the file's bytes, the judge's source
    and the reference's version."""

    def __init__(self, ours: Exports) -> None:
        self.ours = ours
        self.found: Dict[str, Dict[str, Any]] = {}
        judge = (COMPAT_DIR / "reference_judge.py").read_bytes() + version("neutone-sdk").encode()
        self.judge_digest = hashlib.sha256(judge).hexdigest()

    def __getitem__(self, name: str) -> Dict[str, Any]:
        if name not in self.found:
            path = self.ours[name]
            if not isinstance(path, Path):
                raise KeyError(f"{name} is not built here: {path}")
            digest = hashlib.sha256(path.read_bytes() + self.judge_digest.encode()).hexdigest()
            root = self.ours.cache.root / "reference-verdicts"
            with load_export_cache().cached_json(root, f"{name}-{digest[:24]}") as verdict:
                if not verdict:
                    verdict.update(_judge([path])[0])
                self.found[name] = dict(verdict)
        return self.found[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name, path in self.ours.items() if isinstance(path, Path))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@pytest.fixture(scope="session")
def reference_verdicts(ours: Exports) -> Verdicts:
    """The reference loader's verdict on each of `ours`, each file in a process of its own."""
    return Verdicts(ours)


@pytest.fixture(scope="session")
def reference_files(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """The reference's own exports: name -> `model.nm`."""
    out = tmp_path_factory.mktemp("reference")
    script = COMPAT_DIR / "make_reference_models.py"
    result = _run([sys.executable, str(script), str(out)])
    assert result.returncode == 0, result.stdout + result.stderr
    return {path.parent.name: path for path in sorted(out.glob("*/model.nm"))}


def _run(command: List[str]) -> subprocess.CompletedProcess:
    # Callers assert on the return code themselves, with the output in the message.
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="session")
def run() -> Callable[[List[str]], subprocess.CompletedProcess]:
    """Run a command, capturing both streams as text; a bare tool name is this environment's
    console script (`neutone-export`, `neutone-bench`), `python` is this interpreter."""

    def run_command(command: List[str]) -> subprocess.CompletedProcess:
        program = command[0]
        if program == "python":
            program = sys.executable
        elif "/" not in program:
            program = str(Path(sys.executable).with_name(program))
        return _run([program, *command[1:]])

    return run_command
