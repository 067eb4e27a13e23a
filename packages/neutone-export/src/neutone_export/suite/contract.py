"""The contract checks of a realtime `.nm`: what the plugin's loader and host rely on before any
audio flows (origin, plugin_load, contract, metadata, consistency of `metadata.json`).
"""

import json
from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor, nn

from neutone_core import MetadataError, validate_metadata
from neutone_core.adapter import REFERENCE_PRESERVED_ATTRIBUTES
from neutone_export.audio.host import configure
from neutone_export.files.load import plugin_load_problems
from neutone_export.files.reference_knobs import reference_loader_refusals
from neutone_export.module_types import as_plugin
from neutone_export.suite.context import BASE_BUFFER_SIZE, BASE_SAMPLE_RATE, CheckContext, listed
from neutone_export.suite.plugin_methods import (
    DEFAULT_VALUE_GETTERS,
    OPTIONAL_METHODS,
    REQUIRED_METHODS,
)
from neutone_export.suite.report import CheckResult

# -- plugin load and origin
# -------------------------------------------------------------------------


def check_plugin_load(ctx: CheckContext) -> CheckResult:
    """The plugin's loader would accept the module: `realtime` and every preserved name exist.

    A knob the Neutone SDK 1.5.2 loader refuses (any type but continuous) makes it a warning
    that names the knob: the plugin loads the file, that Python loader does not.
    """
    problems = plugin_load_problems(ctx.module)
    if problems:
        message = "the Neutone plugin's loader would refuse it: " + "; ".join(problems)
        return CheckResult("plugin_load", False, len(problems), message, "problems")
    names = len(REFERENCE_PRESERVED_ATTRIBUTES)
    message = f"realtime is True and the reference's {names} preserved names exist"
    refusals = reference_loader_refusals(ctx.metadata_or_module())
    if refusals:
        # Neutone's plugin loads it; only the reference SDK's Python loader refuses it.
        return CheckResult("plugin_load", True, 0, "; ".join(refusals), "problems", warning=True)
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


def _value_problems(loaded: nn.Module) -> List[str]:
    """Call the getters and check what they return against the contract's types and ranges."""
    module = as_plugin(loaded)
    problems: List[str] = []
    for name in ("is_input_mono", "is_output_mono", "is_resampling"):
        if not isinstance(getattr(module, name)(), bool):
            problems.append(f"{name}() must return a bool")
    for name in DEFAULT_VALUE_GETTERS:
        value = getattr(module, name)()
        if not (isinstance(value, float) and 0.0 <= value <= 1.0):
            problems.append(f"{name}() must return a float in [0, 1], got {value!r}")
    defaults: object = module.get_default_param_values()  # a file may return anything
    if not isinstance(defaults, Tensor):
        problems.append(
            f"get_default_param_values() must return a Tensor, got {type(defaults).__name__}"
        )
    elif defaults.numel() != 4:
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
    answer = configure(loaded, BASE_SAMPLE_RATE, BASE_BUFFER_SIZE)
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
    if ctx.is_script:
        table = {**REQUIRED_METHODS, **OPTIONAL_METHODS}
        for name in checked:
            problem = _signature_problem(ctx.script_module(), name, table[name])
            if problem:
                problems.append(problem)
    if not missing:
        problems += _value_problems(ctx.fresh())
    absent_optional = [name for name in OPTIONAL_METHODS if not ctx.has(name)]
    note = f" (no optional {', '.join(absent_optional)})" if absent_optional else ""
    if problems:
        return CheckResult("contract", False, len(problems), listed(problems), "problems")
    message = f"all {len(checked)} methods present with the contract's signatures and value ranges"
    return CheckResult("contract", True, 0, message + note, "problems")


# -- metadata
# ---------------------------------------------------------------------------------------


def check_metadata(ctx: CheckContext) -> CheckResult:
    """The metadata (the file's `metadata.json`, else `to_metadata()`) follows the schema."""
    metadata = ctx.metadata_or_module()
    try:
        validate_metadata(metadata)
    except MetadataError as error:
        return CheckResult(
            "metadata", False, len(error.violations), listed(error.violations), "violations"
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
    plugin = as_plugin(module)
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
        model_type = f"{layout[plugin.is_input_mono()]}-{layout[plugin.is_output_mono()]}"
        if metadata["model_type"] != model_type:
            problems.append(
                f"metadata model_type = {metadata['model_type']!r}, module is {model_type}"
            )
    if "neutone_parameters" in metadata and ctx.has("to_metadata"):
        compared += 1
        ours = _used_slots(metadata)
        theirs = _used_slots(dict(plugin.to_metadata()))
        if len(ours) != len(theirs):
            problems.append(f"metadata has {len(ours)} knob(s), the module {len(theirs)}")
    if ctx.has("get_default_param_values"):
        defaults = plugin.get_default_param_values().flatten().tolist()
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
    metadata = ctx.metadata_or_module()
    problems, compared = _consistency_problems(ctx, metadata)
    if problems:
        message = "metadata.json contradicts the module: " + listed(problems)
        return CheckResult("consistency", False, len(problems), message, "contradictions")
    if compared == 0:
        message = "skipped: the metadata has none of the keys to compare with the module"
        return CheckResult("consistency", True, None, message, skipped=True)
    message = f"metadata.json agrees with the module on all {compared} items compared"
    return CheckResult("consistency", True, 0, message, "contradictions")
