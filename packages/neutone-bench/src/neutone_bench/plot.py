"""`speed --plot`: every call's time against its deadline, with the machine's floor.

One curve per setting: the fraction of calls slower than x (a complementary ECDF, log scale, so
the tail a listener hears is as visible as the bulk), x being the call's time in percent of the
buffer's duration. The deadline is the vertical line at 100 %: a curve that crosses it has calls
that miss. The floor (the same loop around a no-op module, see ``neutone_bench.speed``) is drawn
dashed in the setting's colour: where the model's tail meets the floor's, the machine is the
limit. The legend sits outside the axes, beside the data. Drawn with matplotlib's Agg backend and
written to a temporary name, then renamed into place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt

from neutone_bench.speed import SpeedResult
from neutone_export.cli.contract import write_output


def survival(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """Sorted ``values`` and, for each, the fraction of values at or above it (1 down to 1/n)."""
    ordered = sorted(values)
    n = len(ordered)
    return ordered, [(n - i) / n for i in range(n)]


def plot_speed(results: Sequence[SpeedResult], path: Path, title: str) -> None:
    """Write the figure of ``results`` to ``path`` (format from the suffix, e.g. ``.png``)."""
    fig, ax = plt.subplots(figsize=(8.0, 4.5), layout="constrained")
    try:
        for index, r in enumerate(results):
            colour = f"C{index % 10}"
            label = f"{r.sample_rate} Hz / {r.buffer_size}"
            deadline = r.summary.deadline_s
            x, y = survival([100.0 * t / deadline for t in r.times])
            ax.step(x, y, where="post", color=colour, label=label)
            x, y = survival([max(100.0 * t / deadline, 1e-3) for t in r.floor])
            ax.step(
                x,
                y,
                where="post",
                color=colour,
                linestyle="--",
                alpha=0.6,
                label=f"{label}: machine floor",
            )
        ax.axvline(100.0, color="k", linewidth=1.2, label="deadline (buffer duration)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("time per call (% of the buffer's duration)")
        ax.set_ylabel("fraction of calls at least this slow")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        fig.legend(loc="outside right upper", fontsize="small")
        suffix = path.suffix.lstrip(".") or "png"
        write_output(path, lambda temp: fig.savefig(temp, format=suffix, dpi=120))
    finally:
        plt.close(fig)
