"""Per-call cost of the scripted `RealtimeAdapter` beside a bare call and the Neutone SDK 1.5.2.

Every case wraps a stereo identity model with 0, 1 or 4 knobs and calls it as the plugin does,
``forward(x, params)`` with ``params`` either ``None`` or a ``(4, n)`` tensor of knob positions that
change every sample. Knobs over [0, 1] need no mapping; a row with four knobs of different ranges
(a gain in dB, a mix, a cutoff in Hz, a bias) shows the cost of the mapping. "vs 0 knobs" is ours
minus the same path with no knobs and the same ``params`` (the plugin always sends ``(4, n)``).
Three host / model pairings:

- matched: host 48000 Hz / 128, model any size at 48000 Hz (the host buffer is the block);
- queued: host 48000 Hz / 128, model 48000 Hz / 512 (blocks gathered in a queue);
- resampled: host 44100 Hz / 128, model 48000 Hz / 2048 (two resamplers and the queues).

In one process and interleaved round by round (so drift affects all alike): a bare scripted
identity call, ours, and the same identity wrapped by the reference SDK
(``neutone_sdk.WaveformToWaveformBase`` in its ``SampleQueueWrapper``, scripted by
``neutone_sdk.utils.model_to_torchscript``). The resampled case also times our two resamplers alone,
fed as the adapter feeds them, so that the adapter's own cost can be told apart from theirs.

Run: ``python packages/neutone-core/benchmarks/bench_adapter.py [--rounds R] [--calls C]
[--statistic median|min]`` (prints a markdown table; needs ``neutone-sdk==1.5.2`` for the reference
column). On a busy machine ``--statistic min`` shows the undisturbed cost.
"""

import argparse
import logging
import statistics
import time
import warnings
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, RealtimeAdapter, StreamingResampler
from neutone_core import WaveformToWaveformBase as OurBase

HOST_BS = 128
# label, host rate, model rates, model buffer sizes
PATHS = [
    ("matched", 48000, [48000], []),
    ("queued", 48000, [48000], [512]),
    ("resampled", 44100, [48000], [2048]),
]
UNIT = [(0.0, 1.0)] * 4  # knobs over [0, 1] need no mapping
MIXED = [(-24.0, 24.0), (0.0, 1.0), (20.0, 20000.0), (-1.0, 3.0)]  # mapped on every call
# label, knob count, knob ranges
KNOBS = [("0", 0, UNIT), ("1", 1, UNIT), ("4", 4, UNIT), ("4 mixed", 4, MIXED)]


class Described:
    """The metadata getters both SDKs ask for, shared by the two identity wrappers."""

    def get_model_name(self) -> str:
        return "identity"

    def get_model_authors(self) -> List[str]:
        return ["bench"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "identity"

    def get_model_long_description(self) -> str:
        return ""

    def get_technical_description(self) -> str:
        return ""

    def get_tags(self) -> List[str]:
        return []

    def is_experimental(self) -> bool:
        return False

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False


def ours(
    n_knobs: int, spans: List[Tuple[float, float]], rates: List[int], sizes: List[int]
) -> torch.jit.ScriptModule:
    """Our adapter around an identity with `n_knobs` knobs over `spans`, scripted."""

    class Identity(Described, OurBase):
        rates: List[int]
        sizes: List[int]

        def __init__(self) -> None:
            super().__init__(nn.Identity())
            self.rates = rates
            self.sizes = sizes
            self.knobs = [
                NeutoneParameter(f"k{i}", "", (low + high) / 2, min_value=low, max_value=high)
                for i, (low, high) in enumerate(spans[:n_knobs])
            ]

        def get_neutone_parameters(self) -> list:
            return self.knobs

        def get_native_sample_rates(self) -> List[int]:
            return self.rates

        def get_native_buffer_sizes(self) -> List[int]:
            return self.sizes

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x

    return torch.jit.script(RealtimeAdapter(Identity()))


def reference(
    n_knobs: int, spans: List[Tuple[float, float]], rates: List[int], sizes: List[int]
) -> torch.jit.ScriptModule:
    """The same identity wrapped and scripted by the Neutone SDK 1.5.2."""
    import neutone_sdk
    from neutone_sdk.utils import model_to_torchscript

    class Identity(Described, neutone_sdk.WaveformToWaveformBase):
        # TorchScript reads the class's own annotations only: restate the base class's.
        __annotations__ = {
            **neutone_sdk.WaveformToWaveformBase.__annotations__,
            "rates": List[int],
            "sizes": List[int],
        }

        def __init__(self) -> None:
            # Set before the base constructor: it reads the getters.
            self.rates = rates
            self.sizes = sizes
            self.knobs = [
                neutone_sdk.ContinuousNeutoneParameter(f"k{i}", "", (low + high) / 2, low, high)
                for i, (low, high) in enumerate(spans[:n_knobs])
            ]
            super().__init__(nn.Identity())

        def get_neutone_parameters(self) -> list:
            return self.knobs

        def get_native_sample_rates(self) -> List[int]:
            return self.rates

        def get_native_buffer_sizes(self) -> List[int]:
            return self.sizes

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x

    return model_to_torchscript(neutone_sdk.SampleQueueWrapper(Identity()))


class BareIdentity(nn.Module):
    """What the bare model call costs: the identity's forward, scripted."""

    def forward(self, x: Tensor, params: Optional[Tensor] = None) -> Tensor:
        return x


class ResamplersOnly(nn.Module):
    """Our two converters of the resampled case, fed as the adapter feeds them."""

    def __init__(self, host: int, native: int, block: int) -> None:
        super().__init__()
        self.r_in = StreamingResampler(host, native, 2)
        self.r_out = StreamingResampler(native, host, 2)
        self.r_in.configure(host, native, 0, HOST_BS)
        self.r_out.configure(native, host, 0, block)
        self.block = block
        self.pending = 0
        self.buf = torch.zeros(2, block)

    def forward(self, x: Tensor) -> Tensor:
        y = self.r_in(x)
        self.pending += y.size(1)
        if self.pending >= self.block:
            self.pending -= self.block
            self.r_out(self.buf)
        return x


STATISTICS: Dict[str, Callable[[List[float]], float]] = {
    "median": statistics.median,
    # On a machine shared with other work the fastest round is the one least disturbed.
    "min": min,
}


def per_call_us(
    fns: Dict[str, Callable[[], object]], rounds: int, calls: int, statistic: str
) -> Dict[str, float]:
    """Per-call time in microseconds: `statistic` over rounds of the mean of `calls` calls; the
    functions interleave round by round."""
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm up: the profiling executor optimises after a few calls
        for _ in range(5 * calls):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter_ns() - t0) / calls / 1000.0)
    return {k: STATISTICS[statistic](v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # Short rounds: on a shared machine, many of them escape the other work's time slices.
    parser.add_argument("--rounds", type=int, default=120)
    parser.add_argument("--calls", type=int, default=32)
    parser.add_argument("--statistic", choices=sorted(STATISTICS), default="median")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=FutureWarning)  # TorchScript's deprecation notice
    logging.getLogger("neutone_sdk").setLevel(logging.ERROR)
    logging.getLogger("neutone_sdk.utils").setLevel(logging.ERROR)
    bare = torch.jit.script(BareIdentity())
    x = torch.randn(2, HOST_BS)
    knobs = torch.rand(4, HOST_BS)  # a new position every sample
    rows = [
        (
            "| path | knobs | params | bare | ours | ours - bare | resamplers "
            "| ours' own | vs 0 knobs | SDK 1.5.2 | SDK - bare |"
        ),
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with torch.inference_mode():
        for label, host_sr, rates, sizes in PATHS:
            fns: Dict[str, Callable[[], object]] = {}
            if label == "resampled":
                conv = torch.jit.script(ResamplersOnly(host_sr, rates[0], sizes[0]))
                fns["resamplers"] = lambda conv=conv: conv(x)
            no_knobs: Dict[bool, float] = {}  # ours with 0 knobs, by `params is None`
            for knob_label, k, spans in KNOBS:
                for params in (None, knobs) if spans is UNIT else (knobs,):
                    # Fresh modules per row: TorchScript specialises a graph on the first calls'
                    # inputs, and a module profiled with `None` runs slower with a tensor.
                    a = ours(k, spans, rates, sizes)
                    r = reference(k, spans, rates, sizes)
                    a.set_daw_sample_rate_and_buffer_size(host_sr, HOST_BS)
                    r.set_daw_sample_rate_and_buffer_size(host_sr, HOST_BS)
                    fns["bare"] = lambda params=params: bare(x, params)
                    fns["ours"] = lambda a=a, params=params: a(x, params)
                    fns["ref"] = lambda r=r, params=params: r(x, params)
                    t = per_call_us(fns, args.rounds, args.calls, args.statistic)
                    over = t["ours"] - t["bare"]
                    conv_us = t.get("resamplers", 0.0)
                    if k == 0:
                        no_knobs[params is None] = over
                    rows.append(
                        f"| {label} | {knob_label} | "
                        f"{'None' if params is None else '(4, n)'} | {t['bare']:.1f} | "
                        f"{t['ours']:.1f} | {over:.1f} | {conv_us:.1f} | {over - conv_us:.1f} | "
                        f"{over - no_knobs[params is None]:+.1f} | "
                        f"{t['ref']:.1f} | {t['ref'] - t['bare']:.1f} |"
                    )
    print(
        f"torch {torch.__version__}, 1 thread, host buffer {HOST_BS}, {args.statistic} of "
        f"{args.rounds} rounds x {args.calls} calls, microseconds per call; ours' own = ours - "
        "bare - our two resamplers alone (fed as the adapter feeds them)\n"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
