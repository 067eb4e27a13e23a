"""Per-buffer cost of the scripted neutone-filters processors beside stateless torch references.

Stereo float32 buffers of 64, 128, 512 and 2048 samples at 48 kHz, one CPU thread. Each processor is
scripted and streamed buffer after buffer (state carried); the reference runs on the same buffer and
coefficients and keeps no state: `torchaudio.functional.lfilter` (clamp off) for the IIR and FIR
filters, `torch.stft` + `torch.istft` on the frames the buffer completes (amortised when a buffer is
shorter than the hop) for the STFT, `nn.Conv1d` on the buffer plus its context for the cached
convolution (both under `torch.no_grad()`, as a realtime host runs a model). Prints a markdown
table: median and 99th-percentile microseconds per buffer, and the median ratio ours / reference
(below 1: cheaper than the stateless reference).

Run: ``python packages/neutone-filters/benchmarks/bench_filters.py [--reps N]``.
"""

import argparse
import time
from typing import Callable, Iterator, List, Tuple

import torch
import torchaudio.functional as AF
from torch import Tensor, nn

from neutone_filters import (
    CachedConv1d,
    FIRFilter,
    RealtimeSTFT,
    SOSFilter,
    StateVariableFilter,
    butterworth,
    cookbook_biquad,
    design_fir,
)

FS = 48000
SIZES = (64, 128, 512, 2048)


def _timings_us(call: Callable[[Tensor], Tensor], buffers: List[Tensor]) -> Tuple[float, float]:
    """Median and 99th percentile of the per-call time in microseconds (after a warm-up pass)."""
    for x in buffers[:20]:
        call(x)
    times = []
    for x in buffers:
        start = time.perf_counter_ns()
        call(x)
        times.append((time.perf_counter_ns() - start) / 1000.0)
    ordered = torch.tensor(times)
    return float(ordered.median()), float(ordered.quantile(0.99))


def _lfilter(sos: Tensor) -> Callable[[Tensor], Tensor]:
    sections = [(s[3:].float(), s[:3].float()) for s in sos]

    def run(x: Tensor) -> Tensor:
        for a, b in sections:
            x = AF.lfilter(x, a, b, clamp=False)
        return x

    return run


def _fir_lfilter(taps: Tensor) -> Callable[[Tensor], Tensor]:
    b = taps.float()
    a = torch.zeros_like(b)
    a[0] = 1.0
    return lambda x: AF.lfilter(x, a, b, clamp=False)


def _stft_reference(n_fft: int, hop: int, n: int) -> Tuple[Callable[[Tensor], Tensor], float]:
    """torch.stft + torch.istft over the frames one buffer of `n` samples completes.

    Returns the call (on a signal long enough for ``max(1, n // hop)`` frames) and the share of
    its time to charge to one buffer (below 1 when the buffer is shorter than the hop).
    """
    frames = max(1, n // hop)
    analysis = torch.hann_window(n_fft)
    synthesis = torch.ones(n_fft)
    length = n_fft + (frames - 1) * hop

    def run(x: Tensor) -> Tensor:
        spec = torch.stft(
            x[:, :length], n_fft, hop, window=analysis, center=False, return_complex=True
        )
        return torch.istft(spec, n_fft, hop, window=synthesis, center=False)

    return run, (n / hop) / frames


def _conv_reference(conv: nn.Conv1d, context: int) -> Callable[[Tensor], Tensor]:
    def run(x: Tensor) -> Tensor:
        with torch.no_grad():
            return conv(nn.functional.pad(x, [context, 0]))

    return run


def _no_grad(module: nn.Module) -> Callable[[Tensor], Tensor]:
    """`module` called outside autograd (a cached convolution's weights require grad)."""

    def run(x: Tensor) -> Tensor:
        with torch.no_grad():
            return module(x)

    return run


def _rows(reps: int) -> List[List[str]]:
    torch.manual_seed(0)
    biquad = cookbook_biquad("lowpass", 1000.0, FS)
    butter8 = butterworth("lowpass", 8, 1000.0, FS)
    fir_short = design_fir("lowpass", 4000.0, FS, num_taps=31)
    fir_long = design_fir("lowpass", 4000.0, FS, num_taps=511)
    svf = torch.jit.script(StateVariableFilter("lowpass", float(FS), 1000.0, 0.7071))
    resting_svf = torch.jit.script(StateVariableFilter("lowpass", float(FS), 1000.0, 0.7071))
    offline_conv = nn.Conv1d(2, 16, 3, dilation=4)
    cached_conv = CachedConv1d(2, 16, 3, dilation=4)
    cached_conv.load_state_dict(offline_conv.state_dict())
    rows = []
    for n in SIZES:
        buffers = [torch.randn(2, n) for _ in range(reps)]
        knobs = iter(torch.exp(torch.empty(10 * reps).uniform_(4.0, 9.0)))

        def svf_moving(x: Tensor, knobs: Iterator[Tensor] = knobs) -> Tensor:
            return svf(x, cutoff_hz=next(knobs))

        cases = [
            ("biquad (SOSFilter)", torch.jit.script(SOSFilter(biquad)), _lfilter(biquad)),
            ("Butterworth order 8", torch.jit.script(SOSFilter(butter8)), _lfilter(butter8)),
            ("SVF, knob moves every buffer", svf_moving, _lfilter(biquad)),
            ("SVF, knobs at rest", resting_svf, _lfilter(biquad)),
            (
                "FIR 31 taps (direct)",
                torch.jit.script(FIRFilter(fir_short)),
                _fir_lfilter(fir_short),
            ),
            ("FIR 511 taps (FFT)", torch.jit.script(FIRFilter(fir_long)), _fir_lfilter(fir_long)),
        ]
        for name, ours, reference in cases:
            rows.append(_row(name, n, ours, buffers, reference, buffers, 1.0))
        stft_reference, share = _stft_reference(512, 128, n)
        long_buffers = [nn.functional.pad(b, [0, 2560]) for b in buffers]
        ours_stft = torch.jit.script(RealtimeSTFT(512, 128))
        rows.append(
            _row(
                "STFT 512/128 identity", n, ours_stft, buffers, stft_reference, long_buffers, share
            )
        )
        batched = [b.unsqueeze(0) for b in buffers]
        ours_conv = _no_grad(torch.jit.script(cached_conv))
        reference_conv = _conv_reference(offline_conv, 8)
        rows.append(
            _row("CachedConv1d 2->16 k3 d4", n, ours_conv, batched, reference_conv, batched, 1.0)
        )
    return rows


def _row(
    name: str,
    n: int,
    ours: Callable[[Tensor], Tensor],
    data: List[Tensor],
    reference: Callable[[Tensor], Tensor],
    reference_data: List[Tensor],
    reference_share: float,
) -> List[str]:
    ours_median, ours_p99 = _timings_us(ours, data)
    ref_median, _ = _timings_us(reference, reference_data)
    ref_median *= reference_share
    ratio = ours_median / ref_median
    return [
        name,
        str(n),
        f"{ours_median:.0f}",
        f"{ours_p99:.0f}",
        f"{ref_median:.0f}",
        f"{ratio:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400, help="buffers per case (default 400)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    header = ["processor", "n", "ours median µs", "ours p99 µs", "reference median µs", "ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in _rows(args.reps):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
