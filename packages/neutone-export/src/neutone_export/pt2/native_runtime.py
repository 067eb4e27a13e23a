"""The C++ runtime of the pt2 package (``native/pt2_runtime.{h,cpp}``) driven from Python.

The runtime is the embeddable class a plugin compiles in; ``native/pt2_main.cpp`` wraps it in a
small program that loads a package, streams a raw file through it, or times its calls. That
program is built on first use like the `.nm` host (`neutone_export.native.build`: against the torch
wheel, in a private cache, checked before each run), and answers with one JSON object.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List, Optional

from torch import Tensor

from neutone_export.native.build import NativeHostError, NativeProgram, build_program, run_program
from neutone_export.native.host import (
    NativeTiming,
    stream_through_program,
    timing_arguments,
    timing_from_output,
)

PROGRAM = NativeProgram(
    "neutone_pt2",
    ("pt2_runtime.cpp", "pt2_main.cpp"),
    ("counting_allocator.h", "driver_util.h", "pt2_runtime.h"),
    ("torch", "torch_cpu", "c10"),  # an AOTInductor package's library needs libtorch itself
)


def build_pt2_runtime() -> Path:
    """The path of the checked driver binary, compiling it first if needed (`NativeHostError`)."""
    return build_program(PROGRAM)


def _run(arguments: List[str], package_dir: Path) -> dict:
    result = run_program(PROGRAM, arguments)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        message = lines[-1].removeprefix("neutone_pt2: ") if lines else f"exit {result.returncode}"
        raise NativeHostError(f"{package_dir} fails in the C++ runtime: {message}")
    return json.loads(result.stdout)


def load_package_native(package_dir: str | os.PathLike[str]) -> dict:
    """Load the package in C++: ``load_ms``, ``in_channels``, ``out_channels``, ``host_rates``."""
    path = Path(package_dir)
    return _run(["load", "--package", str(path)], path)


def stream_package_native(
    package_dir: str | os.PathLike[str],
    x: Tensor,
    sample_rate: int,
    sizes: List[int],
    params: Optional[Tensor] = None,
    reset_at: Optional[int] = None,
) -> tuple[Tensor, int]:
    """Feed `x` ``(ch, n)`` through the package in the C++ runtime, in host buffers of `sizes`.

    `params` is ``(4, n)`` in [0, 1] (None: 0.5 everywhere, as `stream_native` sends); the runtime
    is configured with the largest size as its maximum buffer, and reset before buffer `reset_at`
    when given. Returns the output ``(ch, n)`` and the delay the runtime reports, in host samples.
    """
    reset = ["--reset-at", str(-1 if reset_at is None else reset_at)]
    return stream_through_program(
        _run, "stream_package_native", "--package", Path(package_dir), x, sample_rate, sizes,
        params, reset,
    )  # fmt: skip


def time_package_native(
    package_dir: str | os.PathLike[str],
    sample_rate: int,
    buffer_size: int,
    calls: int,
    warmup: int = 10,
    knobs: bool = True,
    pin_cpu: Optional[int] = None,
    seed: int = 0,
    repetitions: int = 1,
) -> NativeTiming:
    """Time `calls` stereo host buffers of `buffer_size` samples through the C++ runtime, as
    `neutone_export.native.host.time_native` times a `.nm` (same figures, same meaning)."""
    path = Path(package_dir)
    arguments = timing_arguments(
        "time_package_native", "--package", path, sample_rate, buffer_size, calls, warmup, knobs,
        pin_cpu, seed, repetitions,
    )  # fmt: skip
    return timing_from_output(_run(arguments, path))
