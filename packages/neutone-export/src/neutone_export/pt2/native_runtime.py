"""The C++ runtime of the pt2 package (``native/pt2_runtime.{h,cpp}``) driven from Python.

The runtime is the embeddable class a plugin compiles in; ``native/pt2_main.cpp`` wraps it in a
small program that loads a package, streams a raw file through it, or times its calls. That
program is built on first use like the `.nm` host (`neutone_export.native.build`: against the torch
wheel, in a private cache, checked before each run), and answers with one JSON object.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from neutone_export.audio.host import N_KNOBS
from neutone_export.native.build import NativeHostError, NativeProgram, build_program, run_program
from neutone_export.native.host import (
    NativeTiming,
    stream_through_program,
    timing_arguments,
    timing_from_output,
    write_raw,
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


@dataclass(frozen=True)
class HostSession:
    """One host session for `stream_sessions_native`: input ``(ch, n)``, host rate, buffer sizes
    (summing to n), knob rows ``(4, n)`` (None: 0.5 everywhere) and the buffer to reset before."""

    x: Tensor
    sample_rate: int
    sizes: List[int]
    params: Optional[Tensor] = None
    reset_at: Optional[int] = None


def stream_sessions_native(
    package_dir: str | os.PathLike[str], sessions: Sequence[HostSession]
) -> List[Tuple[Tensor, int]]:
    """`stream_package_native` for each session, each through a fresh runtime, in ONE process of
    the C++ driver: starting it (loading libtorch) costs more than a session of a small model."""
    path = Path(package_dir)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = []
        for index, session in enumerate(sessions):
            n = session.x.size(1)
            if sum(session.sizes) != n:
                raise ValueError(
                    f"stream_sessions_native: session {index}: sizes sum to {sum(session.sizes)}, "
                    f"the input has {n} samples"
                )
            knobs = torch.full((N_KNOBS, n), 0.5) if session.params is None else session.params
            files = [folder / f"{index}.{name}" for name in ("in.f32", "knobs.f32", "sizes.i32")]
            write_raw(files[0], session.x.to(torch.float32))
            write_raw(files[1], knobs.to(torch.float32))
            write_raw(files[2], torch.tensor(session.sizes, dtype=torch.int32))
            reset_at = -1 if session.reset_at is None else session.reset_at
            fields = [session.sample_rate, session.x.size(0), reset_at, *files]
            lines.append("\t".join(map(str, [*fields, folder / f"{index}.out.f32"])))
        requests = folder / "requests.tsv"
        requests.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        answers = _run(["sessions", "--package", str(path), "--requests", str(requests)], path)
        results = []
        for index, (session, answer) in enumerate(zip(sessions, answers["sessions"], strict=True)):
            raw = (folder / f"{index}.out.f32").read_bytes()
            out = torch.frombuffer(bytearray(raw), dtype=torch.float32)
            n = session.x.size(1)
            results.append(
                (out.reshape(int(answer["out_channels"]), n), int(answer["reported_delay"]))
            )
    return results


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
