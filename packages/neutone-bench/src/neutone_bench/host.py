"""The host settings a command accepts, and the delay split an adapter reports for them.

The host (a stereo DAW track) calls ``set_daw_sample_rate_and_buffer_size`` when its settings
change, then ``forward`` once per buffer of ``(2, buffer_size)`` samples with knob values
``(4, buffer_size)`` in [0, 1]. Calling the module goes through ``neutone_export.audio.host``;
this module adds what the commands need on top: settings checked against
``neutone_core.limits``, a refusal turned into a one-line ``SettingError``, and the delay split
read with ``get_delay_breakdown`` where the file has it (neutone models), with the two contract
methods otherwise (SDK 1.5 files).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch

from neutone_core.limits import check_buffer_size, check_sample_rate
from neutone_export.audio import host as export_host
from neutone_export.audio.host import N_KNOBS

#: Channels of the simulated host track.
HOST_CHANNELS = 2


class SettingError(ValueError):
    """The model refused a host setting."""


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` in one line: for a TorchScript error, the error line it ends with."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    for line in reversed(lines):
        if "Error: " in line:
            return line.split("Error: ", 1)[1]
    return lines[0]


def configure(module: torch.jit.ScriptModule, sample_rate: int, buffer_size: int) -> None:
    """Set the host's sample rate (Hz) and buffer size (samples); the adapter resets its state.

    A setting outside ``neutone_core.limits`` raises its ``LimitError``; one the model refuses,
    ``SettingError``.
    """
    check_sample_rate(sample_rate, "sample_rate")
    check_buffer_size(buffer_size, "buffer_size")
    try:
        export_host.configure(module, sample_rate, buffer_size)
    except (torch.jit.Error, RuntimeError, ValueError) as exc:
        raise SettingError(
            f"the model refused {sample_rate} Hz / {buffer_size} samples: {one_line(exc)}"
        ) from exc


@dataclass(frozen=True)
class DelayReport:
    """Delay in host samples at one setting, as the adapter reports it.

    ``resampling`` and ``look_ahead`` are ``None`` for files without ``get_delay_breakdown``
    (Neutone SDK 1.5), whose ``buffering`` then includes them.
    """

    sample_rate: int
    buffer_size: int
    buffering: int
    resampling: int | None
    look_ahead: int | None
    model: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary for JSON."""
        return asdict(self)


def reported_delay(
    module: torch.jit.ScriptModule, sample_rate: int, buffer_size: int
) -> DelayReport:
    """Configure the host setting and read the delay the adapter reports for it."""
    configure(module, sample_rate, buffer_size)
    if hasattr(module, "get_delay_breakdown"):
        parts = {str(k): int(v) for k, v in module.get_delay_breakdown().items()}
        return DelayReport(
            sample_rate=sample_rate,
            buffer_size=buffer_size,
            buffering=parts["buffering"],
            resampling=parts["resampling"],
            look_ahead=parts["look_ahead"],
            model=parts["model"],
            total=parts["total"],
        )
    return DelayReport(
        sample_rate=sample_rate,
        buffer_size=buffer_size,
        buffering=int(module.calc_buffering_delay_samples()),
        resampling=None,
        look_ahead=None,
        model=int(module.calc_model_delay_samples()),
        total=export_host.reported_delay(module),
    )


def random_buffers(
    buffer_size: int, count: int, seed: int
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """``count`` host buffers of random audio and as many of random knob values, for timing.

    Audio is uniform in [-1, 1), knobs uniform in [0, 1), all from one generator seeded with
    ``seed`` (every audio buffer drawn before the knobs). Shapes: ``(HOST_CHANNELS, buffer_size)``
    and ``(N_KNOBS, buffer_size)``.
    """
    gen = torch.Generator().manual_seed(seed)
    audio = [
        torch.rand(HOST_CHANNELS, buffer_size, generator=gen) * 2.0 - 1.0 for _ in range(count)
    ]
    knobs = [torch.rand(N_KNOBS, buffer_size, generator=gen) for _ in range(count)]
    return audio, knobs


@contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(num_threads)``, then restore the previous count.

    The plugin runs the model on the audio thread; one intra-op thread (the default of the
    commands) is what a DAW with many tracks gets.
    """
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
