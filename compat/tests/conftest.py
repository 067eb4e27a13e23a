"""Files for the compatibility tests, made once a session in temporary folders.

`ours`: every example model of `neutone-examples` exported by `save_neutone_model`, as a user
would. `reference_files`: models exported by the reference Neutone SDK 1.5.2 itself
(`compat/make_reference_models.py`, run here in the `compat` environment).
"""

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Dict, Iterator

import pytest
import torch

from neutone_examples.registry import build_example, example_names
from neutone_export import save_neutone_model

COMPAT_DIR = Path(__file__).resolve().parents[1]
REFERENCE_MODELS = ("clipper", "monoblocks")


@pytest.fixture(autouse=True, scope="session")
def _quiet_torchscript_notice() -> Iterator[None]:
    """One intra-op thread (a shared machine; a plugin runs one model per thread), and no
    TorchScript deprecation notice: loading TorchScript is what the plugin does."""
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.[a-z_]+` is deprecated", FutureWarning)
        yield


@pytest.fixture(scope="session")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Every example exported once: name -> `model.nm`."""
    out = tmp_path_factory.mktemp("ours")
    paths = {}
    for name in example_names():
        report = save_neutone_model(build_example(name), out / name, quiet=True)
        assert report.passed, f"{name}: {[c.message for c in report.failures]}"
        paths[name] = out / name / "model.nm"
    return paths


@pytest.fixture(scope="session")
def reference_files(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """The reference's own exports: name -> `model.nm`."""
    out = tmp_path_factory.mktemp("reference")
    script = COMPAT_DIR / "make_reference_models.py"
    result = run([sys.executable, str(script), str(out), *REFERENCE_MODELS])
    assert result.returncode == 0, result.stdout + result.stderr
    return {name: out / name / "model.nm" for name in REFERENCE_MODELS}


def run(command: list, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command, capturing both streams as text."""
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def tool(name: str) -> str:
    """The console script `name` of this environment."""
    return str(Path(sys.executable).with_name(name))
