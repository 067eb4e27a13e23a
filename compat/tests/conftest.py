"""Files for the compatibility tests, made once a session in temporary folders.

`ours`: every example model of `neutone-examples` exported by `save_neutone_model`, as a user
would. `reference_verdicts`: the reference Neutone SDK 1.5.2's loader on each of them, one
process per file (`compat/reference_judge.py`; its schema leaks between loads in one process).
`reference_files`: models exported by the reference itself (`compat/make_reference_models.py`,
run here in the `compat` environment).
"""

import json
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Union

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_examples.registry import ALL_EXAMPLES
from neutone_export import save_neutone_model

COMPAT_DIR = Path(__file__).resolve().parents[1]
JUDGE_WORKERS = 2  # reference processes at once: each spends its first seconds importing torch


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


@pytest.fixture(scope="session")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Every example (and `StereoToMono`) exported once: name -> `model.nm`, or the one-line
    reason why a model cannot be built here (an optional extra it needs is missing)."""
    out = tmp_path_factory.mktemp("ours")
    paths: Dict[str, Union[Path, str]] = {}
    for name, build in MODELS.items():
        try:
            model = build()
        except ValueError as error:  # e.g. `nam` needs the extra neutone-examples[nam]
            if "not installed" not in str(error):
                raise
            paths[name] = str(error)
            continue
        report = save_neutone_model(model, out / name, quiet=True)
        assert report.passed, f"{name}: {[c.message for c in report.failures]}"
        paths[name] = out / name / "model.nm"
    return paths


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


@pytest.fixture(scope="session")
def reference_verdicts(ours: Dict[str, Union[Path, str]]) -> Dict[str, Dict[str, Any]]:
    """The reference loader's verdict on each of `ours`, each file in a process of its own."""
    built = {name: path for name, path in ours.items() if isinstance(path, Path)}
    with ThreadPoolExecutor(max_workers=JUDGE_WORKERS) as pool:
        verdicts = pool.map(lambda path: _judge([path])[0], built.values())
        return dict(zip(built, verdicts, strict=True))


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
