"""Trace an inner model TorchScript cannot compile, at the adapter's one block shape, and prove it.

The adapter calls ``do_forward_pass`` with one input shape per native setting,
``(in_ch, look_behind + native_bs + look_ahead)``, so a model that cannot be scripted (Python
constructs TorchScript refuses, as in Neural Amp Modeler's WaveNet) can still be exported when the
module ``do_forward_pass`` calls, ``wrapper.model``, is traced at exactly that shape. The adapter
itself stays scripted.

A trace records one run: branches on data, Python-side state and shapes read as numbers are frozen.
So the trace is proven before it is used: traced and eager outputs must agree on random inputs and
knob values at every native setting, over several consecutive blocks from the same starting state
(a model with state must keep it in registered buffers updated in place, which a trace records;
state in plain attributes is frozen, and the proof then fails at the second block). The tracer's
own warnings are listed with the proof's verdict, never dropped.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, WaveformToWaveformBase
from neutone_export.errors import one_line

TRACE_BUFFER_SIZE = 512
"""Native buffer size chosen for tracing a model that accepts any size: a trace holds one shape."""

_BLOCKS = 4
_TOLERANCE = 1e-4  # float32 ops in another order: differences of a few ulps, far below audibility


class TracingError(ValueError):
    """The inner model cannot be traced, or its trace does not behave as the Python model does."""


@dataclass
class TraceReport:
    """What the trace fallback did: the shapes traced, the proof and the tracer's warnings."""

    module_path: str
    native_buffer_sizes: List[int]
    chosen_buffer_size: int | None
    input_shapes: List[List[int]]
    blocks_compared: int
    max_difference: float
    tracer_warnings: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "module": self.module_path,
            "native_buffer_sizes": self.native_buffer_sizes,
            "chosen_buffer_size": self.chosen_buffer_size,
            "input_shapes": self.input_shapes,
            "blocks_compared": self.blocks_compared,
            "max_difference": self.max_difference,
            "tracer_warnings": self.tracer_warnings,
        }

    def summary(self) -> str:
        """One line for a report or a log."""
        chosen = (
            f"; native buffer size {self.chosen_buffer_size} chosen for tracing"
            if self.chosen_buffer_size is not None
            else ""
        )
        examined = (
            f"; {len(self.tracer_warnings)} tracer warning(s) examined by the proof"
            if self.tracer_warnings
            else ""
        )
        return (
            f"traced {self.module_path} at {self.input_shapes}{chosen}: traced == eager over "
            f"{self.blocks_compared} blocks (max difference {self.max_difference:.2e}){examined}"
        )


class _CapturedError(Exception):
    """Raised by the capture hook so that the inner model does not run (its state stays put)."""

    def __init__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        super().__init__("captured")
        self.args_ = args
        self.kwargs_ = kwargs


def _capture_inner_args(
    wrapper: WaveformToWaveformBase, x: Tensor, params: Dict[str, Tensor]
) -> Tuple[Tensor, ...]:
    """The arguments ``do_forward_pass(x, params)`` gives ``wrapper.model``, without running it."""

    def hook(module: nn.Module, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        raise _CapturedError(args, kwargs)

    handle = wrapper.model.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        with torch.no_grad():
            wrapper.do_forward_pass(x, params)
    except _CapturedError as captured:
        if captured.kwargs_:
            raise TracingError(
                f"do_forward_pass calls self.model with keyword arguments "
                f"{sorted(captured.kwargs_)}: a traced module takes positional tensors only; "
                "pass them positionally (or wrap the call in a small module that does)"
            ) from None
        if not all(isinstance(a, Tensor) for a in captured.args_):
            kinds = [type(a).__name__ for a in captured.args_]
            raise TracingError(
                f"do_forward_pass calls self.model with arguments of types {kinds}: a traced "
                "module takes tensors only; pass numbers as tensors"
            ) from None
        return tuple(a.detach().clone() for a in captured.args_)
    finally:
        handle.remove()
    raise TracingError(
        f"{type(wrapper).__name__}.do_forward_pass never calls self.model: tracing replaces "
        "self.model, so the module that cannot be scripted must be self.model"
    )


def _random_params(
    wrapper: WaveformToWaveformBase, generator: torch.Generator
) -> Dict[str, Tensor]:
    """Knob values as ``do_forward_pass`` receives them: each knob's own range, one per block."""
    params: Dict[str, Tensor] = {}
    for knob in wrapper.get_neutone_parameters():
        u = float(torch.rand(1, generator=generator))
        if isinstance(knob, CategoricalNeutoneParameter):
            params[knob.name] = torch.tensor([float(math.floor(u * knob.n_values))])
        else:
            low = float(getattr(knob, "min_value", 0.0))
            high = float(getattr(knob, "max_value", 1.0))
            params[knob.name] = torch.tensor([low + u * (high - low)])
    return params


def _fix_native_buffer_size(wrapper: WaveformToWaveformBase, size: int) -> None:
    """Make the wrapper declare one native buffer size, the one the trace is made at."""
    base = type(wrapper)

    def get_native_buffer_sizes(self: WaveformToWaveformBase) -> List[int]:
        return [size]

    fixed = type(base.__name__, (base,), {"get_native_buffer_sizes": get_native_buffer_sizes})
    fixed.__module__ = base.__module__
    fixed.__qualname__ = base.__qualname__
    wrapper.__class__ = fixed


def _block_inputs(
    wrapper: WaveformToWaveformBase, buffer_size: int, generator: torch.Generator
) -> Tuple[Tensor, ...]:
    in_ch = 1 if wrapper.is_input_mono() else 2
    n = wrapper.get_look_behind_samples() + buffer_size + wrapper.get_look_ahead_samples()
    x = torch.rand(in_ch, n, generator=generator) * 2.0 - 1.0
    return _capture_inner_args(wrapper, x, _random_params(wrapper, generator))


def _reset(wrapper: WaveformToWaveformBase) -> None:
    with torch.no_grad():
        wrapper.reset_model()


def _trace(
    inner: nn.Module, example: Tuple[Tensor, ...]
) -> Tuple[torch.jit.ScriptModule, List[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", torch.jit.TracerWarning)
        try:
            with torch.no_grad():
                traced = torch.jit.trace(inner, example, check_trace=False)
        except Exception as error:  # the tracer raises RuntimeError and others alike
            raise TracingError(
                f"torch.jit.trace failed on the inner model: {one_line(error)}"
            ) from error
    found = []
    for warning in caught:
        if issubclass(warning.category, torch.jit.TracerWarning):
            text = str(warning.message).splitlines()[0]
            found.append(f"{warning.filename.rsplit('/', 1)[-1]}:{warning.lineno}: {text}")
    return traced, found


def trace_inner_model(
    wrapper: WaveformToWaveformBase, sample_rate: int | None = None, seed: int = 0
) -> TraceReport:
    """Replace ``wrapper.model`` by its trace at the adapter's block shape, once proven equal.

    Args:
        wrapper: the researcher's model; its ``model`` attribute is what gets traced.
        sample_rate: the native rate used while proving (default: the first native rate, or 48000).
        seed: seed of the random inputs and knob values of the proof.

    Raises:
        TracingError: the trace fails, or differs from the Python model at some block (the
            message says which and why: frozen state or data-dependent control flow). The
            wrapper is then left as it was.
    """
    if not isinstance(getattr(wrapper, "model", None), nn.Module):
        raise TracingError(f"{type(wrapper).__name__}.model must be the nn.Module to trace")
    original_class = type(wrapper)
    sizes = list(wrapper.get_native_buffer_sizes())
    chosen = None
    if not sizes:
        chosen = TRACE_BUFFER_SIZE
        _fix_native_buffer_size(wrapper, chosen)
        sizes = [chosen]
    rates = list(wrapper.get_native_sample_rates())
    rate = sample_rate or (rates[0] if rates else 48000)
    try:
        traced, shapes, worst, tracer_warnings = _trace_and_prove(
            wrapper, rate, sizes, torch.Generator().manual_seed(seed)
        )
    except BaseException:
        wrapper.__class__ = original_class
        _reset(wrapper)
        raise
    wrapper.model = traced
    return TraceReport(
        module_path="self.model",
        native_buffer_sizes=sizes,
        chosen_buffer_size=chosen,
        input_shapes=shapes,
        blocks_compared=_BLOCKS * len(sizes),
        max_difference=worst,
        tracer_warnings=tracer_warnings,
    )


def _trace_and_prove(
    wrapper: WaveformToWaveformBase, rate: int, sizes: List[int], generator: torch.Generator
) -> Tuple[torch.jit.ScriptModule, List[List[int]], float, List[str]]:
    """The trace at the first size, proven over ``_BLOCKS`` consecutive blocks at every size."""
    inner = wrapper.model
    inner.eval()
    wrapper.set_model_sample_rate_and_buffer_size(rate, sizes[0])
    _reset(wrapper)
    traced, tracer_warnings = _trace(inner, _block_inputs(wrapper, sizes[0], generator))

    worst = 0.0
    shapes: List[List[int]] = []
    for size in sizes:
        wrapper.set_model_sample_rate_and_buffer_size(rate, size)
        _reset(wrapper)
        eager = copy.deepcopy(inner)  # the same starting state; the trace shares `inner`'s tensors
        for block in range(_BLOCKS):
            args = _block_inputs(wrapper, size, generator)
            if block == 0:
                shapes.append(list(args[0].shape))
            with torch.no_grad():
                difference = _max_difference(eager(*args), traced(*args))
            if not difference <= _TOLERANCE:  # NaN fails too
                alone = _first_block_difference(wrapper, traced, args)
                raise TracingError(
                    _why(type(inner).__name__, size, sizes[0], block, difference, alone)
                    + _warned(tracer_warnings)
                )
            worst = max(worst, difference)
    _reset(wrapper)
    return traced, shapes, worst, tracer_warnings


def _first_block_difference(
    wrapper: WaveformToWaveformBase, traced: torch.jit.ScriptModule, args: Tuple[Tensor, ...]
) -> float:
    """Traced against eager on the failing block alone, from the reset state: equal there means
    the difference came from state carried between blocks; different means the values decide."""
    _reset(wrapper)
    eager = copy.deepcopy(wrapper.model)
    with torch.no_grad():
        return _max_difference(eager(*args), traced(*args))


def _max_difference(expected: Any, got: Any) -> float:
    if isinstance(expected, Tensor) and isinstance(got, Tensor):
        if expected.shape != got.shape:
            return math.inf
        return float((expected.double() - got.double()).abs().max()) if expected.numel() else 0.0
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)):
        if len(expected) != len(got):
            return math.inf
        return max((_max_difference(e, g) for e, g in zip(expected, got, strict=True)), default=0.0)
    return 0.0 if expected == got else math.inf


def _why(
    name: str, size: int, traced_size: int, block: int, difference: float, alone: float
) -> str:
    """Why the trace differs, from where it first did and whether the block alone differs."""
    head = (
        f"trace=True: the trace of {name} differs from the Python model at native buffer size "
        f"{size}, block {block + 1} of {_BLOCKS} (max difference {difference:.3g}): "
    )
    if alone <= _TOLERANCE:
        return head + (
            "the same block from the reset state matches, so state carried between calls is "
            "frozen in the trace; keep state in registered buffers (self.register_buffer) "
            "updated in place (self.state.copy_(...)), not in plain attributes"
        )
    if size != traced_size:
        return head + (
            f"the trace was made at native buffer size {traced_size} and holds that shape; "
            "declare a single native buffer size"
        )
    return head + (
        "a trace records one run, so control flow that depends on the input's values (or the "
        "knobs') is frozen at the branch the example took; compute both branches with "
        "torch.where, or make the model scriptable instead"
    )


def _warned(tracer_warnings: List[str]) -> str:
    if not tracer_warnings:
        return ""
    return "; the tracer warned: " + " | ".join(tracer_warnings[:3])
