"""Per-call cost of the scripted `RealtimeAdapter` around an identity model, beside the bare model.

For each host buffer size the adapter and the bare (scripted) identity model run on the same buffer
in the same process, interleaved in rounds of `CALLS` calls, so drift affects both alike. The
mismatch case (host 44100 Hz / 128, model 48000 Hz / 2048) also times the two resamplers alone, fed
the same way, so the overhead of queueing can be told apart from the converter's own cost.

Run: ``python packages/neutone-core/benchmarks/bench_adapter.py`` (prints a markdown table).
"""

import statistics
import time
from typing import Callable, Dict, List

import torch
from torch import Tensor, nn

from neutone_core import RealtimeAdapter, StreamingResampler, WaveformToWaveformBase

ROUNDS = 30
CALLS = 200


class Identity(WaveformToWaveformBase):
    """Stereo identity model with configurable native settings."""

    def __init__(self, rates: List[int], sizes: List[int]) -> None:
        super().__init__(nn.Identity())
        self.rates = rates
        self.sizes = sizes

    def get_model_name(self) -> str:
        return "identity"

    def get_model_authors(self) -> List[str]:
        return ["bench"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "identity"

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return self.rates

    def get_native_buffer_sizes(self) -> List[int]:
        return self.sizes

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x


class BareIdentity(nn.Module):
    """What the bare model call costs: ``do_forward_pass`` of the identity, scripted."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class ResamplersOnly(nn.Module):
    """The two converters of the mismatch case fed as the adapter feeds them."""

    def __init__(self, host: int, native: int, block: int) -> None:
        super().__init__()
        self.r_in = StreamingResampler(host, native, 2)
        self.r_out = StreamingResampler(native, host, 2)
        self.r_in.set_max_input_size(4096)
        self.r_out.set_max_input_size(block)
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


def _per_call_us(fns: Dict[str, Callable[[], object]]) -> Dict[str, float]:
    """Median over rounds of the mean per-call time, in microseconds; the functions interleave."""
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm up: the profiling executor optimises after a few calls
        for _ in range(5 * CALLS):
            fn()
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            t0 = time.perf_counter_ns()
            for _ in range(CALLS):
                fn()
            times[name].append((time.perf_counter_ns() - t0) / CALLS / 1000.0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    torch.set_num_threads(1)
    bare = torch.jit.script(BareIdentity())
    matched = torch.jit.script(RealtimeAdapter(Identity([48000], [])))
    queued = torch.jit.script(RealtimeAdapter(Identity([48000], [512])))
    rows = [
        "| case | host sr / bs | native sr / bs | bare model (us) | adapter (us) | overhead (us) |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    with torch.inference_mode():
        for bs in (32, 64, 128, 256, 512, 1024, 2048):
            x = torch.randn(2, bs)
            for label, adapter in (("matched", matched), ("queue 512", queued)):
                adapter.set_daw_sample_rate_and_buffer_size(48000, bs)
                t = _per_call_us(
                    {
                        "bare": lambda x=x: bare(x),
                        "adapter": lambda x=x, adapter=adapter: adapter(x),
                    }
                )
                native = f"48000 / {adapter.get_native_buffer_size() or 'any'}"
                rows.append(
                    f"| {label} | 48000 / {bs} | {native} | {t['bare']:.1f} | "
                    f"{t['adapter']:.1f} | {t['adapter'] - t['bare']:.1f} |"
                )
        mismatch = torch.jit.script(RealtimeAdapter(Identity([48000], [2048])))
        mismatch.set_daw_sample_rate_and_buffer_size(44100, 128)
        converters = torch.jit.script(ResamplersOnly(44100, 48000, 2048))
        x = torch.randn(2, 128)
        t = _per_call_us(
            {
                "bare": lambda: bare(x),
                "resamplers": lambda: converters(x),
                "adapter": lambda: mismatch(x),
            }
        )
        over = t["adapter"] - t["bare"] - t["resamplers"]
        rows.append(
            f"| mismatch (resamplers alone: {t['resamplers']:.1f} us) | 44100 / 128 | 48000 / 2048 "
            f"| {t['bare']:.1f} | {t['adapter']:.1f} | {over:.1f} (beyond resamplers) |"
        )
    print(f"torch {torch.__version__}, 1 thread, median of {ROUNDS} rounds x {CALLS} calls\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
