"""Every realtime example either gets a pt2 package that streams as its `.nm` does, through the
Python runtime and through the C++ runtime, or one line saying why torch.export cannot capture it
(which construct, which module).

One test per example captures and compiles it once (compiles take tens of seconds), and the
package is shared by every test of this file that needs that example (`example_package`: one
compile per example per session, whichever xdist worker asks first), so that no example is
compiled twice.
"""

import math
from pathlib import Path
from typing import Callable

import pytest
import torch

from neutone_examples.registry import EXAMPLES, build_example
from neutone_export import script_neutone_model
from neutone_export.audio.host import configure, noise, random_sizes, reported_delay, stream
from neutone_export.pt2.capture import PackageExportError
from neutone_export.pt2.package import MANIFEST
from neutone_export.pt2.runtime import PackageRuntime
from neutone_export.suite.compare import (
    PACKAGE_TOLERANCE,
    Comparison,
    compare_streams,
    run_from_same_rng,
)
from neutone_export.suite.context import CheckContext
from neutone_export.suite.pt2 import PT2_CHECKS
from neutone_export.suite.pt2_native import PT2_NATIVE_CHECKS
from neutone_export.suite.runner import run_checks

# The examples torch.export cannot capture, and the construct their one line must name. A change
# that packages one of them, or loses the package of another, fails here until this is updated.
NOT_PACKAGED = {
    "nam": "torch.jit.ScriptModule",  # the NAM network is traced for TorchScript first
    "nam_lstm": "torch.jit.ScriptModule",
}


def python_session(
    runtime: PackageRuntime, module: torch.nn.Module, rate: int, seed: int
) -> Comparison:
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
    return compare_streams(expected, found, PACKAGE_TOLERANCE, relative=True)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_package_streams_as_the_nm_or_says_why_not(
    example_package: Callable[[str], Path], name: str
) -> None:
    try:
        folder = example_package(name)
    except PackageExportError as error:
        line = str(error)
        assert name in NOT_PACKAGED, f"{name} lost its package: {line}"
        assert "\n" not in line
        assert line.startswith("torch.export cannot capture ")
        assert "module `" in line and NOT_PACKAGED[name] in line
        return
    assert name not in NOT_PACKAGED, f"{name} is packaged now: drop it from NOT_PACKAGED"
    assert (folder / MANIFEST).is_file()
    module = script_neutone_model(build_example(name))

    runtime = PackageRuntime(folder)  # the Python runtime: core's adapter driving the package
    for seed, rate in enumerate((44100, 48000, 96000)):
        comparison = python_session(runtime, module, rate, seed)
        assert comparison.agree, f"Python runtime at {rate} Hz: {comparison.problem}"

    # The C++ runtime: 20 random host sessions at 44.1/48/96 kHz with buffers of 0..2048 and
    # moving knobs equal the .nm, the delay it reports is the .nm's and the measured one, reset.
    context = CheckContext(module=module, seconds=0.25, package_dir=folder)
    for result in run_checks(PT2_NATIVE_CHECKS, context):
        assert result.passed and not result.skipped, f"{result.name}: {result.message}"


def test_clipper_passes_the_python_package_checks(example_package: Callable[[str], Path]) -> None:
    folder = example_package("clipper")
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
