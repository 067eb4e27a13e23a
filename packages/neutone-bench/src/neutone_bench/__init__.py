"""neutone_bench: does a model run in realtime, with what latency, where do time and memory go?

Modules:

- ``cli``: the ``neutone-bench`` typer app joining the three commands (``__main__``: ``python -m``).
- ``speed``: ``speed`` command; per-buffer timings of the adapter's ``forward`` at each setting.
- ``latency``: ``latency`` command; reported delay split, and delay measured with a noise burst.
- ``profile``: ``profile`` command; torch profiler top operators, psutil memory and CPU figures.
- ``stats``: percentiles, deadline misses and the outlier rule (pure functions on timings).
- ``host``: host settings checked, a refused setting in one line, the reported delay split (the
  calls themselves go through ``neutone_export.host``).
- ``models``: resolving MODEL (``.nm`` path, entry point ``neutone.models``, embedded name).
- ``embedded``: the models shipped inside the package (``clipper``, ``smoother-48k``).
- ``options``: arguments shared by the commands; bad input to ``typer.BadParameter``.
- ``render``: rich tables and JSON output, stdout and stderr consoles.
- ``plot``: ``speed --plot``, time per buffer against buffer size (matplotlib, Agg).
"""

from neutone_bench.__about__ import __version__
from neutone_bench.embedded import DEFAULT_MODEL, EMBEDDED_MODELS
from neutone_bench.host import DelayReport, SettingError, configure, reported_delay
from neutone_bench.latency import LatencyRow, find_lag, measure_delay, noise_burst
from neutone_bench.models import BenchModel, ModelNotFoundError, resolve_model
from neutone_bench.profile import OperatorRow, ProfileResult, profile_model
from neutone_bench.speed import SpeedResult, measure_speed
from neutone_bench.stats import (
    OUTLIER_K,
    TimingSummary,
    count_deadline_misses,
    find_outliers,
    median,
    median_absolute_deviation,
    outlier_threshold,
    percentile,
    summarize_timings,
)

__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDED_MODELS",
    "OUTLIER_K",
    "BenchModel",
    "DelayReport",
    "LatencyRow",
    "ModelNotFoundError",
    "OperatorRow",
    "ProfileResult",
    "SettingError",
    "SpeedResult",
    "TimingSummary",
    "__version__",
    "configure",
    "count_deadline_misses",
    "find_lag",
    "find_outliers",
    "measure_delay",
    "measure_speed",
    "median",
    "median_absolute_deviation",
    "noise_burst",
    "outlier_threshold",
    "percentile",
    "profile_model",
    "reported_delay",
    "resolve_model",
    "summarize_timings",
]
