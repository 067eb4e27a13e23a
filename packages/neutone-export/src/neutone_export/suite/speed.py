"""The speed check of a realtime `.nm`: audio seconds processed per wall-clock second."""

import math
import time
from typing import Dict

import torch

from neutone_export.audio.host import configure, noise
from neutone_export.suite.context import CheckContext
from neutone_export.suite.report import CheckResult

REALTIME_BUFFER_SIZES = (128, 2048)
REALTIME_SAMPLE_RATE = 48000


# -- realtime factor
# --------------------------------------------------------------------------------


def check_realtime(ctx: CheckContext) -> CheckResult:
    """Audio seconds processed per wall-clock second at 48 kHz; warns below 1, never fails."""
    module = ctx.fresh()
    factors: Dict[int, float] = {}
    for buffer_size in REALTIME_BUFFER_SIZES:
        configure(module, REALTIME_SAMPLE_RATE, buffer_size)
        x = noise(buffer_size, ctx.seed + 6, amplitude=0.5)
        calls = max(4, math.ceil(ctx.n_samples(REALTIME_SAMPLE_RATE) / buffer_size))
        with torch.no_grad():
            for _ in range(3):
                module.forward(x, None)
            start = time.perf_counter()
            for _ in range(calls):
                module.forward(x, None)
            elapsed = time.perf_counter() - start
        factors[buffer_size] = (calls * buffer_size / REALTIME_SAMPLE_RATE) / max(elapsed, 1e-9)
    slowest = min(factors.values())
    text = ", ".join(f"{size} samples: {factor:.1f}x" for size, factor in factors.items())
    warning = slowest < 1.0
    threads = torch.get_num_threads()
    plural = "s" if threads != 1 else ""
    message = f"realtime factor at {REALTIME_SAMPLE_RATE} Hz, {text} ({threads} thread{plural})"
    if warning:
        message += "; slower than realtime on this machine"
    return CheckResult("realtime", True, slowest, message, "x realtime", warning=warning)
