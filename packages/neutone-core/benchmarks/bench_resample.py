"""Benchmark of StreamingResampler (scripted) beside torchaudio.functional.resample.

Prints two markdown tables:

1. per-call time of stereo host buffers of 128 and 512 samples at 44.1 -> 48 kHz for each preset
   (median and 99th percentile over many calls, one thread) and SINAD at 1 kHz and 10 kHz, beside
   `torchaudio.functional.resample` applied to the same buffer (no state: each buffer converted on
   its own, so its SINAD is also given for the whole signal converted at once);
2. the time a scripted `configure` takes to design a conversion at run time (what a host's
   sample-rate callback waits for), median over repeats, for the slowest conversions;
3. the presets: taps, one-way latency, worst SINAD over 20 Hz .. 19 kHz across the conversions of
   the tests, aliasing of a 23 kHz tone going 48 -> 44.1 kHz.

Run: ``python packages/neutone-core/benchmarks/bench_resample.py [--calls 2000]``.
"""

import argparse
import itertools
import math
import statistics
import time
from typing import Callable, List, Tuple

import torch
import torchaudio.functional
from torch import Tensor

from neutone_core.resample import StreamingResampler
from neutone_core.resample_quality import fit_tone, measure_aliasing, measure_sinad, tone

PRESETS = ["fast", "high", "best"]
CHAINS: List[Tuple[int, ...]] = [
    (44100, 48000),
    (48000, 44100),
    (48000, 96000),
    (96000, 48000),
    (44100, 48000, 44100),
]
TONES = [20.0, 100.0, 1000.0, 5000.0, 10000.0, 15000.0, 18000.0, 19000.0]
CONFIGURE_PAIRS = [(192000, 44100), (44100, 192000), (11025, 48000), (44100, 48000)]


def time_calls(call: Callable[[Tensor], Tensor], x: Tensor, calls: int) -> Tuple[float, float]:
    """Median and 99th percentile of the time of one call, in microseconds."""
    for _ in range(max(20, calls // 10)):
        call(x)
    samples: List[float] = []
    for _ in range(calls):
        start = time.perf_counter()
        call(x)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return 1e6 * statistics.median(samples), 1e6 * samples[int(0.99 * (len(samples) - 1))]


def sinad_of(y: Tensor, frequency: float, rate: int, skip: int) -> float:
    """SINAD in dB of a zero-delay output `y` (1-D) of a tone at `frequency`."""
    y = y[skip:-skip].to(torch.float64)
    t = torch.arange(skip, skip + y.shape[0], dtype=torch.float64) / rate
    fitted = fit_tone(y, frequency, t)
    return 10 * math.log10(float(fitted.pow(2).sum()) / float((y - fitted).pow(2).sum()))


def torchaudio_sinad(frequency: float, buffer_size: int) -> float:
    """SINAD of torchaudio's resample applied per buffer (0: whole signal at once)."""
    x = tone([frequency], 44100, 22050)[0]
    if buffer_size == 0:
        y = torchaudio.functional.resample(x, 44100, 48000)
    else:
        pieces = [
            torchaudio.functional.resample(x[i : i + buffer_size], 44100, 48000)
            for i in range(0, x.shape[0], buffer_size)
        ]
        y = torch.cat(pieces)
    return sinad_of(y, frequency, 48000, 500)


def speed_table(calls: int) -> List[str]:
    lines = [
        "| converter | buffer | median us/call | p99 us/call | SINAD 1 kHz dB | SINAD 10 kHz dB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for buffer_size in [128, 512]:
        x = torch.randn(2, buffer_size)
        for quality in PRESETS:
            converter = torch.jit.script(StreamingResampler(44100, 48000, 2, quality))
            converter.set_max_input_size(buffer_size)
            median, p99 = time_calls(converter, x, calls)
            chain = [StreamingResampler(44100, 48000, 2, quality)]
            sinad = measure_sinad(chain, [1000.0, 10000.0], buffer_size)
            lines.append(
                f"| StreamingResampler `{quality}` (scripted) | {buffer_size} | {median:.1f} | "
                f"{p99:.1f} | {sinad[0]:.1f} | {sinad[1]:.1f} |"
            )
        median, p99 = time_calls(
            lambda b: torchaudio.functional.resample(b, 44100, 48000), x, calls
        )
        lines.append(
            f"| torchaudio resample, per buffer | {buffer_size} | {median:.1f} | {p99:.1f} | "
            f"{torchaudio_sinad(1000.0, buffer_size):.1f} | "
            f"{torchaudio_sinad(10000.0, buffer_size):.1f} |"
        )
    lines.append(
        f"| torchaudio resample, whole signal | - | - | - | {torchaudio_sinad(1000.0, 0):.1f} | "
        f"{torchaudio_sinad(10000.0, 0):.1f} |"
    )
    return lines


def configure_table(repeats: int) -> List[str]:
    header = " | ".join(f"{a} -> {b}" for a, b in CONFIGURE_PAIRS)
    lines = [
        f"| ms per scripted `configure` (stereo, max input 2048) | {header} |",
        "| --- |" + " ---: |" * len(CONFIGURE_PAIRS),
    ]
    for quality in PRESETS:
        converter = torch.jit.script(StreamingResampler(48000, 48000, 2, quality))
        cells = []
        for in_rate, out_rate in CONFIGURE_PAIRS:
            samples = []
            for _ in range(repeats):
                converter.configure(48000, 48000, 0, 0)  # other rates: the next call designs
                start = time.perf_counter()
                converter.configure(in_rate, out_rate, 0, 2048)
                samples.append(time.perf_counter() - start)
            cells.append(f"{1e3 * statistics.median(samples):.1f}")
        lines.append(f"| `{quality}` | " + " | ".join(cells) + " |")
    return lines


def preset_table() -> List[str]:
    lines = [
        "| preset | compute | taps at 44.1->48 / 48->44.1 | latency 44.1->48 / 48->44.1 ms "
        "| worst SINAD 20 Hz-19 kHz dB | aliasing 23 kHz 48->44.1 dB |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for quality in PRESETS:
        up = StreamingResampler(44100, 48000, 1, quality)
        down = StreamingResampler(48000, 44100, 1, quality)
        worst = math.inf
        for rates in CHAINS:
            for buffer_size in [32, 512]:
                chain = [
                    StreamingResampler(a, b, len(TONES), quality)
                    for a, b in itertools.pairwise(rates)
                ]
                worst = min(worst, min(measure_sinad(chain, TONES, buffer_size)))
        aliasing = measure_aliasing([StreamingResampler(48000, 44100, 1, quality)], 23000.0)
        latency_up = 1000 * up.delay_input_samples() / 44100
        latency_down = 1000 * down.delay_input_samples() / 48000
        compute = "float64" if up.matrices.dtype == torch.float64 else "float32"
        lines.append(
            f"| `{quality}` | {compute} | {up.num_taps} / {down.num_taps} | "
            f"{latency_up:.2f} / {latency_down:.2f} | {worst:.1f} | {aliasing:.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per row")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("\n".join(speed_table(args.calls)))
    print()
    print("\n".join(configure_table(max(5, args.calls // 200))))
    print()
    print("\n".join(preset_table()))


if __name__ == "__main__":
    main()
