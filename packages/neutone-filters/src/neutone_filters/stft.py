"""Realtime STFT → spectral processing → iSTFT by weighted overlap-add, for any host buffer sizes.

Framing is causal (no centre padding): frame ``j`` holds input samples
``[(j + 1) H - N, (j + 1) H)`` (``N = n_fft``, ``H = hop_length``, zeros before the start), so a
frame is ready as soon as its last sample has arrived. Each frame is multiplied by the analysis
window, transformed, handed to `process_spectrum`, transformed back, multiplied by the synthesis
window and overlap-added. The product of the two windows must overlap-add to a constant ``c`` at
hop ``H`` (checked at construction); the output is divided by ``c``.

Latency: after frame ``j`` the overlap-add is complete up to sample ``(j + 2) H - N``; a host may
end a call one sample short of a frame, so an output FIFO primed with ``H - 1`` zeros never runs
dry, and the total delay is ``(N - H) + (H - 1) = N - 1`` samples whatever the buffer sizes. With
the identity spectral function the output is the input delayed by exactly `get_delay_samples()`.
"""

from typing import Any, Optional, Type, TypeVar, overload

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_filters.block_stft import BlockSTFT
from neutone_filters.checks import is_int_at_least

STFT_WINDOWS = ("hann", "sqrt_hann")
SDK_KEYWORDS = frozenset(
    {
        "model_io_n_frames",
        "io_n_ch",
        "io_n_samples",
        "hop_len",
        "center",
        "power",
        "logarithmize",
        "ensure_pos_spec",
        "use_phase_info",
        "fade_n_samples",
        "eps",
        "use_debug_mode",
    }
)
"""Keywords of the Neutone SDK's `RealtimeSTFT`; any of them selects `BlockSTFT`."""


_STFT = TypeVar("_STFT", bound="RealtimeSTFT")


def _windows(name: str, n_fft: int) -> Tensor:
    """Analysis and synthesis windows (periodic), stacked ``(2, n_fft)`` in float64."""
    hann = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    if name == "hann":
        return torch.stack([hann, hann])
    root = hann.sqrt()
    return torch.stack([root, root])


def overlap_add_sums(window_product: Tensor, hop_length: int) -> Tensor:
    """``c[r] = Σ_k w[r + k H]`` for ``r`` in ``[0, H)``: the overlap-added window at each phase."""
    n_fft = window_product.numel()
    padded = torch.nn.functional.pad(window_product, [0, (-n_fft) % hop_length])
    return padded.reshape(-1, hop_length).sum(0)


class _CausalSTFT(StatefulModule):
    """The streaming STFT itself (documented on `RealtimeSTFT`).

    `RealtimeSTFT` adds only the SDK-keyword dispatch: with ``__new__`` in the subclass and
    ``__init__`` here, type checkers read ``RealtimeSTFT(...)`` through the ``__new__`` overloads
    (mypy prefers ``__init__`` when one class defines both).
    """

    # Buffers (registered in __init__).
    analysis_window: Tensor
    synthesis_window: Tensor
    inputs: Tensor
    overlap: Tensor
    ready: Tensor
    stream_history: Tensor
    stream_pending: Tensor
    stream_phase: Tensor

    def __init__(self, n_fft: int, hop_length: int, window: str = "hann") -> None:
        super().__init__()
        if not is_int_at_least(n_fft, 2):
            raise ValueError(f"n_fft must be an int in [2, inf), got {n_fft!r}")
        if isinstance(hop_length, bool) or not isinstance(hop_length, int):
            raise ValueError(f"hop_length must be an int in [1, {n_fft}], got {hop_length!r}")
        if not 1 <= hop_length <= n_fft:
            raise ValueError(f"hop_length must be in [1, n_fft={n_fft}], got {hop_length}")
        if window not in STFT_WINDOWS:
            raise ValueError(f"window must be one of {', '.join(STFT_WINDOWS)}, got {window!r}")
        pair = _windows(window, n_fft)
        sums = overlap_add_sums(pair[0] * pair[1], hop_length)
        level = float(sums.mean())
        if level <= 0.0 or float((sums - level).abs().max()) > 1e-9 * level:
            need = "an integer >= 3" if window == "hann" else "an integer >= 2"
            raise ValueError(
                f"hop_length must make the {window} window overlap-add to a constant "
                f"(n_fft / hop_length must be {need}), got hop_length={hop_length} "
                f"with n_fft={n_fft}"
            )
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.register_buffer("analysis_window", pair[0].float(), persistent=False)
        self.register_buffer("synthesis_window", (pair[1] / level).float(), persistent=False)
        self.register_buffer("inputs", torch.zeros(0, n_fft - hop_length), persistent=False)
        self.register_buffer("overlap", torch.zeros(0, n_fft - hop_length), persistent=False)
        self.register_buffer("ready", torch.zeros(0, hop_length - 1), persistent=False)
        # The state of `_forward_exported`: the last n_fft - 1 inputs, the overlap-add already
        # summed for the next n_fft - 1 outputs, and the input count modulo the hop.
        self.register_buffer("stream_history", torch.zeros(0, n_fft - 1), persistent=False)
        self.register_buffer("stream_pending", torch.zeros(0, n_fft - 1), persistent=False)
        self.register_buffer("stream_phase", torch.zeros((), dtype=torch.long), persistent=False)

    @torch.jit.export
    def reset(self) -> None:
        """Forget all buffered input, overlap and output (the next call starts from silence)."""
        self.inputs = torch.zeros(0, self.n_fft - self.hop_length, device=self.inputs.device)
        # In place, so that torch.export finds them allocated (it cannot allocate state).
        self.stream_history.zero_()
        self.stream_pending.zero_()
        self.stream_phase.zero_()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """``n_fft - 1``: framing (``n_fft - hop``) plus the longest wait for a hop (a pure delay
        with the identity spectrum, the number the delay check compares)."""
        return self.n_fft - 1

    def process_spectrum(self, spec: Tensor) -> Tensor:
        """Per-frame spectral hook: ``(channels, frames, n_fft // 2 + 1)`` complex in and out."""
        return spec

    def forward(self, x: Tensor) -> Tensor:
        # Nested: TorchScript drops only a whole `if not is_scripting()` block, not an `and`.
        if not torch.jit.is_scripting():  # noqa: SIM102
            if torch.compiler.is_exporting():
                return self._forward_exported(x)
        channels = x.size(0)
        n = x.size(1)
        if self.inputs.size(0) != channels or self.inputs.dtype != x.dtype:
            self._allocate(x)
        if n == 0:
            return x.clone()
        hop = self.hop_length
        buffered = torch.cat([self.inputs, x], dim=1)
        frames = (buffered.size(1) - (self.n_fft - hop)) // hop
        if frames > 0:
            blocks = buffered.unfold(1, self.n_fft, hop)[:, :frames]  # (C, F, N)
            self.inputs = buffered[:, frames * hop :].detach()
            spec = torch.fft.rfft(blocks * self.analysis_window.to(x.dtype), dim=-1)
            spec = self.process_spectrum(spec)
            out = torch.fft.irfft(spec, n=self.n_fft, dim=-1) * self.synthesis_window.to(x.dtype)
            length = (frames - 1) * hop + self.n_fft
            summed = nn.functional.fold(
                out.transpose(1, 2),
                output_size=(1, length),
                kernel_size=(1, self.n_fft),
                stride=(1, hop),
            ).reshape(channels, length)
            tail = self.overlap.size(1)
            summed = torch.cat([summed[:, :tail] + self.overlap, summed[:, tail:]], dim=1)
            self.overlap = summed[:, frames * hop :].detach()
            self.ready = torch.cat([self.ready, summed[:, : frames * hop].detach()], dim=1)
        else:
            self.inputs = buffered.detach()
        y = self.ready[:, :n]
        self.ready = self.ready[:, n:]
        return y

    @torch.jit.unused
    def _forward_exported(self, x: Tensor) -> Tensor:
        """`forward` as `torch.export` can keep it, one graph for any length: fixed-size state
        updated in place, and ``ceil(n / hop) + 1`` frames computed, those that do not end in the
        block masked out. `process_spectrum` sees those frames too."""
        if self.stream_history.size(0) != x.size(0) or self.stream_history.dtype != x.dtype:
            raise ValueError(
                f"RealtimeSTFT: run one block eagerly ({x.size(0)} channels, {x.dtype}) and "
                "reset() before torch.export, so the state buffers exist"
            )
        n = x.size(1)
        hop = self.hop_length
        buffered = torch.cat([self.stream_history, x], dim=1)  # (C, n_fft - 1 + n)
        # ends: local index of the last sample of each frame that may end here (frames end on
        # inputs hop - 1 modulo hop); frame j reads buffered[ends[j] : ends[j] + n_fft]. At most
        # ceil(n / hop) end here; one more (masked out too) keeps the count >= 2, which export
        # must know for any n (a count that may be 1 would specialise the graph).
        frames = (n + hop - 1) // hop + 1
        steps = torch.arange(frames, device=x.device)
        # (No sub-expression of the state alone: AOTInductor would fold it as a constant.)
        ends = hop * steps - self.stream_phase + (hop - 1)
        valid = ends < n
        offsets = torch.arange(self.n_fft, device=x.device)
        index = torch.clamp(ends, max=n - 1).unsqueeze(1) + offsets  # (F, N)
        blocks = buffered[:, index]  # (C, F, N)
        spec = torch.fft.rfft(blocks * self.analysis_window.to(x.dtype), dim=-1)
        spec = self.process_spectrum(spec)
        out = torch.fft.irfft(spec, n=self.n_fft, dim=-1) * self.synthesis_window.to(x.dtype)
        out = torch.where(valid.unsqueeze(1), out, 0.0)
        # Frame j's sample k is the output ends[j] + k samples into this block.
        summed = torch.cat([self.stream_pending, x.new_zeros(x.size(0), n)], dim=1)
        summed = summed.index_add(1, index.flatten(), out.flatten(1))
        # The state is written last, after every read of it.
        self.stream_history.copy_(buffered[:, n:])
        self.stream_pending.copy_(summed[:, n:])
        self.stream_phase.copy_((self.stream_phase + n) % hop)
        return summed[:, :n]

    def _allocate(self, x: Tensor) -> None:
        channels = x.size(0)
        keep = self.n_fft - self.hop_length
        self.inputs = torch.zeros(channels, keep, dtype=x.dtype, device=x.device)
        self.overlap = torch.zeros(channels, keep, dtype=x.dtype, device=x.device)
        self.ready = torch.zeros(channels, self.hop_length - 1, dtype=x.dtype, device=x.device)
        history = torch.zeros(channels, self.n_fft - 1, dtype=x.dtype, device=x.device)
        self.stream_history = history
        self.stream_pending = torch.zeros_like(history)
        self.stream_phase = torch.zeros((), dtype=torch.long, device=x.device)


class RealtimeSTFT(_CausalSTFT):
    """Streaming short-time Fourier analysis, a per-frame spectral hook, and resynthesis.

    Override `process_spectrum` in a subclass (it is scripted with the module) to change the
    spectrum; the default is the identity, which reconstructs the input perfectly.

    Args:
        n_fft: frame length in samples, in ``[2, inf)``.
        hop_length: hop in samples, in ``[1, n_fft]``; the window product must overlap-add to a
            constant: ``hann`` (Hann analysis and synthesis) needs ``n_fft / hop_length`` an integer
            ``>= 3``, ``sqrt_hann`` an integer ``>= 2``.
        window: ``hann`` or ``sqrt_hann``.

    Shape:
        forward: ``(channels, n) -> (channels, n)``, ``n >= 0``; the state is allocated on the first
        call and zeroed if the channel count or dtype changes.
        process_spectrum: ``(channels, frames, n_fft // 2 + 1)`` complex ->
        the same shape.

    Built with any of the Neutone SDK's keywords (`SDK_KEYWORDS`: ``model_io_n_frames``,
    ``hop_len``, ...) or a window tensor, ``RealtimeSTFT(...)`` returns a `BlockSTFT` instead: the
    SDK's ``audio_to_spec`` / ``spec_to_audio`` interface, framed causally like this class.

    Example:
        >>> stft = RealtimeSTFT(512, 128)
        >>> x = torch.randn(2, 4000)
        >>> y = torch.cat([stft(x[:, :1000]), stft(x[:, 1000:])], dim=1)
        >>> bool((y[:, 511:] - x[:, :-511]).abs().max() < 1e-5)
        True
    """

    @overload
    def __new__(cls: Type[_STFT], n_fft: int, hop_length: int, window: str = "hann") -> _STFT: ...

    # mypy wants __new__ to return the class; this one returns a BlockSTFT, as the SDK call needs.
    @overload
    def __new__(  # type: ignore[misc]
        cls,
        *,
        model_io_n_frames: int = 16,
        io_n_ch: int = 2,
        io_n_samples: int = 512,
        n_fft: int = 2048,
        hop_len: int = 512,
        window: Optional[Tensor] = None,
        center: bool = True,
        power: Optional[float] = 1.0,
        logarithmize: bool = True,
        ensure_pos_spec: bool = True,
        use_phase_info: bool = True,
        fade_n_samples: int = 0,
        eps: float = 1e-8,
        use_debug_mode: bool = True,
    ) -> BlockSTFT: ...

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """A `BlockSTFT` for the Neutone SDK's keywords, else an instance of `cls`."""
        sdk_call = SDK_KEYWORDS.intersection(kwargs) or isinstance(kwargs.get("window"), Tensor)
        if cls is RealtimeSTFT and sdk_call:
            return BlockSTFT(*args, **kwargs)
        return super().__new__(cls)
