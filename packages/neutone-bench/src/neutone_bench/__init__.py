"""neutone_bench: does a model run in realtime, with what latency, where do time and memory go?

Modules:

- ``cli``: the ``neutone-bench`` typer app; one module per command joins it with ``register``:
  ``cli_speed``, ``cli_latency``, ``cli_profile``, ``cli_response`` (``__main__``:
  ``python -m neutone_bench``).
- ``speed``: per-call timings of the adapter's ``forward`` at a setting, and the machine's floor.
- ``stats``: percentiles, IQR, deadline misses, slow calls, whose a miss is (pure functions).
- ``compare``: ``speed --compare BASELINE.json``, the change of each setting's median.
- ``latency``: reported delay split, and the delay measured with a noise burst.
- ``profile``: torch profiler top operators; the memory and CPU the calls themselves use.
- ``operators``: the profiler's raw events grouped by operator and input shape, in one pass.
- ``response``: magnitude and impulse responses at knob settings, harmonic levels, their plot.
- ``clip_speed``: seconds per clip and realtime factor of a non-realtime (whole-clip) model.
- ``host``: settings checked, a refused setting in one line, the reported delay split (the calls
  themselves go through ``neutone_export.audio.host``).
- ``models``: resolving MODEL (``.nm`` path, entry point ``neutone.models``, embedded name).
- ``embedded``: the models shipped inside the package (``clipper``, ``smoother-48k``).
- ``options``: arguments shared by the commands; bad input as one line.
- ``render``: tables that fit 80 columns and never cut a figure.
- ``plot``: ``speed --plot``, every call against the deadline, with the machine's floor.

The names below are imported on first use, so that ``neutone-bench --help`` does not load torch.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from neutone_bench.__about__ import __version__

_HOMES = {
    "DEFAULT_MODEL": "embedded",
    "EMBEDDED_MODELS": "embedded",
    "DelayReport": "host",
    "SettingError": "host",
    "configure": "host",
    "reported_delay": "host",
    "LatencyRow": "latency",
    "find_lag": "latency",
    "measure_delay": "latency",
    "noise_burst": "latency",
    "BenchModel": "models",
    "ModelNotFoundError": "models",
    "resolve_model": "models",
    "OperatorRow": "operators",
    "ProfileResult": "profile",
    "profile_model": "profile",
    "ResponseError": "response",
    "ResponseResult": "response",
    "measure_response": "response",
    "plot_response": "response",
    "ClipSpeedResult": "clip_speed",
    "measure_clip_speed": "clip_speed",
    "SpeedResult": "speed",
    "measure_speed": "speed",
    "TimingSummary": "stats",
    "count_deadline_misses": "stats",
    "interquartile_range": "stats",
    "median": "stats",
    "percentile": "stats",
    "slow_threshold": "stats",
    "summarize_timings": "stats",
}

__all__ = [
    "DEFAULT_MODEL",
    "EMBEDDED_MODELS",
    "BenchModel",
    "ClipSpeedResult",
    "DelayReport",
    "LatencyRow",
    "ModelNotFoundError",
    "OperatorRow",
    "ProfileResult",
    "ResponseError",
    "ResponseResult",
    "SettingError",
    "SpeedResult",
    "TimingSummary",
    "__version__",
    "configure",
    "count_deadline_misses",
    "find_lag",
    "interquartile_range",
    "measure_clip_speed",
    "measure_delay",
    "measure_response",
    "measure_speed",
    "median",
    "noise_burst",
    "percentile",
    "plot_response",
    "profile_model",
    "reported_delay",
    "resolve_model",
    "slow_threshold",
    "summarize_timings",
]

if TYPE_CHECKING:
    from neutone_bench.clip_speed import ClipSpeedResult, measure_clip_speed
    from neutone_bench.embedded import DEFAULT_MODEL, EMBEDDED_MODELS
    from neutone_bench.host import DelayReport, SettingError, configure, reported_delay
    from neutone_bench.latency import LatencyRow, find_lag, measure_delay, noise_burst
    from neutone_bench.models import BenchModel, ModelNotFoundError, resolve_model
    from neutone_bench.operators import OperatorRow
    from neutone_bench.profile import ProfileResult, profile_model
    from neutone_bench.response import (
        ResponseError,
        ResponseResult,
        measure_response,
        plot_response,
    )
    from neutone_bench.speed import SpeedResult, measure_speed
    from neutone_bench.stats import (
        TimingSummary,
        count_deadline_misses,
        interquartile_range,
        median,
        percentile,
        slow_threshold,
        summarize_timings,
    )


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'neutone_bench' has no attribute {name!r}")
    value = getattr(import_module(f"neutone_bench.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
