"""`speed --plot`: time per buffer against buffer size, with each sample rate's deadline line.

Drawn with matplotlib's Agg backend (no display needed). Median, p99 and maximum are drawn for each
sample rate on log-log axes; the deadline (buffer duration, ``buffer_size / sample_rate``) is the
dashed line a realtime model must stay under, the maximum included.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt

from neutone_bench.speed import SpeedResult


def plot_speed(results: Sequence[SpeedResult], path: Path, title: str) -> None:
    """Write the figure of ``results`` to ``path`` (format from the suffix, e.g. ``.png``)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.5), layout="constrained")
    try:
        rates = sorted({r.sample_rate for r in results})
        for index, rate in enumerate(rates):
            rows = sorted(
                (r for r in results if r.sample_rate == rate), key=lambda r: r.buffer_size
            )
            sizes = [r.buffer_size for r in rows]
            colour = f"C{index}"
            label = f"{rate} Hz"
            for stat, style in (("median", "o-"), ("p99", "s:"), ("max", "^")):
                times_ms = [getattr(r.summary, f"{stat}_s") * 1e3 for r in rows]
                ax.plot(sizes, times_ms, style, color=colour, label=f"{stat}, {label}")
            ax.plot(
                sizes,
                [bs / rate * 1e3 for bs in sizes],
                "--",
                color="k" if index == 0 else colour,
                alpha=0.6,
                label=f"deadline (buffer duration), {label}",
            )
        ax.set_xscale("log", base=2)
        all_sizes = sorted({r.buffer_size for r in results})
        ax.set_xticks(all_sizes, [str(bs) for bs in all_sizes])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_xlabel("buffer size (samples)")
        ax.set_ylabel("time per buffer (ms)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)
