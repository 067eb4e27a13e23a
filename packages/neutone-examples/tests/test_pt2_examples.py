"""Every realtime example either gets a pt2 package whose Python runtime streams as its `.nm`
does, or one line saying why torch.export cannot capture it (which construct, which module).

Each example is captured and compiled once per module (compiles take tens of seconds).
"""

import math
from pathlib import Path
from typing import Dict, Union

import pytest
import torch

from neutone_examples.registry import EXAMPLES, build_example
from neutone_export import script_neutone_model
from neutone_export.audio.host import configure, noise, random_sizes, reported_delay, stream
from neutone_export.pt2.capture import PackageExportError
from neutone_export.pt2.package import MANIFEST, write_package
from neutone_export.pt2.runtime import PackageRuntime
from neutone_export.suite.compare import (
    NUMERIC_TOLERANCE,
    Comparison,
    compare_streams,
    run_from_same_rng,
)
from neutone_export.suite.context import CheckContext
from neutone_export.suite.pt2 import PT2_CHECKS
from neutone_export.suite.runner import run_checks

Outcome = Union[Path, str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Outcome]:
    """Example name -> its package folder, or the one line of why it has none (filled lazily)."""
    return {"": tmp_path_factory.mktemp("pt2")}


def outcome(outcomes: Dict[str, Outcome], name: str) -> Outcome:
    if name not in outcomes:
        root = outcomes[""]
        assert isinstance(root, Path)
        try:
            outcomes[name] = write_package(build_example(name), root / name)
        except PackageExportError as error:
            outcomes[name] = str(error)
    return outcomes[name]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_is_packaged_or_says_why_in_one_line(
    outcomes: Dict[str, Outcome], name: str
) -> None:
    result = outcome(outcomes, name)
    if isinstance(result, Path):
        assert (result / MANIFEST).is_file()
        return
    assert "\n" not in result
    assert result.startswith("torch.export cannot capture ")
    assert "module `" in result


@pytest.mark.parametrize("name", ["clipper", "native_rate", "ported_delayed_passthrough"])
def test_these_examples_are_packaged(outcomes: Dict[str, Outcome], name: str) -> None:
    assert isinstance(outcome(outcomes, name), Path), outcome(outcomes, name)


def session(runtime: PackageRuntime, module: torch.nn.Module, rate: int, seed: int) -> Comparison:
    """A quarter second of noise in random host buffers of 0..2048, through both."""
    generator = torch.Generator().manual_seed(seed)
    n = rate // 4
    x = noise(n, seed, amplitude=0.5)
    knobs = torch.rand(4, 1, generator=generator).expand(4, n).contiguous()
    sizes = random_sizes(n, 2048, generator)
    configure(runtime, rate, 2048)
    configure(module, rate, 2048)
    assert reported_delay(runtime) == reported_delay(module)
    expected, found = run_from_same_rng(
        lambda: stream(module, x, sizes, knobs), lambda: stream(runtime, x, sizes, knobs)
    )
    return compare_streams(expected, found, NUMERIC_TOLERANCE, relative=True)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_runtime_streams_as_the_nm(outcomes: Dict[str, Outcome], name: str) -> None:
    folder = outcome(outcomes, name)
    if not isinstance(folder, Path):
        pytest.skip(f"no package: {folder}")
    runtime = PackageRuntime(folder)
    module = script_neutone_model(build_example(name))
    for seed, rate in enumerate((44100, 48000, 96000)):
        comparison = session(runtime, module, rate, seed)
        assert comparison.agree, f"{rate} Hz: {comparison.problem}"


def test_clipper_passes_the_package_checks(outcomes: Dict[str, Outcome]) -> None:
    folder = outcome(outcomes, "clipper")
    assert isinstance(folder, Path)
    module = script_neutone_model(build_example("clipper"))
    context = CheckContext(module=module, seconds=0.1, package_dir=folder)
    results = run_checks(PT2_CHECKS, context)
    assert [result.name for result in results] == [
        "pt2_load",
        "pt2_streaming",
        "pt2_delay",
        "pt2_reset",
    ]
    for result in results:
        assert result.passed and not result.skipped, f"{result.name}: {result.message}"
        assert result.figure is not None and math.isfinite(result.figure)
