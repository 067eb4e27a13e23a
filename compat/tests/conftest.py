"""Files for the compatibility tests, made once and shared.

`ours`: every example model of `neutone-examples` exported by `save_neutone_model`, as a user
would, taken from the export cache the examples cell fills (`tools/export_cache.py`: exported once
per content key, on first use, with one short demo clip). `reference_verdicts`: the reference
Neutone SDK 1.5.2's loader on each of them, one process per file (`compat/reference_judge.py`; its
schema leaks between loads in one process), kept beside the cache by the file's bytes, the judge's
source and the SDK version.
`reference_files`: models exported by the reference itself (`compat/make_reference_models.py`,
run here in the `compat` environment), kept beside the cache by the script's source and the
versions of the reference and torch. Every script of the reference runs in a fork of one warm
interpreter per worker (`reference_python`, `compat/reference_forkserver.py`): a process of its
own that starts with torch and neutone_sdk already imported. Both mappings are filled on first use
of each name, so pytest-xdist workers share the work instead of each doing all of it.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_examples.registry import ALL_EXAMPLES
from neutone_export.files.locking import exclusive_lock

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


# Only compat exports these through the cache (the examples cell checks them in test_nam.py), and
# their exports take longest.
NAM_MODELS = ("nam", "nam_lstm")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `model_name` runs once per model of `MODELS`, the NAM examples first: their
    exports take longest, so the two xdist workers start one each while the rest follow."""
    if "model_name" in metafunc.fixturenames:
        names = sorted(MODELS, key=lambda name: name not in NAM_MODELS)
        metafunc.parametrize("model_name", names)


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


class ReferencePython:
    """`python ARGV` in the reference's environment, as `subprocess.run` runs it, but in a fresh
    fork of one interpreter that has imported torch and neutone_sdk once
    (`compat/reference_forkserver.py`): each script is a process of its own, without the seconds
    of importing them again."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.server: Optional[subprocess.Popen] = None  # started on the first run

    def _start(self) -> subprocess.Popen:
        with self.log.open("wb") as log:  # the child keeps its own copy of the descriptor
            server = subprocess.Popen(
                [sys.executable, str(COMPAT_DIR / "reference_forkserver.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, "OMP_NUM_THREADS": "1"},  # no thread pool before any fork
                text=True,
            )
        self.server = server
        assert self._answer(server) == {"ready": True}
        return server

    def _answer(self, server: subprocess.Popen) -> Dict[str, Any]:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line, f"the reference fork server stopped: {self.log.read_text(errors='replace')}"
        return json.loads(line)

    def run(self, argv: List[str]) -> subprocess.CompletedProcess:
        """`python ARGV` (a script and its arguments, or `-m MODULE ...`) in a fresh fork."""
        server = self.server or self._start()
        assert server.stdin is not None
        server.stdin.write(json.dumps({"argv": argv}) + "\n")
        server.stdin.flush()
        done = self._answer(server)
        return subprocess.CompletedProcess(
            ["python", *argv], done["returncode"], done["stdout"], done["stderr"]
        )

    def close(self) -> None:
        """End the server (its stdin closed, it returns) if it was started."""
        if self.server is not None and self.server.stdin is not None:
            self.server.stdin.close()
            self.server.wait(timeout=60)
            assert self.server.stdout is not None
            self.server.stdout.close()


@pytest.fixture(scope="session")
def reference_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferencePython]:
    """Run a script of the reference (`python ARGV`) in a process of its own, started warm."""
    python = ReferencePython(tmp_path_factory.mktemp("forkserver") / "stderr.log")
    yield python
    python.close()


Judge = Callable[[List[Path]], List[Dict[str, Any]]]


def _judge(python: ReferencePython, paths: List[Path]) -> List[Dict[str, Any]]:
    """The reference loader's verdicts on `paths`, loaded in this order in ONE fresh process
    (`compat/reference_judge.py`; the tests pass one path, except to show the schema leak)."""
    result = python.run([str(COMPAT_DIR / "reference_judge.py"), *map(str, paths)])
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(verdicts) == len(paths), result.stdout + result.stderr
    return verdicts


@pytest.fixture(scope="session")
def judge_with_the_reference(reference_python: ReferencePython) -> Judge:
    """Load paths in order in one fresh process of the reference: one verdict per path."""
    return lambda paths: _judge(reference_python, paths)


class Verdicts(Mapping[str, Dict[str, Any]]):
    """Model name -> the reference loader's verdict on its file of `ours`, each file judged in a
    process of its own on first use, and kept by content: the file's bytes, the judge's source
    and the reference's version."""

    def __init__(self, ours: Exports, python: ReferencePython) -> None:
        self.ours = ours
        self.python = python
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
                    verdict.update(_judge(self.python, [path])[0])
                self.found[name] = dict(verdict)
        return self.found[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name, path in self.ours.items() if isinstance(path, Path))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@pytest.fixture(scope="session")
def reference_verdicts(ours: Exports, reference_python: ReferencePython) -> Verdicts:
    """The reference loader's verdict on each of `ours`, each file in a process of its own."""
    return Verdicts(ours, reference_python)


@pytest.fixture(scope="session")
def reference_files(reference_python: ReferencePython) -> Dict[str, Path]:
    """The reference's own exports: name -> `model.nm`, made once per content (the script, the
    reference's and torch's versions) and kept beside the export cache for every worker."""
    script = COMPAT_DIR / "make_reference_models.py"
    made_by = script.read_bytes() + f"{version('neutone-sdk')} {torch.__version__}".encode()
    root = load_export_cache().cache_root() / "reference-models"
    folder = root / hashlib.sha256(made_by).hexdigest()[:24]
    root.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(root / f".{folder.name}.lock"):
        if not folder.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=f".staging-{folder.name}-", dir=root))
            try:
                result = reference_python.run([str(script), str(staging)])
                assert result.returncode == 0, result.stdout + result.stderr
                staging.rename(folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # gone once renamed
    return {path.parent.name: path for path in sorted(folder.glob("*/model.nm"))}
