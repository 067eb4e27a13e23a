"""The C++ runtime's tables, computed from core's own objects so that both runtimes stay one design.

For every supported host rate an eager `RealtimeAdapter` of the wrapper is configured as a host
would configure the `.nm`, and what it chose is written down: the native rate and block size, the
output queue's priming, the delay breakdown, the knob sample-and-hold table of one period, and the
polyphase bank of each resampler (`neutone_core.resample.polyphase_bank` of the filter
`design_filter` designs) with its ratio, half-width and phase delay. The C++ runtime
(``native/pt2_runtime.cpp``) only applies them; it designs nothing.

Format of ``plan.bin`` (read without any JSON or pickle library): the line ``neutone-plan 1``, then
records, each one text line ``<name> <i64|f64> <count>`` followed by ``count`` little-endian 8-byte
values. Names: ``model.<field>`` for what holds at every rate, ``rate.<hz>.<field>`` per host rate,
``rate.<hz>.in.<field>`` and ``rate.<hz>.out.<field>`` for the host->native and native->host
resamplers (only when the rate resamples).
"""

import copy
import struct
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import torch

from neutone_core.adapter import RealtimeAdapter
from neutone_core.model import WaveformToWaveformBase
from neutone_core.resample import StreamingResampler, design_filter, polyphase_bank
from neutone_export.files.atomic import atomic_write_bytes

#: The host rates the package carries a plan for (the runtime refuses any other).
SUPPORTED_HOST_RATES: Tuple[int, ...] = (22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000)
PLAN_FILE = "plan.bin"
MAGIC = b"neutone-plan 1\n"
#: Host buffer the adapter is configured with while planning; no table depends on it.
_PLANNING_BUFFER = 2048

Record = Tuple[str, str, Sequence[Union[int, float]]]


def _ints(name: str, *values: int) -> Record:
    return (name, "i64", [int(v) for v in values])


def _resampler_records(prefix: str, resampler: StreamingResampler) -> List[Record]:
    """A configured resampler's ratio, phase delay and polyphase bank (rows of ``up`` phases).

    The bank is rounded to the dtype the resampler computes in (float32 but for "best"), so the
    C++ dot products use the very coefficients the `.nm` uses.
    """
    _, _, beta = design_filter(resampler.in_rate, resampler.out_rate, resampler.quality)
    bank = polyphase_bank(resampler.up, resampler.half_width, resampler.cutoff, beta)
    bank = bank.to(resampler.matrices.dtype).to(torch.float64)
    return [
        _ints(f"{prefix}.up", resampler.up),
        _ints(f"{prefix}.down", resampler.down),
        _ints(f"{prefix}.half_width", resampler.half_width),
        _ints(f"{prefix}.delay_units", resampler.delay_units),
        _ints(f"{prefix}.extra_delay", resampler.extra_delay),
        (f"{prefix}.bank", "f64", bank.reshape(-1).tolist()),
    ]


def _rate_records(adapter: RealtimeAdapter, rate: int) -> List[Record]:
    """What the adapter chose for a host at `rate` Hz."""
    adapter.set_daw_sample_rate_and_buffer_size(rate, _PLANNING_BUFFER)
    prefix = f"rate.{rate}"
    delays = adapter.get_delay_breakdown()
    records = [
        _ints(f"{prefix}.native_rate", adapter.native_sr),
        _ints(f"{prefix}.native_buffer_size", adapter.native_bs),
        _ints(f"{prefix}.resampling", int(adapter.resampling)),
        _ints(f"{prefix}.direct", int(adapter.direct)),
        _ints(f"{prefix}.priming", adapter.priming),
        _ints(
            f"{prefix}.delays",
            *(delays[key] for key in ("buffering", "resampling", "look_ahead", "model", "total")),
        ),
    ]
    if adapter.resampling:
        knobs = adapter.knobs
        records += [
            _ints(f"{prefix}.knob_ratio", knobs.up, knobs.down),
            _ints(f"{prefix}.knob_pre", knobs.pre),
            # Host column of native samples 0 .. up - 1; the table repeats, `down` columns later.
            _ints(f"{prefix}.knob_hold", *knobs.hold_list[: knobs.up]),
        ]
        records += _resampler_records(f"{prefix}.in", adapter.resampler_in)
        records += _resampler_records(f"{prefix}.out", adapter.resampler_out)
    return records


def runtime_plan(
    wrapper: WaveformToWaveformBase,
    resampling_quality: str,
    rates: Sequence[int] = SUPPORTED_HOST_RATES,
) -> List[Record]:
    """Every record of the plan, from an eager adapter of a copy of `wrapper` (left untouched)."""
    adapter = RealtimeAdapter(copy.deepcopy(wrapper), resampling_quality)
    defaults = adapter.knobs.defaults.view(-1)
    records: List[Record] = [
        _ints("model.channels", adapter.in_ch, adapter.out_ch),
        _ints("model.context", adapter.look_behind, adapter.look_ahead),
        _ints("model.knobs", adapter.knobs.n_knobs, adapter.knobs.rows),
        ("model.default_positions", "f64", defaults.to(torch.float64).tolist()),
        _ints("model.native_buffer_sizes", *adapter.native_bss),
        _ints("model.host_rates", *rates),
    ]
    for rate in rates:
        records += _rate_records(adapter, rate)
    return records


def encode_plan(records: Sequence[Record]) -> bytes:
    """The bytes of ``plan.bin`` (see the module docstring)."""
    parts = [MAGIC]
    for name, kind, values in records:
        if " " in name or kind not in ("i64", "f64"):
            raise ValueError(f"plan record {name!r}: names have no spaces, kinds are i64 or f64")
        parts.append(f"{name} {kind} {len(values)}\n".encode())
        parts.append(struct.pack(f"<{len(values)}{'q' if kind == 'i64' else 'd'}", *values))
    return b"".join(parts)


def decode_plan(data: bytes) -> Dict[str, List[Union[int, float]]]:
    """Name -> values of a ``plan.bin`` (what the C++ runtime reads; for tests and inspection)."""
    if not data.startswith(MAGIC):
        raise ValueError("not a neutone runtime plan: the first line must be 'neutone-plan 1'")
    plan: Dict[str, List[Union[int, float]]] = {}
    at = len(MAGIC)
    while at < len(data):
        end = data.index(b"\n", at)
        name, kind, count = data[at:end].decode().split(" ")
        at = end + 1
        size = int(count) * 8
        plan[name] = list(
            struct.unpack(f"<{count}{'q' if kind == 'i64' else 'd'}", data[at : size + at])
        )
        at += size
    return plan


def write_runtime_plan(
    wrapper: WaveformToWaveformBase, folder: Path, resampling_quality: str
) -> None:
    """Write the runtime's tables for every supported host rate into `folder` (which exists),
    through a temporary file renamed into place like every export file."""
    atomic_write_bytes(
        Path(folder) / PLAN_FILE, encode_plan(runtime_plan(wrapper, resampling_quality))
    )
