"""Capture a wrapper's per-block forward pass with `torch.export`, for the pt2 package.

What is captured is what the adapter's block step, `RealtimeAdapter._process_block`, computes,
on a private copy of the wrapper: the knob mapping and aggregation (with the knob stream's own
tables, or the model's own hook; see `BlockForward` for why this part is written functionally)
and the model's ``do_forward_pass``:

    forward(x: float32[in_ch, look_behind + n + look_ahead], positions: float32[4, n])
        -> float32[out_ch, n]

One graph per native sample rate the model cares about (those it declares; with none, the host
rates `PACKAGE_RATES` when it overrides ``set_model_sample_rate_and_buffer_size``, else one graph
for any rate) and per native buffer size it declares. A model that declares no buffer size gets
one graph with a dynamic block length ``n`` in ``1..DYNAMIC_MAX_BLOCK``: such a model runs on
blocks of any length (the host's buffer, or what the resampler made of it), so no fixed set of
sizes could reproduce the `.nm`.

Streaming state stays in the model's buffers, mutated in place (``copy_``, ``out=``); export keeps
those mutations and AOTInductor keeps the buffers between calls, per loaded package. Where export
cannot capture the model, `PackageExportError` says in one line which construct, where (file,
line, class and method) and in which module of the wrapper.
"""

import contextlib
import copy
import io
import logging
import sys
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from torch import Tensor, nn

from neutone_core import RealtimeAdapter, WaveformToWaveformBase

#: Host rates a package carries graphs for when the model has no native rate but reads the rate.
PACKAGE_RATES: Tuple[int, ...] = (44100, 48000, 96000)
#: Longest block a dynamic-length graph accepts (a 2048-sample host buffer at 22.05 kHz is 8917
#: native samples at 96 kHz, the highest native rate).
DYNAMIC_MAX_BLOCK = 16384
#: Rate a rate-independent model is captured at.
ANY_RATE_CAPTURE = 48000

_TORCH_DIR = str(Path(torch.__file__).parent)
_STDLIB_DIR = sysconfig.get_paths()["stdlib"]
_THIS_FILE = __file__.removesuffix("c")
_GUARD_LOGGER = "torch.fx.experimental.symbolic_shapes"


class PackageExportError(ValueError):
    """`torch.export` cannot capture the model: one line naming the construct and the module."""


@dataclass(frozen=True)
class ForwardSpec:
    """One graph of the package: the native rate it was captured at (0: any rate) and its block
    length (0 with `dynamic`: any length up to `max_block`)."""

    sample_rate: int
    buffer_size: int
    dynamic: bool
    max_block: int

    @property
    def file(self) -> str:
        """The package file's name inside the package folder."""
        size = "any" if self.dynamic else str(self.buffer_size)
        rate = f"_{self.sample_rate}" if self.sample_rate else ""
        return f"forward_{size}{rate}.pt2"


class BlockForward(nn.Module):
    """The exported module: one native block, as `RealtimeAdapter._process_block` computes it.

    The adapter's own method cannot be exported as it is: its knob stream writes the means into
    preallocated buffers and hands the model cached views of them, which export lifts as
    constants (the graph would ignore the knobs). This is the same computation, op for op, on the
    knob stream's own tables (``affine``, ``scale``, ``offset``, ``categorical``) and with the
    model's own hooks, written functionally.
    """

    def __init__(self, adapter: RealtimeAdapter) -> None:
        super().__init__()
        self.adapter = adapter

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        return self.adapter.w2w_base.do_forward_pass(x, self.knob_values(positions))

    def knob_values(self, positions: Tensor) -> Dict[str, Tensor]:
        """What `RealtimeAdapter._knob_values` gives the model for `positions` ``(4, n)``."""
        adapter = self.adapter
        knobs = adapter.knobs
        values: Dict[str, Tensor] = {}
        if knobs.n_knobs == 0:
            return values
        n = positions.size(1)
        if not adapter.hooked:
            weights = positions.new_full((n,), 1.0 / n)
            raw_and_one = torch.cat([torch.mv(positions, weights), positions.new_ones(1)])
            mean = torch.mv(knobs.affine, raw_and_one)
            rounded = torch.round(mean)
            for i, name in enumerate(knobs.names):
                values[name] = (rounded if knobs.categorical_knobs[i] else mean)[i : i + 1]
            return values
        block = torch.addcmul(knobs.offset, positions, knobs.scale)
        if knobs.any_categorical:
            block = torch.where(knobs.categorical, torch.round(block), block)
        wrapper = adapter.w2w_base
        if adapter.hook_each:
            for i, name in enumerate(knobs.names):
                values[name] = wrapper.aggregate_param(block[i])
            return values
        aggregated = wrapper.aggregate_params(block)
        for i, name in enumerate(knobs.names):
            values[name] = aggregated[i]
        return values


def reads_sample_rate(wrapper: WaveformToWaveformBase) -> bool:
    """Whether the wrapper overrides ``set_model_sample_rate_and_buffer_size`` (its graph may then
    depend on the native rate)."""
    hook = type(wrapper).set_model_sample_rate_and_buffer_size
    return hook is not WaveformToWaveformBase.set_model_sample_rate_and_buffer_size


def forward_specs(wrapper: WaveformToWaveformBase) -> List[ForwardSpec]:
    """The graphs a package of `wrapper` holds (see the module docstring)."""
    rates = [int(r) for r in wrapper.get_native_sample_rates()]
    if not rates:
        rates = list(PACKAGE_RATES) if reads_sample_rate(wrapper) else [0]
    sizes = [int(b) for b in wrapper.get_native_buffer_sizes()]
    if not sizes:
        return [ForwardSpec(rate, 0, True, DYNAMIC_MAX_BLOCK) for rate in rates]
    return [ForwardSpec(rate, size, False, size) for rate in rates for size in sizes]


def capture_adapter(
    wrapper: WaveformToWaveformBase, spec: ForwardSpec, resampling_quality: str = "high"
) -> RealtimeAdapter:
    """An eager adapter around a private copy of `wrapper`, configured at the spec's native rate
    (no resampling) for its largest block, with fresh state, autograd off."""
    model = copy.deepcopy(wrapper)
    model.eval()
    model.requires_grad_(False)
    adapter = RealtimeAdapter(model, resampling_quality)
    rate = spec.sample_rate or ANY_RATE_CAPTURE
    adapter.set_daw_sample_rate_and_buffer_size(
        rate, spec.max_block + 1, rate, spec.buffer_size or None
    )
    if adapter.resampling:
        raise PackageExportError(f"cannot capture at {rate} Hz without resampling")
    # One eager block first, for every graph: state a model sizes on its first call (a cached
    # convolution's channels) then exists, since export cannot create it; and scratch a model grows
    # on demand already fits the longest block, so its size test is decided for every length.
    block = spec.max_block if spec.dynamic else spec.buffer_size
    with torch.no_grad():
        adapter._process_block(*example_inputs(adapter, block), block)
    adapter.reset()
    for module in model.modules():
        _register_tensor_attributes(module)
        _unalias_buffers(module)
    return adapter


def _unalias_buffers(module: nn.Module) -> None:
    """Give each buffer that is a view of another tensor (state kept as a view into a work buffer,
    as `FIRFilter.history` after a call) its own storage: export cannot update in place a buffer
    that shares memory with another."""
    for name, buffer in list(module._buffers.items()):
        if buffer is not None and buffer._base is not None:
            module._buffers[name] = buffer.clone()


def _register_tensor_attributes(module: nn.Module) -> None:
    """Make the module's plain tensor attributes (scratch and state a model keeps outside its
    registered buffers) non-persistent buffers: export refuses to mutate a constant."""
    for name, value in list(vars(module).items()):
        if isinstance(value, Tensor) and not isinstance(value, nn.Parameter):
            delattr(module, name)
            module.register_buffer(name, value, persistent=False)


def example_inputs(adapter: RealtimeAdapter, n: int) -> Tuple[Tensor, Tensor]:
    """A zero block of `n` native samples and the default knob positions, as the graph takes."""
    window = adapter.look_behind + n + adapter.look_ahead
    positions = adapter.knobs.defaults.expand(adapter.knobs.rows, n).contiguous()
    return torch.zeros(adapter.in_ch, window), positions


def export_forward(
    wrapper: WaveformToWaveformBase, spec: ForwardSpec, resampling_quality: str = "high"
) -> torch.export.ExportedProgram:
    """The exported program of one graph of the package, decomposed (so in-place buffer updates
    show as mutations), with the wrapper's initial state.

    Raises:
        PackageExportError: export cannot capture the model (one line: construct, place, module).
    """
    scripted = scripted_submodules(wrapper)
    if scripted:
        raise PackageExportError(
            f"torch.export cannot capture TorchScript: module `{scripted[0]}` is a "
            "torch.jit.ScriptModule; keep it a Python nn.Module for the package"
        )
    adapter = capture_adapter(wrapper, spec, resampling_quality)
    module = BlockForward(adapter).eval()
    n = spec.buffer_size if not spec.dynamic else min(512, spec.max_block)
    args = example_inputs(adapter, n)
    dynamic_shapes = None
    if spec.dynamic:
        length = torch.export.Dim("n", min=1, max=spec.max_block)
        context = adapter.look_behind + adapter.look_ahead
        dynamic_shapes = ({1: length + context if context else length}, {1: length})
    # A failed export prints the partial graph on stderr; the one line below says what matters.
    with _GuardSites(adapter.w2w_base) as sites, contextlib.redirect_stderr(io.StringIO()):
        try:
            program = torch.export.export(module, args, dynamic_shapes=dynamic_shapes, strict=False)
            return program.run_decompositions()
        except Exception as error:  # any capture failure becomes one line
            raise explain_export_error(adapter.w2w_base, error, sites.found) from error


def scripted_submodules(wrapper: nn.Module) -> List[str]:
    """The paths (in `wrapper`) of the TorchScript modules inside it, outermost first."""
    found: List[str] = []
    for name, module in wrapper.named_modules():
        if isinstance(module, torch.jit.ScriptModule) and not any(
            name.startswith(outer + ".") for outer in found
        ):
            found.append(name or "<wrapper>")
    return found


@dataclass(frozen=True)
class _Site:
    """A place in the model's code: file, line, function, the source line and the module."""

    filename: str
    lineno: int
    function: str
    code: str
    module_path: str

    def describe(self) -> str:
        where = f"{Path(self.filename).name}:{self.lineno} in {self.function}"
        return f"`{self.code}` ({where}, module `{self.module_path}`)"


def _is_user_file(filename: str) -> bool:
    if filename.startswith((_TORCH_DIR, "<")) or filename == _THIS_FILE:
        return False
    return not filename.startswith(_STDLIB_DIR) or "-packages" in filename


def _module_path(wrapper: nn.Module, frame: FrameType) -> str:
    owner = frame.f_locals.get("self")
    if isinstance(owner, nn.Module):
        for name, module in wrapper.named_modules():
            if module is owner:
                return name or "<wrapper>"
        return type(owner).__name__
    return "<function>"


def _site(wrapper: nn.Module, frame: FrameType, lineno: int) -> _Site:
    filename = frame.f_code.co_filename
    code = traceback.FrameSummary(filename, lineno, frame.f_code.co_name).line or ""
    function = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return _Site(filename, lineno, function, code.strip(), _module_path(wrapper, frame))


def _user_frames(frames: Iterator[Tuple[FrameType, int]]) -> List[Tuple[FrameType, int]]:
    return [(f, line) for f, line in frames if _is_user_file(f.f_code.co_filename)]


class _GuardSites(logging.Handler):
    """Records where in the model's code export adds a guard on the block length (the first
    user frame on the stack while torch logs ``[guard added]``): a constraint violation is raised
    at the end of export, with no user frame left in its traceback."""

    def __init__(self, wrapper: nn.Module) -> None:
        super().__init__(logging.INFO)
        self.wrapper = wrapper
        self.found: List[Tuple[_Site, str]] = []
        self.logger = logging.getLogger(_GUARD_LOGGER)
        self.saved: Tuple[int, bool, List[logging.Handler]] = (0, True, [])

    def __enter__(self) -> "_GuardSites":
        logger = self.logger
        self.saved = (logger.level, logger.propagate, list(logger.handlers))
        logger.handlers = [self]  # torch's own handlers would print every guard
        logger.setLevel(logging.INFO)
        logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]
        self.logger.handlers = self.saved[2]

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "[guard added]" not in message:
            return
        frames = _user_frames(_stack(sys._getframe()))
        if frames:
            frame, line = frames[0]
            guard = message.split("[guard added]")[0].removeprefix("eval").strip()
            self.found.append((_site(self.wrapper, frame, line), guard))


def _stack(frame: Optional[FrameType]) -> Iterator[Tuple[FrameType, int]]:
    while frame is not None:
        yield frame, frame.f_lineno
        frame = frame.f_back


def explain_export_error(
    wrapper: nn.Module, error: BaseException, guards: List[Tuple[_Site, str]]
) -> PackageExportError:
    """One line for an export failure: the construct, where it is and why export refused it."""
    kind = type(error).__name__
    text = str(error)
    frames = _user_frames(
        (tb.tb_frame, tb.tb_lineno) for tb in _traceback_entries(error.__traceback__)
    )
    if "GuardOnDataDependentSymNode" in kind or "data-dependent" in text:
        why = "Python control flow or a Python number depends on tensor values"
    elif "Constraints violated" in text or "ConstraintViolation" in kind:
        why = (
            "the code branches on or sizes by the block length, which varies without a native "
            "buffer size (declare get_native_buffer_sizes, or make it work for any length)"
        )
    else:
        first = next((line.strip() for line in text.splitlines() if line.strip()), kind)
        why = f"{kind}: {first[:160]}"
        if guards:  # the failure came while reasoning about the dynamic block length
            why = (
                f"torch.export failed on the block length's arithmetic ({kind}: {first[:100]}); "
                "a native buffer size (get_native_buffer_sizes) avoids the dynamic length"
            )
    if frames:
        frame, line = frames[-1]
        place = _site(wrapper, frame, line).describe()
    elif guards:
        site, guard = guards[0]
        place = f"{site.describe()}, guard `{guard[:80]}`"
    else:
        place = "(no line of the model's code found)"
    return PackageExportError(f"torch.export cannot capture {place}: {why}")


def _traceback_entries(tb: Optional[TracebackType]) -> Iterator[TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next
