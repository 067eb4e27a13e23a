"""A native host: load and call a `.nm` from C++ libtorch, as the Neutone plugin does.

Python timings carry the interpreter's own cost per call (about 2 us for a bare scripted identity),
which is the order of the adapter overhead we optimise, and a file that calls a Python-only or
torchaudio op loads in Python but fails in the plugin. The runner in ``native/neutone_host.cpp``
answers both: it loads the file with ``torch::jit::load`` (``metadata.json`` read through the
extra-files map), sets the host's settings, then calls ``forward`` from a loop with preallocated
input and knob tensors, under ``NoGradGuard`` with one intra-op thread, timing each call with a
steady clock and counting CPU allocations with a counting allocator.

It is compiled on first use against the libtorch inside the installed torch wheel, into a
private cache folder, and checked before every run (`neutone_export.native.build`). It lives in
neutone-export, not neutone-bench, because ``neutone-export check --host native`` needs it and
export may not import bench.
"""

from __future__ import annotations

import ctypes
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from neutone_export.audio.host import N_KNOBS
from neutone_export.native.build import (
    NativeHostError,
    NativeProgram,
    build_program,
    program_path,
    run_program,
)

PROGRAM = NativeProgram("neutone_host", ("neutone_host.cpp",))
__all__ = [
    "NativeHostError",
    "NativeTiming",
    "build_runner",
    "runner_path",
    "stream_native",
    "time_native",
    "write_raw",
]


@dataclass(frozen=True)
class NativeTiming:
    """Per-call figures of one timed run in the native host.

    ``times_s[i]`` is the wall time of timed call ``i`` in seconds; ``allocations[i]`` and
    ``allocated_bytes[i]`` count the CPU allocations that call made (the model's own ops included).
    ``warmup_s`` holds the warm-up calls' times, made first and kept apart.
    """

    times_s: List[float]
    allocations: List[int]
    allocated_bytes: List[int]
    load_ms: float
    reported_delay: int
    threads: int
    warmup_s: List[float] = field(default_factory=list)


def runner_path() -> Path:
    """Where the runner for this source and this torch lives (it may not be built yet)."""
    return program_path(PROGRAM)


def build_runner() -> Path:
    """The path of the compiled, checked runner, compiling it first if there is none (or the one
    there fails the cache's checks). Raises `NativeHostError` with the compiler's first error."""
    return build_program(PROGRAM)


def _run(arguments: List[str], model_path: Path) -> dict:
    result = run_program(PROGRAM, arguments)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        message = message.removeprefix("neutone_host: ")
        raise NativeHostError(f"{model_path} fails in plain libtorch: {message}")
    return json.loads(result.stdout)


def time_native(
    model_path: str | os.PathLike[str],
    sample_rate: int,
    buffer_size: int,
    calls: int,
    warmup: int = 10,
    knobs: bool = True,
    pin_cpu: Optional[int] = None,
    seed: int = 0,
    repetitions: int = 1,
) -> NativeTiming:
    """Time `calls` host buffers of `buffer_size` samples at `sample_rate` Hz in the native host.

    The host is a stereo track; `knobs` passes ``(4, buffer_size)`` knob tensors (else None);
    `pin_cpu` pins the runner to one core. After `warmup` calls, `repetitions` runs of `calls`
    calls are timed, the model reset before each (``times_s`` holds ``repetitions * calls``).
    Raises `NativeHostError` when the file does not load or run in plain libtorch, naming the
    loader's message.
    """
    path = Path(model_path)
    arguments = timing_arguments(
        "time_native", "--model", path, sample_rate, buffer_size, calls, warmup, knobs, pin_cpu,
        seed, repetitions,
    )  # fmt: skip
    return timing_from_output(_run(arguments, path))


def timing_arguments(
    caller: str,
    subject_option: str,
    path: Path,
    sample_rate: int,
    buffer_size: int,
    calls: int,
    warmup: int,
    knobs: bool,
    pin_cpu: Optional[int],
    seed: int,
    repetitions: int,
) -> List[str]:
    """The `time` command line both native programs take (`subject_option` names the file:
    ``--model`` for a `.nm`, ``--package`` for a pt2 package); bad counts refused for `caller`."""
    if calls < 1 or repetitions < 1 or warmup < 0:
        raise ValueError(
            f"{caller}: calls and repetitions must be >= 1 and warmup >= 0, got calls={calls}, "
            f"repetitions={repetitions}, warmup={warmup}"
        )
    return [
        "time",
        subject_option, str(path),
        "--sample-rate", str(sample_rate),
        "--buffer-size", str(buffer_size),
        "--calls", str(calls),
        "--warmup", str(warmup),
        "--repetitions", str(repetitions),
        "--knobs", "1" if knobs else "0",
        "--pin", str(-1 if pin_cpu is None else pin_cpu),
        "--seed", str(seed),
    ]  # fmt: skip


def timing_from_output(data: Dict[str, Any]) -> NativeTiming:
    """The figures of a native program's `time` answer (its JSON, times in nanoseconds)."""
    return NativeTiming(
        times_s=[t * 1e-9 for t in data["times_ns"]],
        allocations=list(data["allocs"]),
        allocated_bytes=list(data["alloc_bytes"]),
        load_ms=float(data["load_ms"]),
        reported_delay=int(data["reported_delay"]),
        threads=int(data["threads"]),
        warmup_s=[t * 1e-9 for t in data["warmup_ns"]],
    )


def write_raw(path: Path, values: Tensor) -> None:
    """The tensor's elements, row-major, as raw bytes (what the runner reads; no numpy needed)."""
    values = values.contiguous()
    path.write_bytes(ctypes.string_at(values.data_ptr(), values.numel() * values.element_size()))


def stream_native(
    model_path: str | os.PathLike[str],
    x: Tensor,
    sample_rate: int,
    sizes: List[int],
    params: Optional[Tensor] = None,
) -> tuple[Tensor, int]:
    """Feed `x` ``(ch, n)`` through the file in the native host, in host buffers of `sizes`.

    `params` is ``(4, n)`` in [0, 1] (None: 0.5 everywhere, the knobs' middle). The host is
    configured with the largest size as its maximum buffer. Returns the output ``(out_ch, n)`` and
    the delay the file reports at these settings, in host samples.
    """
    return stream_through_program(
        _run, "stream_native", "--model", Path(model_path), x, sample_rate, sizes, params
    )


def stream_through_program(
    run: Callable[[List[str], Path], Dict[str, Any]],
    caller: str,
    subject_option: str,
    path: Path,
    x: Tensor,
    sample_rate: int,
    sizes: List[int],
    params: Optional[Tensor],
    extra_arguments: Sequence[str] = (),
) -> tuple[Tensor, int]:
    """The `stream` request both native programs take (`subject_option` names the file, `run`
    runs the program): `x`, the knob rows (None: 0.5 everywhere, the knobs' middle) and the buffer
    sizes go through raw files; returns the output ``(out_ch, n)`` and the reported delay."""
    n = x.size(1)
    if sum(sizes) != n:
        raise ValueError(f"{caller}: sizes sum to {sum(sizes)}, the input has {n} samples")
    knob_rows = torch.full((N_KNOBS, n), 0.5) if params is None else params
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_raw(folder / "in.f32", x.to(torch.float32))
        write_raw(folder / "knobs.f32", knob_rows.to(torch.float32))
        write_raw(folder / "sizes.i32", torch.tensor(sizes, dtype=torch.int32))
        arguments = [
            "stream",
            subject_option, str(path),
            "--sample-rate", str(sample_rate),
            "--channels", str(x.size(0)),
            "--input", str(folder / "in.f32"),
            "--knobs-file", str(folder / "knobs.f32"),
            "--sizes", str(folder / "sizes.i32"),
            "--output", str(folder / "out.f32"),
            *extra_arguments,
        ]  # fmt: skip
        data = run(arguments, path)
        raw = (folder / "out.f32").read_bytes()
    out = torch.frombuffer(bytearray(raw), dtype=torch.float32)
    return out.reshape(int(data["out_channels"]), n), int(data["reported_delay"])
