"""Benchmark of StreamingResampler beside libsamplerate and soxr, all measured in the same run.

Prints four markdown tables:

1. the comparison of issue 20 at 44.1 -> 48 kHz in 512-sample mono blocks, one thread: pass band
   (-0.1 dB and -3 dB edges as fractions of the 22.05 kHz Nyquist frequency, from a tone sweep),
   worst SINAD over tones from 0.1 to 19 kHz, alias (level of the 21.1 kHz line that a 23 kHz
   tone leaves going 48 -> 44.1 kHz, least-squares fit, re the tone), latency (the delay a
   fixed-block host must add so the stream never runs dry: the largest shortfall of the output
   count behind ``floor(T out / in)`` plus the delay of the output pulse), cost (median time of
   one 512-sample call);
2. per preset, what bounds it: its Kaiser design, the taps its latency allows, and the taps (and
   latency) the Kaiser formula needs for the same attenuation with libsamplerate's -3 dB edge;
   and what one `high` call is made of (the batched product alone, a bare scripted call);
3. the time a scripted `configure` takes (what a host's sample-rate callback waits for);
4. the worst SINAD of each preset over several conversions and host buffer sizes.

libsamplerate (PyPI `samplerate`) and soxr (PyPI `soxr`) are benchmark-only dependencies.
Run: ``python packages/neutone-core/benchmarks/bench_resample.py [--calls 3000]``.
"""

import argparse
import itertools
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import numpy as np
import samplerate
import soxr
import torch
from torch import Tensor

from neutone_core.kaiser import kaiser_beta, kaiser_kernel, kaiser_num_taps
from neutone_core.resample import QUALITY_PRESETS, StreamingResampler

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))  # resample_quality: not shipped
from resample_quality import measure_sinad

Process = Callable[[np.ndarray], np.ndarray]  # (channels, n) float32 -> (channels, m)
Factory = Callable[[int, int, int], Process]  # (in_rate, out_rate, channels) -> a new stream

BLOCK = 512
TONES = [100.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 15000.0, 17000.0, 18000.0, 19000.0]
CHAINS: List[Tuple[int, ...]] = [
    (44100, 48000),
    (48000, 44100),
    (48000, 96000),
    (96000, 48000),
    (44100, 48000, 44100),
]
CONFIGURE_PAIRS = [(192000, 44100), (44100, 192000), (11025, 48000), (44100, 48000)]
# libsamplerate's class rival of each preset, and the -3 dB edge it reaches (table 1).
RIVALS = {"fast": "sinc_fastest", "high": "sinc_medium", "best": "sinc_best"}


def ours(quality: str) -> Factory:
    def factory(in_rate: int, out_rate: int, channels: int) -> Process:
        converter = torch.jit.script(StreamingResampler(in_rate, out_rate, channels, quality))
        converter.set_max_input_size(BLOCK)
        return lambda x: converter(torch.from_numpy(x)).numpy().copy()

    return factory


def libsamplerate(name: str) -> Factory:
    def factory(in_rate: int, out_rate: int, channels: int) -> Process:
        stream = samplerate.Resampler(name, channels=channels)
        ratio = out_rate / in_rate
        return lambda x: np.ascontiguousarray(stream.process(np.ascontiguousarray(x.T), ratio).T)

    return factory


def soxr_stream(quality: str) -> Factory:
    def factory(in_rate: int, out_rate: int, channels: int) -> Process:
        stream = soxr.ResampleStream(in_rate, out_rate, channels, dtype="float32", quality=quality)
        return lambda x: np.ascontiguousarray(stream.resample_chunk(np.ascontiguousarray(x.T)).T)

    return factory


def run(process: Process, x: np.ndarray) -> Tuple[np.ndarray, List[int]]:
    """Feed `x` in blocks of 512; the joined output and the output count after each call."""
    pieces = []
    counts = []
    total = 0
    for start in range(0, x.shape[1], BLOCK):
        y = process(np.ascontiguousarray(x[:, start : start + BLOCK]))
        pieces.append(y.reshape(x.shape[0], -1))
        total += pieces[-1].shape[1]
        counts.append(total)
    return np.concatenate(pieces, axis=1).astype(np.float64), counts


def tones(frequencies: List[float], rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * np.array(frequencies)[:, None] * t)).astype(np.float32)


def fit(y: np.ndarray, frequency: float, rate: int) -> np.ndarray:
    """Least-squares fit of ``a sin + b cos`` at `frequency` (any phase, so any delay)."""
    t = np.arange(y.shape[0]) / rate
    basis = np.stack([np.sin(2 * np.pi * frequency * t), np.cos(2 * np.pi * frequency * t)], 1)
    coefficients, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return basis @ coefficients


def steady(y: np.ndarray, rate: int) -> np.ndarray:
    """Drop 50 ms at both ends: start-up and the tail the converters still hold."""
    edge = rate // 20
    return y[:, edge:-edge]


def worst_sinad(factory: Factory) -> float:
    y, _ = run(factory(44100, 48000, len(TONES)), tones(TONES, 44100, 0.5))
    y = steady(y, 48000)
    worst = math.inf
    for channel, frequency in enumerate(TONES):
        fitted = fit(y[channel], frequency, 48000)
        error = y[channel] - fitted
        worst = min(worst, 10 * math.log10(np.sum(fitted**2) / np.sum(error**2)))
    return worst


def alias_db(factory: Factory) -> float:
    y, _ = run(factory(48000, 44100, 1), tones([23000.0], 48000, 2.0))
    fitted = fit(steady(y, 44100)[0], 44100 - 23000.0, 44100)
    amplitude = math.sqrt(2 * np.mean(fitted**2))
    return 20 * math.log10(max(amplitude, 1e-300) / 0.5)


def pass_band(factory: Factory) -> Tuple[float, float]:
    """-0.1 dB and -3 dB edges of the gain at 44.1 -> 48 kHz, fractions of 22.05 kHz."""
    fractions = np.arange(0.5, 1.0, 0.005)  # 100 tones: libsamplerate takes at most 128 channels
    y, _ = run(factory(44100, 48000, len(fractions)), tones(list(fractions * 22050), 44100, 0.3))
    y = steady(y, 48000)
    gains = []
    for channel, fraction in enumerate(fractions):
        fitted = fit(y[channel], fraction * 22050, 48000)
        gains.append(10 * math.log10(2 * np.mean(fitted**2) / 0.25))
    gains_db = np.array(gains)
    return float(fractions[np.argmax(gains_db < -0.1)]), float(fractions[np.argmax(gains_db < -3)])


def latency_ms(factory: Factory) -> float:
    """Shortfall a fixed-block host must pre-fill plus the delay of a pulse, at 44.1 -> 48 kHz."""
    n = 16 * BLOCK
    centre = 2000
    k = np.arange(n)
    pulse = np.exp(-0.5 * ((k - centre) / 4.0) ** 2).astype(np.float32)[None, :]
    y, counts = run(factory(44100, 48000, 1), pulse)
    consumed = np.arange(1, len(counts) + 1) * BLOCK
    shortfall = max(0, int(np.max(consumed * 48000 // 44100 - np.array(counts))))
    centroid = float(np.sum(np.arange(y.shape[1]) * y[0]) / np.sum(y[0]))
    return 1000.0 * (shortfall + centroid - centre * 48000 / 44100) / 48000


def median_us(call: Callable[[], object], calls: int) -> float:
    for _ in range(max(50, calls // 10)):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return 1e6 * statistics.median(samples)


def cost_us(name: str, calls: int) -> float:
    """Median time of one 512-sample mono call at 44.1 -> 48 kHz (what the plugin thread pays)."""
    x = np.random.default_rng(0).standard_normal(BLOCK).astype(np.float32)
    if name in QUALITY_PRESETS:
        converter = torch.jit.script(StreamingResampler(44100, 48000, 1, name))
        converter.set_max_input_size(BLOCK)
        tensor = torch.from_numpy(x).view(1, BLOCK)
        return median_us(lambda: converter(tensor), calls)
    if name.startswith("sinc_"):
        stream = samplerate.Resampler(name, channels=1)
        return median_us(lambda: stream.process(x, 48000 / 44100), calls)
    stream = soxr.ResampleStream(44100, 48000, 1, dtype="float32", quality=name)
    return median_us(lambda: stream.resample_chunk(x), calls)


def comparison_table(calls: int) -> List[str]:
    rows: List[Tuple[str, str, Factory]] = [
        ("ours `fast`", "fast", ours("fast")),
        ("libsamplerate `sinc_fastest`", "sinc_fastest", libsamplerate("sinc_fastest")),
        ("ours `high`", "high", ours("high")),
        ("libsamplerate `sinc_medium`", "sinc_medium", libsamplerate("sinc_medium")),
        ("soxr HQ", "HQ", soxr_stream("HQ")),
        ("ours `best`", "best", ours("best")),
        ("libsamplerate `sinc_best`", "sinc_best", libsamplerate("sinc_best")),
        ("soxr VHQ", "VHQ", soxr_stream("VHQ")),
    ]
    lines = [
        (
            "| converter | pass band -0.1 / -3 dB (x Nyquist) | worst SINAD | alias | latency "
            "| cost |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, name, factory in rows:
        flat, half = pass_band(factory)
        lines.append(
            f"| {label} | {flat:.3f} / {half:.3f} | {worst_sinad(factory):.1f} dB "
            f"| {alias_db(factory):.1f} dB | {latency_ms(factory):.2f} ms "
            f"| {cost_us(name, calls):.1f} us |"
        )
    return lines


def minus_3db_edge(attenuation: float, taps: int) -> float:
    """-3 dB edge (x Nyquist, 44.1 kHz input) of our design with `taps` taps and a stop band from
    Nyquist: the Kaiser formula's transition width for `taps`, the response found numerically."""
    half_width = (taps - 1) // 2
    width = (attenuation - 7.95) / (2.285 * 2 * math.pi * (taps - 1))  # cycles per sample
    cutoff = 0.5 - width / 2
    fine = 16  # kernel samples per input sample: the response is read far below their Nyquist
    t = torch.arange(-half_width * fine, half_width * fine + 1, dtype=torch.float64) / fine
    kernel = kaiser_kernel(t, cutoff, float(half_width), kaiser_beta(attenuation)) / fine
    fractions = torch.arange(0.6, 1.0, 0.001, dtype=torch.float64)
    phase = 2 * math.pi * 0.5 * fractions.unsqueeze(1) * t.unsqueeze(0)
    gain_db = 20 * torch.log10((kernel * torch.cos(phase)).sum(dim=1).abs())
    return float(fractions[int(torch.argmax((gain_db < -3.0).to(torch.int)))])


def kaiser_latency_ms(taps: int) -> float:
    """Our latency at 44.1 -> 48 kHz with `taps` taps: ``(hw + 1 - down / up)`` input samples."""
    return 1000 * ((taps - 1) // 2 + 1 - 147 / 160) / 44100


def bound_table() -> List[str]:
    rival_edge = {"fast": 0.0, "high": 0.0, "best": 0.0}
    for quality, name in RIVALS.items():
        rival_edge[quality] = pass_band(libsamplerate(name))[1]
    lines = [
        (
            "| preset | attenuation | pass / stop edge (x Nyquist) | taps at 44.1 kHz (latency) "
            "| -3 dB edge | taps for libsamplerate's -3 dB edge (latency) |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for quality, (attenuation, pass_edge, stop_edge, _) in QUALITY_PRESETS.items():
        taps = kaiser_num_taps(attenuation, (stop_edge - pass_edge) * 0.5)
        needed = taps
        while minus_3db_edge(attenuation, needed) < rival_edge[quality]:
            needed += 2
        lines.append(
            f"| `{quality}` | {attenuation:.0f} dB | {pass_edge} / {stop_edge} "
            f"| {taps} ({kaiser_latency_ms(taps):.2f} ms) "
            f"| {minus_3db_edge(attenuation, taps):.3f} "
            f"| {needed} ({kaiser_latency_ms(needed):.2f} ms) for {rival_edge[quality]:.3f} |"
        )
    return lines


def anatomy(calls: int) -> List[str]:
    """What one scripted `high` call of 512 mono samples at 44.1 -> 48 kHz is made of."""
    converter = torch.jit.script(StreamingResampler(44100, 48000, 1, "high"))
    converter.set_max_input_size(BLOCK)
    x = torch.randn(1, BLOCK)
    total = median_us(lambda: converter(x), calls)
    blocks = -(-(converter.output_count(BLOCK) + converter.block - 1) // converter.block)
    width, block = converter.width, converter.block
    segments = torch.randn(blocks, 1, width)
    matrices = torch.randn(blocks, width, block)
    products = torch.zeros(blocks, 1, block)
    product = median_us(lambda: torch.bmm(segments, matrices, out=products), calls)

    class Bare(torch.nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return x

    bare = torch.jit.script(Bare())
    empty = median_us(lambda: bare(x), calls)
    kilobytes = blocks * width * block * 4 / 1000
    return [
        (
            f"`high`, 512 mono samples at 44.1 -> 48 kHz: {total:.1f} us per call; its batched "
            f"product alone ({blocks} blocks of {block} outputs x {width} inputs, "
            f"{kilobytes:.0f} kB of coefficients read once) {product:.1f} us; a bare scripted "
            f"call {empty:.1f} us."
        )
    ]


def configure_table(repeats: int) -> List[str]:
    header = " | ".join(f"{a} -> {b}" for a, b in CONFIGURE_PAIRS)
    lines = [
        f"| ms per scripted `configure` (stereo, max input 2048) | {header} |",
        "| --- |" + " ---: |" * len(CONFIGURE_PAIRS),
    ]
    for quality in QUALITY_PRESETS:
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


def chains_table() -> List[str]:
    lines = [
        (
            "| preset | compute | taps 44.1->48 / 48->44.1 | worst SINAD over the conversions, "
            "buffers 32 and 512 |"
        ),
        "| --- | --- | ---: | ---: |",
    ]
    tones_hz = [20.0, *TONES]
    for quality in QUALITY_PRESETS:
        up = StreamingResampler(44100, 48000, 1, quality)
        down = StreamingResampler(48000, 44100, 1, quality)
        worst = math.inf
        for rates in CHAINS:
            for buffer_size in [32, 512]:
                chain = [
                    StreamingResampler(a, b, len(tones_hz), quality)
                    for a, b in itertools.pairwise(rates)
                ]
                worst = min(worst, *measure_sinad(chain, tones_hz, buffer_size))
        compute = "float64" if up.matrices.dtype == torch.float64 else "float32"
        lines.append(
            f"| `{quality}` | {compute} | {up.num_taps} / {down.num_taps} | {worst:.1f} dB |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per converter")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("\n".join(comparison_table(args.calls)))
    print()
    print("\n".join(bound_table()))
    print()
    print("\n".join(anatomy(args.calls)))
    print()
    print("\n".join(configure_table(max(5, args.calls // 200))))
    print()
    print("\n".join(chains_table()))


if __name__ == "__main__":
    main()
