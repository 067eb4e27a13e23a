"""The validation suite: one function per check, each returning a `CheckResult` with the figure it
measured.

Every check works on fresh copies of the module (`CheckContext.fresh`), so no check sees another's
state. A check that needs a method the file lacks (a Neutone SDK 1.5 file has no
`get_delay_breakdown`) is skipped with the reason. Signals are short (`CheckContext.seconds`, 0.5 s
by default) so a simple model validates in seconds on one core.
"""

import contextlib
import copy
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_core import MetadataError, RealtimeAdapter, WaveformToWaveformBase, validate_metadata
from neutone_core.adapter import REFERENCE_PRESERVED_ATTRIBUTES
from neutone_export.contract import DEFAULT_VALUE_GETTERS, OPTIONAL_METHODS, REQUIRED_METHODS
from neutone_export.host import (
    configure,
    fixed_sizes,
    impulse,
    knob_rows,
    noise,
    pad_to,
    random_sizes,
    reported_delay,
    silence,
    sine_sweep,
    stream,
)
from neutone_export.load import copy_script_module, plugin_load_problems
from neutone_export.measure import best_shift, impulse_lag, xcorr_lag
from neutone_export.report import CheckResult

DEFAULT_SAMPLE_RATES = (44100, 48000)
DEFAULT_BUFFER_SIZES = (32, 64, 128, 256, 512, 1024, 2048)
REALTIME_BUFFER_SIZES = (128, 2048)
REALTIME_SAMPLE_RATE = 48000
BASE_SAMPLE_RATE = 48000
BASE_BUFFER_SIZE = 512
# Same module, same input: the outputs must match to float32 rounding of a few operations.
EXACT_TOLERANCE = 1e-6
# Streamed versus offline and eager versus scripted may differ by float32 rounding in longer sums
# (resampler kernels, fused ops); 1e-4 of full scale is -80 dBFS, far below audibility.
NUMERIC_TOLERANCE = 1e-4
# Below this normalised cross-correlation the output is unrelated to the input and no delay can be
# read.
MIN_CORRELATION = 0.3
MAX_LISTED = 4


@dataclass
class CheckContext:
    """What every check needs: the module under test, its metadata and the suite's settings."""

    module: nn.Module
    metadata: Dict[str, Any] | None = None
    eager_model: nn.Module | None = None
    sample_rates: Sequence[int] = DEFAULT_SAMPLE_RATES
    buffer_sizes: Sequence[int] = DEFAULT_BUFFER_SIZES
    seconds: float = 0.5
    seed: int = 0
    made_by_reference: bool = False
    _is_script: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._is_script = isinstance(self.module, torch.jit.ScriptModule)

    def has(self, name: str) -> bool:
        """Whether the module offers the method `name` (compiled, for a scripted module)."""
        if self._is_script:
            return bool(self.module._c._has_method(name))
        return callable(getattr(self.module, name, None))

    def fresh(self) -> nn.Module:
        """An independent copy of the module with its own state."""
        if self._is_script:
            return copy_script_module(self.module)
        return copy.deepcopy(self.module)

    def n_samples(self, sample_rate: int) -> int:
        """Length of the test signals at `sample_rate`."""
        return max(1, round(self.seconds * sample_rate))


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _listed(items: List[str]) -> str:
    """At most MAX_LISTED items joined, with a count of the rest."""
    shown = "; ".join(items[:MAX_LISTED])
    rest = len(items) - MAX_LISTED
    return shown + (f"; and {rest} more" if rest > 0 else "")


def _max_diff(a: Tensor, b: Tensor) -> float:
    return float((a.to(torch.float64) - b.to(torch.float64)).abs().max()) if a.numel() else 0.0


def _first_difference(a: Tensor, b: Tensor, tolerance: float) -> int:
    over = (~((a - b).abs() <= tolerance)).any(dim=0).nonzero()  # NaN counts as a difference
    return int(over[0]) if over.numel() else -1


def _non_finite(y: Tensor) -> str:
    """Empty when `y` is all finite, else how many samples are NaN/Inf and where the first is."""
    bad = ~torch.isfinite(y)
    count = int(bad.sum())
    if count == 0:
        return ""
    first = int(bad.any(dim=0).nonzero()[0])
    return f"{count} NaN/Inf samples (first at sample {first})"


def _knob_text(params: Tensor | None) -> str:
    """The knob setting of a test run, for messages: defaults, or the ramp's start and end."""
    if params is None:
        return "knobs at their defaults"
    start = ", ".join(f"{float(v):.2f}" for v in params[:, 0])
    end = ", ".join(f"{float(v):.2f}" for v in params[:, -1])
    return f"knobs ramping from [{start}] to [{end}]"


def _within(diff: float, tolerance: float) -> bool:
    """`diff <= tolerance`, False for NaN (a NaN difference is never within a tolerance)."""
    return diff <= tolerance


# -- plugin load and origin
# -------------------------------------------------------------------------


def check_plugin_load(ctx: CheckContext) -> CheckResult:
    """The plugin's loader would accept the module: `realtime` and every preserved name exist."""
    problems = plugin_load_problems(ctx.module)
    if problems:
        message = "the Neutone plugin's loader would refuse it: " + "; ".join(problems)
        return CheckResult("plugin_load", False, len(problems), message, "problems")
    names = len(REFERENCE_PRESERVED_ATTRIBUTES)
    message = f"realtime is True and the reference's {names} preserved names exist"
    return CheckResult("plugin_load", True, 0, message, "problems")


def check_origin(ctx: CheckContext) -> CheckResult:
    """Which tool wrote the file, and how the suite drives it: never fails."""
    metadata = ctx.metadata if ctx.metadata is not None else {}
    version = metadata.get("sdk_version", "?")
    if ctx.made_by_reference:
        message = (
            f"written by the Neutone SDK {version}: checked with fixed host buffers, as the "
            "plugin drives it; a re-export with neutone adds variable host buffer sizes, "
            "anti-aliased streaming resampling and the exact delay split (get_delay_breakdown)"
        )
    else:
        message = f"written by neutone {version}: checked with variable host buffer sizes"
    return CheckResult("origin", True, None, message)


# -- contract
# ---------------------------------------------------------------------------------------


def _signature_problem(module: torch.jit.ScriptModule, name: str, expected: Any) -> str | None:
    """Compare a compiled method's schema with the contract's; None when they agree."""
    schema = module._c._get_method(name).schema
    arguments = [(a.name, str(a.type), a.has_default_value()) for a in schema.arguments[1:]]
    returns = ", ".join(str(r.type) for r in schema.returns)
    want_args, want_return = expected
    if arguments != want_args or returns != want_return:
        want = ", ".join(f"{n}: {t}{' = ...' if d else ''}" for n, t, d in want_args)
        got = ", ".join(f"{n}: {t}{' = ...' if d else ''}" for n, t, d in arguments)
        return f"{name}({got}) -> {returns}, expected {name}({want}) -> {want_return}"
    return None


def _value_problems(module: nn.Module) -> List[str]:
    """Call the getters and check what they return against the contract's types and ranges."""
    problems: List[str] = []
    for name in ("is_input_mono", "is_output_mono", "is_resampling"):
        if not isinstance(getattr(module, name)(), bool):
            problems.append(f"{name}() must return a bool")
    for name in DEFAULT_VALUE_GETTERS:
        value = getattr(module, name)()
        if not (isinstance(value, float) and 0.0 <= value <= 1.0):
            problems.append(f"{name}() must return a float in [0, 1], got {value!r}")
    defaults = module.get_default_param_values()
    if not (isinstance(defaults, Tensor) and defaults.numel() == 4):
        problems.append(
            f"get_default_param_values() must have shape (4,), got {tuple(defaults.shape)}"
        )
    elif not bool(((defaults >= 0.0) & (defaults <= 1.0)).all()):  # NaN is outside
        problems.append(f"get_default_param_values() must lie in [0, 1], got {defaults.flatten()}")
    for name in ("get_native_sample_rates", "get_native_buffer_sizes"):
        values = getattr(module, name)()
        if any(v <= 0 for v in values):
            problems.append(f"{name}() must list positive ints, got {values}")
    for attribute in module.get_preserved_attributes():
        if not hasattr(module, attribute):
            problems.append(
                f"get_preserved_attributes() names {attribute!r}, which the module lacks"
            )
    metadata = module.to_metadata()
    try:
        from_json = json.loads(module.get_metadata_json())
        if from_json != json.loads(json.dumps(metadata)):
            problems.append("get_metadata_json() does not encode to_metadata()")
    except json.JSONDecodeError as error:
        problems.append(f"get_metadata_json() is not valid JSON ({error})")
    answer = configure(module, BASE_SAMPLE_RATE, BASE_BUFFER_SIZE)
    if answer < BASE_BUFFER_SIZE:
        problems.append(
            f"set_daw_sample_rate_and_buffer_size({BASE_SAMPLE_RATE}, {BASE_BUFFER_SIZE}) "
            f"returned {answer}, must be >= {BASE_BUFFER_SIZE}"
        )
    for name in ("calc_buffering_delay_samples", "calc_model_delay_samples"):
        if getattr(module, name)() < 0:
            problems.append(f"{name}() must be >= 0")
    return problems


def check_contract(ctx: CheckContext) -> CheckResult:
    """Every contract method exists with the right signature; the getters return sane values."""
    problems: List[str] = []
    missing = [name for name in REQUIRED_METHODS if not ctx.has(name)]
    problems += [f"method {name} is missing" for name in missing]
    checked = [name for name in REQUIRED_METHODS if name not in missing]
    checked += [name for name in OPTIONAL_METHODS if ctx.has(name)]
    if ctx._is_script:
        table = {**REQUIRED_METHODS, **OPTIONAL_METHODS}
        for name in checked:
            problem = _signature_problem(ctx.module, name, table[name])
            if problem:
                problems.append(problem)
    if not missing:
        problems += _value_problems(ctx.fresh())
    absent_optional = [name for name in OPTIONAL_METHODS if not ctx.has(name)]
    note = f" (no optional {', '.join(absent_optional)})" if absent_optional else ""
    if problems:
        return CheckResult("contract", False, len(problems), _listed(problems), "problems")
    message = f"all {len(checked)} methods present with the contract's signatures and value ranges"
    return CheckResult("contract", True, 0, message + note, "problems")


# -- metadata
# ---------------------------------------------------------------------------------------


def check_metadata(ctx: CheckContext) -> CheckResult:
    """The metadata (the file's `metadata.json`, else `to_metadata()`) follows the schema."""
    metadata = ctx.metadata if ctx.metadata is not None else dict(ctx.module.to_metadata())
    try:
        validate_metadata(metadata)
    except MetadataError as error:
        return CheckResult(
            "metadata", False, len(error.violations), _listed(error.violations), "violations"
        )
    n_samples = len(metadata.get("sample_sound_files", []))
    return CheckResult(
        "metadata", True, 0, f"schema satisfied; sample_sound_files: {n_samples}", "violations"
    )


# -- consistency of metadata.json with the module
# ---------------------------------------------------------------------------------------


def _answer(module: nn.Module, name: str) -> Any:
    """The module's answer to the getter `name`, asking its `w2w_base` where the adapter lacks it
    (a Neutone SDK 1.5 file keeps look-behind there); None when neither has it."""
    for owner in (module, getattr(module, "w2w_base", None)):
        if owner is None:
            continue
        has = (
            owner._c._has_method(name)
            if isinstance(owner, torch.jit.ScriptModule)
            else callable(getattr(owner, name, None))
        )
        if has:
            return getattr(owner, name)()
    return None


def _knob_position(slot: Dict[str, Any]) -> float | None:
    """Default knob position in [0, 1] that a metadata slot states; None where it cannot say.

    The metadata holds a continuous knob's default in the model's units, inside
    `[min_value, max_value]`, and a categorical knob's default as an index below `n_values`.
    """
    default = slot.get("default_value")
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        return None
    if slot.get("type") == "categorical":
        n_values = slot.get("n_values")
        return default / (n_values - 1) if isinstance(n_values, int) and n_values > 1 else None
    low, high = slot.get("min_value", 0.0), slot.get("max_value", 1.0)
    numbers = all(isinstance(v, (int, float)) for v in (low, high))
    return (default - low) / (high - low) if numbers and high != low else None


def _used_slots(metadata: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The metadata's used knob slots (`p1`..`p4` with `used` true), by slot name."""
    slots = metadata.get("neutone_parameters")
    if not isinstance(slots, dict):
        return {}
    return {k: v for k, v in sorted(slots.items()) if isinstance(v, dict) and v.get("used")}


def _consistency_problems(ctx: CheckContext, metadata: Dict[str, Any]) -> Tuple[List[str], int]:
    """Disagreements between `metadata` and the module's answers, and how many items compared."""
    module = ctx.fresh()
    problems: List[str] = []
    compared = 0
    pairs = [
        ("is_input_mono", "is_input_mono"),
        ("is_output_mono", "is_output_mono"),
        ("native_sample_rates", "get_native_sample_rates"),
        ("native_buffer_sizes", "get_native_buffer_sizes"),
        ("look_behind_samples", "get_look_behind_samples"),
        ("look_ahead_samples", "get_look_ahead_samples"),
    ]
    for key, getter in pairs:
        if key not in metadata:
            continue
        answer = _answer(module, getter)
        if answer is None:
            continue
        compared += 1
        answer = list(answer) if isinstance(answer, list) else answer
        if metadata[key] != answer:
            problems.append(f"metadata {key} = {metadata[key]!r} but {getter}() = {answer!r}")
    if "model_type" in metadata and ctx.has("is_input_mono") and ctx.has("is_output_mono"):
        compared += 1
        layout = {True: "mono", False: "stereo"}
        model_type = f"{layout[module.is_input_mono()]}-{layout[module.is_output_mono()]}"
        if metadata["model_type"] != model_type:
            problems.append(
                f"metadata model_type = {metadata['model_type']!r}, module is {model_type}"
            )
    if "neutone_parameters" in metadata and ctx.has("to_metadata"):
        compared += 1
        ours = _used_slots(metadata)
        theirs = _used_slots(dict(module.to_metadata()))
        if len(ours) != len(theirs):
            problems.append(f"metadata has {len(ours)} knob(s), the module {len(theirs)}")
    if ctx.has("get_default_param_values"):
        defaults = module.get_default_param_values().flatten().tolist()
        for slot, entry in _used_slots(metadata).items():
            i = int(slot[1:]) - 1 if slot[1:].isdigit() else len(defaults)
            position = _knob_position(entry)
            if position is None or not 0 <= i < len(defaults):
                continue
            compared += 1
            if not abs(position - defaults[i]) <= 1e-6:
                problems.append(
                    f"metadata {slot} default is knob position {position:.4g} but "
                    f"get_default_param_values()[{i}] = {defaults[i]:.4g}"
                )
    return problems, compared


def check_consistency(ctx: CheckContext) -> CheckResult:
    """`metadata.json` says what the module does: channels, native rates and buffer sizes,
    look-behind, look-ahead, knob count and defaults."""
    metadata = ctx.metadata if ctx.metadata is not None else dict(ctx.module.to_metadata())
    problems, compared = _consistency_problems(ctx, metadata)
    if problems:
        message = "metadata.json contradicts the module: " + _listed(problems)
        return CheckResult("consistency", False, len(problems), message, "contradictions")
    if compared == 0:
        message = "skipped: the metadata has none of the keys to compare with the module"
        return CheckResult("consistency", True, None, message, skipped=True)
    message = f"metadata.json agrees with the module on all {compared} items compared"
    return CheckResult("consistency", True, 0, message, "contradictions")


# -- shapes
# -----------------------------------------------------------------------------------------


def check_shapes(ctx: CheckContext) -> CheckResult:
    """Output `(host_ch, n)` float32 at every host sample rate, buffer size and channel count."""
    module = ctx.fresh()
    failures: List[str] = []
    total = 0
    for sample_rate in ctx.sample_rates:
        for buffer_size in ctx.buffer_sizes:
            for channels in (1, 2):
                total += 1
                layout = "mono" if channels == 1 else "stereo"
                case = f"{sample_rate} Hz, {buffer_size} samples, {layout}"
                try:
                    configure(module, sample_rate, buffer_size)
                    x = noise(buffer_size, ctx.seed, channels, amplitude=0.5)
                    for _ in range(3):
                        with torch.no_grad():
                            y = module.forward(x, None)
                        if tuple(y.shape) != (channels, buffer_size) or y.dtype != torch.float32:
                            failures.append(f"{case}: got {tuple(y.shape)} {y.dtype}")
                            break
                except Exception as error:
                    failures.append(f"{case}: raised {_first_line(error)}")
    if failures:
        message = f"{len(failures)} of {total} settings wrong (expected (channels, n) float32): "
        return CheckResult("shapes", False, len(failures), message + _listed(failures), "settings")
    message = (
        f"(channels, n) float32 at all {total} settings: {list(ctx.sample_rates)} Hz x "
        f"{list(ctx.buffer_sizes)} samples x mono/stereo host"
    )
    return CheckResult("shapes", True, 0, message, "wrong settings")


# -- no NaN or Inf
# ----------------------------------------------------------------------------------


def _knob_settings(module: nn.Module) -> List[Tuple[str, Tensor]]:
    defaults = module.get_default_param_values().flatten()[:4].to(torch.float32)
    return [("minimum", torch.zeros(4)), ("maximum", torch.ones(4)), ("default", defaults)]


def check_finite(ctx: CheckContext) -> CheckResult:
    """No NaN/Inf for silence, full-scale noise and a sweep, at every knob's min, max, default."""
    module = ctx.fresh()
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    configure(module, sample_rate, buffer_size)
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    signals = {
        "silence": silence(total),
        "full-scale noise": noise(total, ctx.seed),
        "sine sweep": sine_sweep(total, sample_rate),
    }
    bad = 0
    failures: List[str] = []
    peak = 0.0
    for knob_name, values in _knob_settings(module):
        params = knob_rows(values, total)
        for signal_name, x in signals.items():
            module.reset()
            y = stream(module, x, fixed_sizes(total, buffer_size), params)
            not_finite = ~torch.isfinite(y)
            count = int(not_finite.sum())
            if count:
                first = int(not_finite.any(dim=0).nonzero()[0])
                failures.append(
                    f"{signal_name} at knob {knob_name}: {count} NaN/Inf samples (first at {first})"
                )
                bad += count
            else:
                peak = max(peak, float(y.abs().max()) if y.numel() else 0.0)
    if failures:
        return CheckResult("finite", False, bad, _listed(failures), "NaN/Inf samples")
    message = (
        f"no NaN/Inf in 9 runs (silence, noise, sweep x knobs min/max/default); "
        f"peak |y| = {peak:.3g}"
    )
    return CheckResult("finite", True, 0, message, "NaN/Inf samples")


# -- determinism and reset
# --------------------------------------------------------------------------


def _knob_ramps(n: int, seed: int) -> Tensor:
    """Knob signals `(4, n)` that move slowly between random values in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    start, end = torch.rand(4, 1, generator=generator), torch.rand(4, 1, generator=generator)
    t = torch.linspace(0.0, 1.0, n).reshape(1, n)
    return start + (end - start) * t


def check_determinism(ctx: CheckContext) -> CheckResult:
    """Two fresh copies given the same input and knobs produce the same output."""
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    x, params = noise(total, ctx.seed), _knob_ramps(total, ctx.seed)
    outputs = []
    for _ in range(2):
        module = ctx.fresh()
        configure(module, sample_rate, buffer_size)
        outputs.append(stream(module, x, fixed_sizes(total, buffer_size), params))
    bad = _non_finite(outputs[0]) or _non_finite(outputs[1])
    if bad:
        message = f"output is not finite with {_knob_text(params)}: {bad}; nothing to compare"
        return CheckResult("determinism", False, math.nan, message, "max |difference|")
    diff = _max_diff(outputs[0], outputs[1])
    if not _within(diff, EXACT_TOLERANCE):
        first = _first_difference(outputs[0], outputs[1], EXACT_TOLERANCE)
        message = (
            f"same input, different output: max difference {diff:.3g} (first at sample {first}); "
            "look for unseeded randomness or uninitialised buffers"
        )
        return CheckResult("determinism", False, diff, message, "max |difference|")
    return CheckResult(
        "determinism", True, diff, "two copies give identical output", "max |difference|"
    )


def check_reset(ctx: CheckContext) -> CheckResult:
    """After audio and `reset()`, the module answers a probe exactly as a fresh one does."""
    sample_rate, buffer_size = BASE_SAMPLE_RATE, BASE_BUFFER_SIZE
    n = ctx.n_samples(sample_rate)
    total = math.ceil(n / buffer_size) * buffer_size
    sizes = fixed_sizes(total, buffer_size)
    probe = noise(total, ctx.seed + 2, amplitude=0.5)
    used = ctx.fresh()
    configure(used, sample_rate, buffer_size)
    stream(used, noise(total, ctx.seed + 1), sizes, _knob_ramps(total, ctx.seed + 1))
    used.reset()
    after_reset = stream(used, probe, sizes)
    fresh = ctx.fresh()
    configure(fresh, sample_rate, buffer_size)
    expected = stream(fresh, probe, sizes)
    bad = _non_finite(after_reset) or _non_finite(expected)
    if bad:
        message = f"output is not finite with {_knob_text(None)}: {bad}; nothing to compare"
        return CheckResult("reset", False, math.nan, message, "max |difference|")
    diff = _max_diff(after_reset, expected)
    if not _within(diff, EXACT_TOLERANCE):
        first = _first_difference(after_reset, expected, EXACT_TOLERANCE)
        message = (
            "reset() leaves state behind: after reset() the output differs from a fresh "
            f"module's by up to {diff:.3g} (first at sample {first}); clear every buffer in "
            "reset_model()"
        )
        return CheckResult("reset", False, diff, message, "max |difference|")
    return CheckResult(
        "reset", True, diff, "reset() restores the initial state", "max |difference|"
    )


# -- streaming versus offline
# ------------------------------------------------------------------------


def _streaming_case(ctx: CheckContext, sample_rate: int, max_size: int) -> Tuple[float, str]:
    """Max difference between variable-size streaming (delay removed) and forward_offline."""
    n = ctx.n_samples(sample_rate)
    x = noise(n, ctx.seed + 3, amplitude=0.5)
    streamer = ctx.fresh()
    configure(streamer, sample_rate, max_size)
    delay = reported_delay(streamer)
    generator = torch.Generator().manual_seed(ctx.seed + sample_rate + max_size)
    total = n + delay
    streamed = stream(streamer, pad_to(x, total), random_sizes(total, max_size, generator))
    streamed = streamed[:, delay:]
    offline_module = ctx.fresh()
    configure(offline_module, sample_rate, max_size)
    with torch.no_grad():
        offline = offline_module.forward_offline(x, None).clone()
    if offline.shape != streamed.shape:
        return (
            math.inf,
            f"forward_offline returned {tuple(offline.shape)}, expected {tuple(streamed.shape)}",
        )
    bad = _non_finite(streamed) or _non_finite(offline)
    if bad:
        return math.nan, f"output is not finite with {_knob_text(None)}: {bad}"
    diff = _max_diff(streamed, offline)
    tolerance = NUMERIC_TOLERANCE * max(1.0, float(offline.abs().max()))
    if _within(diff, tolerance):
        return diff, ""
    shift = best_shift(streamed, offline, min(n // 2, 4 * max_size + delay))
    hint = f"; the offline output matches best shifted by {shift} samples" if shift else ""
    return diff, f"max difference {diff:.3g}{hint}"


def _fixed_buffers_case(
    ctx: CheckContext, sample_rate: int, sizes: Sequence[int]
) -> Tuple[float, str]:
    """Max difference between streams with different fixed host buffer sizes, delay removed."""
    n = ctx.n_samples(sample_rate)
    x = noise(n, ctx.seed + 3, amplitude=0.5)
    outputs = []
    for size in sizes:
        module = ctx.fresh()
        configure(module, sample_rate, size)
        delay = reported_delay(module)
        total = math.ceil((n + delay) / size) * size
        outputs.append(
            stream(module, pad_to(x, total), fixed_sizes(total, size))[:, delay : delay + n]
        )
    bad = _non_finite(outputs[0]) or _non_finite(outputs[1])
    if bad:
        return math.nan, f"output is not finite with {_knob_text(None)}: {bad}"
    diff = _max_diff(outputs[0], outputs[1])
    if _within(diff, NUMERIC_TOLERANCE * max(1.0, float(outputs[0].abs().max()))):
        return diff, ""
    first = _first_difference(outputs[0], outputs[1], NUMERIC_TOLERANCE)
    return diff, f"buffers of {sizes[0]} and {sizes[1]} differ by {diff:.3g} (first at {first})"


def check_streaming(ctx: CheckContext) -> CheckResult:
    """Streaming with random host buffer sizes (delay removed) equals `forward_offline`.

    A Neutone SDK 1.5 file takes one fixed host buffer size only (as its plugin sends); it is
    checked as such: fixed buffers of two sizes give the same output once the delay is removed.
    """
    if ctx.made_by_reference:
        return _check_fixed_streaming(ctx)
    cases = [(rate, (512, 2048)[i % 2]) for i, rate in enumerate(ctx.sample_rates)]
    failures: List[str] = []
    worst = 0.0
    for sample_rate, max_size in cases:
        label = f"{sample_rate} Hz, buffers of 0..{max_size} samples"
        try:
            diff, problem = _streaming_case(ctx, sample_rate, max_size)
        except Exception as error:
            failures.append(f"{label}: raised {_first_line(error)}")
            worst = math.inf
            continue
        worst = diff if math.isnan(diff) else max(worst, diff)
        if problem:
            failures.append(f"{label}: {problem}")
    if failures:
        return CheckResult("streaming", False, worst, _listed(failures), "max |difference|")
    labels = ", ".join(f"{rate} Hz/0..{size}" for rate, size in cases)
    message = f"variable-size streaming equals forward_offline ({labels})"
    return CheckResult("streaming", True, worst, message, "max |difference|")


def _check_fixed_streaming(ctx: CheckContext) -> CheckResult:
    """`check_streaming` for a file that takes one fixed host buffer size."""
    sizes = (128, 512)
    failures: List[str] = []
    worst = 0.0
    for sample_rate in ctx.sample_rates:
        try:
            diff, problem = _fixed_buffers_case(ctx, sample_rate, sizes)
        except Exception as error:
            failures.append(f"{sample_rate} Hz: raised {_first_line(error)}")
            worst = math.inf
            continue
        worst = max(worst, diff) if not math.isnan(diff) else diff
        if problem:
            failures.append(f"{sample_rate} Hz: {problem}")
    if failures:
        return CheckResult("streaming", False, worst, _listed(failures), "max |difference|")
    rates = ", ".join(f"{rate} Hz" for rate in ctx.sample_rates)
    message = (
        f"fixed host buffers of {sizes[0]} and {sizes[1]} samples give the same output, delay "
        f"removed ({rates}); variable buffer sizes not tested (the file takes one fixed size)"
    )
    return CheckResult("streaming", True, worst, message, "max |difference|")


# -- delay
# ------------------------------------------------------------------------------------------


def _delay_case(
    ctx: CheckContext, sample_rate: int, buffer_size: int
) -> Tuple[int, int, int, float]:
    """Reported delay, impulse-peak delay, cross-correlation delay and its coefficient."""
    module = ctx.fresh()
    configure(module, sample_rate, buffer_size)
    reported = reported_delay(module)
    position = 3
    total = (
        math.ceil((reported + position + ctx.n_samples(sample_rate)) / buffer_size) * buffer_size
    )
    sizes = fixed_sizes(total, buffer_size)
    y = stream(module, impulse(total, position), sizes)
    bad = _non_finite(y)
    from_impulse = impulse_lag(y, position)
    module.reset()
    x = noise(total, ctx.seed + 4, amplitude=0.5)
    y = stream(module, x, sizes)
    bad = bad or _non_finite(y)
    if bad:
        raise ValueError(f"output is not finite with {_knob_text(None)}: {bad}")
    from_xcorr, coefficient = xcorr_lag(x, y, total - 1)
    return reported, from_impulse, from_xcorr, coefficient


def check_delay(ctx: CheckContext) -> CheckResult:
    """The measured delay (cross-correlation with noise, impulse peak) equals the reported one."""
    cases = [(rate, (512, 128)[i % 2]) for i, rate in enumerate(ctx.sample_rates)]
    lines: List[str] = []
    failures: List[str] = []
    figure: float | None = None
    conclusive = 0
    for sample_rate, buffer_size in cases:
        label = f"{sample_rate} Hz/{buffer_size}"
        try:
            reported, from_impulse, from_xcorr, coefficient = _delay_case(
                ctx, sample_rate, buffer_size
            )
        except ValueError as error:
            return CheckResult("delay", False, math.nan, f"{label}: {error}", "samples")
        line = (
            f"{label}: reported {reported}, measured {from_xcorr} "
            f"(cross-correlation {coefficient:.2f}), impulse peak {from_impulse}"
        )
        lines.append(line)
        if not coefficient >= MIN_CORRELATION:
            continue
        conclusive += 1
        if from_xcorr != reported:
            failures.append(line)
            figure = figure if figure is not None else from_xcorr
        elif figure is None:
            figure = from_xcorr
    if failures:
        message = "measured delay differs from calc_buffering_delay_samples() + "
        message += "calc_model_delay_samples(): " + _listed(failures)
        return CheckResult("delay", False, figure, message, "samples")
    if conclusive == 0:
        message = (
            "skipped: the output does not correlate with the input, no delay to measure; "
            + _listed(lines)
        )
        return CheckResult("delay", True, None, message, "samples", skipped=True)
    return CheckResult("delay", True, figure, _listed(lines), "samples")


def check_delay_breakdown(ctx: CheckContext) -> CheckResult:
    """`get_delay_breakdown()` adds up to the two delays the host reads, at every tested setting."""
    module = ctx.fresh()
    failures: List[str] = []
    for sample_rate in ctx.sample_rates:
        for buffer_size in (ctx.buffer_sizes[0], ctx.buffer_sizes[-1]):
            configure(module, sample_rate, buffer_size)
            parts = dict(module.get_delay_breakdown())
            buffering = module.calc_buffering_delay_samples()
            model = module.calc_model_delay_samples()
            want = {"buffering", "resampling", "look_ahead", "model", "total"}
            if set(parts) != want:
                failures.append(f"keys {sorted(parts)}, expected {sorted(want)}")
                break
            host_side = parts["buffering"] + parts["resampling"] + parts["look_ahead"]
            if (
                host_side != buffering
                or parts["model"] != model
                or parts["total"] != buffering + model
            ):
                failures.append(
                    f"{sample_rate} Hz/{buffer_size}: breakdown {parts} but "
                    f"calc_buffering_delay_samples() = {buffering}, "
                    f"calc_model_delay_samples() = {model}"
                )
    if failures:
        return CheckResult("delay_breakdown", False, len(failures), _listed(failures), "mismatches")
    return CheckResult(
        "delay_breakdown", True, 0, "breakdown sums to the reported delays", "mismatches"
    )


# -- eager versus scripted
# --------------------------------------------------------------------------


def _eager_adapter(model: nn.Module) -> nn.Module:
    """An unscripted adapter around a copy of the user's model (or a copy of a given adapter).

    A model that cannot be deep-copied is used itself; the adapter resets it before use.
    """
    with contextlib.suppress(Exception):  # any object may refuse deepcopy; the original works
        model = copy.deepcopy(model)
    return RealtimeAdapter(model) if isinstance(model, WaveformToWaveformBase) else model


def check_eager(ctx: CheckContext) -> CheckResult:
    """The Python model and the loaded `.nm` agree (when the Python model is at hand)."""
    if ctx.eager_model is None:
        message = "skipped: no Python model to compare with (runs at save time)"
        return CheckResult("eager", True, None, message, skipped=True)
    cases = [(BASE_SAMPLE_RATE, BASE_BUFFER_SIZE), (44100, 256)]
    failures: List[str] = []
    worst = 0.0
    for sample_rate, buffer_size in cases:
        n = ctx.n_samples(sample_rate)
        total = math.ceil(n / buffer_size) * buffer_size
        x, params = noise(total, ctx.seed + 5, amplitude=0.5), _knob_ramps(total, ctx.seed + 5)
        outputs = []
        for module in (_eager_adapter(ctx.eager_model), ctx.fresh()):
            configure(module, sample_rate, buffer_size)
            outputs.append(stream(module, x, fixed_sizes(total, buffer_size), params))
        bad = _non_finite(outputs[0]) or _non_finite(outputs[1])
        if bad:
            failures.append(
                f"{sample_rate} Hz/{buffer_size}: not finite with {_knob_text(params)}: {bad}"
            )
            worst = math.nan
            continue
        diff = _max_diff(outputs[0], outputs[1])
        worst = max(worst, diff)  # stays NaN once NaN
        if not _within(diff, NUMERIC_TOLERANCE * max(1.0, float(outputs[0].abs().max()))):
            first = _first_difference(outputs[0], outputs[1], NUMERIC_TOLERANCE)
            failures.append(
                f"{sample_rate} Hz/{buffer_size}: max difference {diff:.3g} (first at {first})"
            )
    if failures:
        message = "the saved file and the Python model disagree: " + _listed(failures)
        return CheckResult("eager", False, worst, message, "max |difference|")
    return CheckResult(
        "eager", True, worst, "the saved file matches the Python model", "max |difference|"
    )


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


ALL_CHECKS: List[Tuple[str, Callable[[CheckContext], CheckResult], Tuple[str, ...]]] = [
    ("origin", check_origin, ()),
    ("plugin_load", check_plugin_load, ()),
    ("contract", check_contract, ()),
    ("metadata", check_metadata, ()),
    ("consistency", check_consistency, ()),
    ("shapes", check_shapes, ("forward", "set_daw_sample_rate_and_buffer_size")),
    ("finite", check_finite, ("forward", "reset", "get_default_param_values")),
    ("determinism", check_determinism, ("forward",)),
    ("reset", check_reset, ("forward", "reset")),
    ("streaming", check_streaming, ("forward", "forward_offline")),
    (
        "delay",
        check_delay,
        ("forward", "reset", "calc_buffering_delay_samples", "calc_model_delay_samples"),
    ),
    ("delay_breakdown", check_delay_breakdown, ("get_delay_breakdown",)),
    ("eager", check_eager, ("forward",)),
    ("realtime", check_realtime, ("forward",)),
]
