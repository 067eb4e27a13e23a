"""`BlockSTFT`: the Neutone SDK's realtime STFT interface (spectrogram in and out), causal.

A model written for the Neutone SDK calls ``audio_to_spec`` on each block of audio, changes the
spectrogram (``(channels, bins, model_io_n_frames)``: the newest frames last) and hands it to
``spec_to_audio``. `RealtimeSTFT` built with the SDK's keywords (``model_io_n_frames``,
``hop_len``, ...) is one of these.

The SDK centres its frames: the newest frames reach past the block into reflected samples, so
the output depends on audio not yet heard; it hides the seams with a cross-fade and reports a
delay of ``fade_n_samples``. Here frames are causal: frame ``j`` holds input samples
``[(j + 1) H - N, (j + 1) H)`` (``N = n_fft``, ``H = hop_len``), each block of ``k H`` samples
yields ``k`` new frames, and weighted overlap-add (synthesis window ``w / Σ_m w²[r + m H]``)
completes the output up to ``N - H`` samples before the newest input. So the identity
reconstructs the input exactly, delayed by ``calc_model_delay_samples() == N - H``, and no
cross-fade is needed (``fade_n_samples`` is accepted and unused).
"""

import math
from typing import List, Optional

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_filters.checks import is_int_at_least

BLOCK_STFT_NOTE = (
    "RealtimeSTFT(model_io_n_frames=..., hop_len=...) frames causally here: the output is the "
    "resynthesised input delayed by n_fft - hop_len = {delay} samples "
    "(calc_model_delay_samples()), with no cross-fade. The Neutone SDK 1.5 centred its frames on "
    "reflected future samples and cross-faded {fade} samples: a ported model sounds {delay} "
    "samples later (reported to the host, so compensated) and without the SDK's seams."
)


def _check_int(name: str, value: object, low: int) -> None:
    if not is_int_at_least(value, low):
        raise ValueError(f"RealtimeSTFT: {name} must be an int >= {low}, got {value!r}")


class BlockSTFT(StatefulModule):
    """Causal block STFT with the Neutone SDK's `RealtimeSTFT` constructor and methods.

    Args:
        model_io_n_frames: frames in the spectrogram the model sees, ``>= 1``.
        io_n_ch: channels, ``>= 1``.
        io_n_samples: initial block size (`set_buffer_size`); any multiple of `hop_len` up to
            ``model_io_n_frames * hop_len`` is accepted by `audio_to_spec`.
        n_fft: frame length in samples, a multiple of `hop_len`.
        hop_len: hop in samples, ``>= 1``.
        window: ``(n_fft,)`` analysis window; default periodic Hann. Its squares must overlap-add
            to a positive sum at every phase (NOLA), checked here.
        center: accepted for the SDK's signature; frames are always causal (see the module).
        power: the spectrogram is ``|X| ** power`` (``> 0``); None: the real part (the phase
            buffer then keeps the imaginary part).
        logarithmize: spectrogram as ``log10(max(s, eps))``.
        ensure_pos_spec: with `logarithmize`, subtract ``log10(eps)`` so values are ``>= 0``.
        use_phase_info: resynthesise with the analysed phase; False: zero phase.
        fade_n_samples: accepted for the SDK's signature and unused (no seams to hide).
        eps: floor of the magnitude before the logarithm, ``> 0``.
        use_debug_mode: accepted for the SDK's signature; arguments are always checked.

    Shape:
        audio_to_spec: ``(io_n_ch, k * hop_len) -> (io_n_ch, n_fft // 2 + 1, model_io_n_frames)``;
        spec_to_audio: that spectrogram (the newest ``k`` frames are used) ``-> (io_n_ch,
        k * hop_len)``.

    Example:
        >>> stft = BlockSTFT(
        ...     model_io_n_frames=4, io_n_ch=1, io_n_samples=256, n_fft=256, hop_len=64
        ... )
        >>> x = torch.randn(1, 1024)
        >>> y = torch.cat([stft.spec_to_audio(stft.audio_to_spec(b)) for b in x.split(128, 1)], 1)
        >>> bool((y[:, 192:] - x[:, :-192]).abs().max() < 1e-4)
        True
    """

    # Buffers (registered in __init__).
    window: Tensor
    synthesis_window: Tensor
    inputs: Tensor
    overlap: Tensor
    mag_buf: Tensor
    phase_buf: Tensor

    def __init__(
        self,
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
    ) -> None:
        super().__init__()
        _check_int("model_io_n_frames", model_io_n_frames, 1)
        _check_int("io_n_ch", io_n_ch, 1)
        _check_int("hop_len", hop_len, 1)
        _check_int("n_fft", n_fft, hop_len)
        _check_int("fade_n_samples", fade_n_samples, 0)
        if n_fft % hop_len != 0:
            raise ValueError(
                f"RealtimeSTFT: n_fft must be a multiple of hop_len={hop_len}, got {n_fft}"
            )
        if power is not None and not (math.isfinite(power) and power > 0.0):
            raise ValueError(f"RealtimeSTFT: power must be None or > 0, got {power!r}")
        if not (math.isfinite(eps) and eps > 0.0):
            raise ValueError(f"RealtimeSTFT: eps must be > 0, got {eps!r}")
        if window is None:
            window = torch.hann_window(n_fft, dtype=torch.float64)
        if tuple(window.shape) != (n_fft,):
            raise ValueError(
                f"RealtimeSTFT: window must have shape ({n_fft},), got {tuple(window.shape)}"
            )
        window = window.detach().to(torch.float64)
        sums = (window * window).reshape(-1, hop_len).sum(0)
        if float(sums.min()) <= 1e-10:
            raise ValueError(
                "RealtimeSTFT: the window's squares must overlap-add to a positive sum at "
                f"hop_len={hop_len} (NOLA); use a Hann window or a smaller hop_len"
            )
        synthesis = window / sums.repeat(n_fft // hop_len)
        self.model_io_n_frames = model_io_n_frames
        self.io_n_ch = io_n_ch
        self.n_fft = n_fft
        self.hop_len = hop_len
        self.n_bins = n_fft // 2 + 1
        self.center = center
        self.use_power = power is not None
        self.power = 1.0 if power is None else float(power)
        self.logarithmize = logarithmize
        self.ensure_pos_spec = ensure_pos_spec
        self.use_phase_info = use_phase_info
        self.fade_n_samples = fade_n_samples
        self.eps = float(eps)
        self.log10_eps = math.log10(eps)
        self.use_debug_mode = use_debug_mode
        self.io_n_samples = hop_len
        self.new_frames = 0
        self.porting_note = BLOCK_STFT_NOTE.format(delay=n_fft - hop_len, fade=fade_n_samples)
        self.register_buffer("window", window.float(), persistent=False)
        self.register_buffer("synthesis_window", synthesis.float(), persistent=False)
        shape = (io_n_ch, self.n_bins, model_io_n_frames)
        self.register_buffer("inputs", torch.zeros(io_n_ch, n_fft - hop_len), persistent=False)
        self.register_buffer("overlap", torch.zeros(io_n_ch, n_fft - hop_len), persistent=False)
        self.register_buffer("mag_buf", torch.zeros(shape), persistent=False)
        self.register_buffer("phase_buf", torch.zeros(shape), persistent=False)
        self.set_buffer_size(io_n_samples)

    @torch.jit.export
    def set_buffer_size(self, io_n_samples: int) -> None:
        """Set the block size, a multiple of `hop_len` in ``[hop_len, calc_max_buffer_size()]``;
        resets the state."""
        self._check_block(io_n_samples, "set_buffer_size")
        self.io_n_samples = io_n_samples
        self.reset()

    @torch.jit.export
    def reset(self) -> None:
        """Forget all audio: the next block starts from silence."""
        self.inputs.zero_()
        self.overlap.zero_()
        self.mag_buf.fill_(self._silent_value())
        self.phase_buf.zero_()
        self.new_frames = 0

    @torch.jit.export
    def calc_model_delay_samples(self) -> int:
        """``n_fft - hop_len``: a frame is complete once its newest hop has arrived."""
        return self.n_fft - self.hop_len

    @torch.jit.export
    def calc_min_delay_samples(self) -> int:
        """The same as `calc_model_delay_samples` (the name older Neutone SDK examples call)."""
        return self.calc_model_delay_samples()

    @torch.jit.export
    def get_delay_samples(self) -> int:
        """The same as `calc_model_delay_samples` (neutone-filters' name)."""
        return self.calc_model_delay_samples()

    @torch.jit.export
    def calc_min_buffer_size(self) -> int:
        return self.hop_len

    @torch.jit.export
    def calc_max_buffer_size(self) -> int:
        return self.model_io_n_frames * self.hop_len

    @torch.jit.export
    def calc_supported_buffer_sizes(self) -> List[int]:
        """Every multiple of `hop_len` up to ``model_io_n_frames * hop_len``."""
        return [k * self.hop_len for k in range(1, self.model_io_n_frames + 1)]

    def _silent_value(self) -> float:
        """The spectrogram value of silence."""
        if not self.logarithmize:
            return 0.0
        return 0.0 if self.ensure_pos_spec else self.log10_eps

    def _check_block(self, n: int, method: str) -> None:
        if n < self.hop_len or n % self.hop_len != 0 or n > self.calc_max_buffer_size():
            raise ValueError(
                f"RealtimeSTFT.{method}: the block must be a multiple of hop_len={self.hop_len} "
                f"up to {self.calc_max_buffer_size()} samples, got {n}; return "
                "calc_supported_buffer_sizes() from get_native_buffer_sizes()"
            )

    @torch.jit.export
    def audio_to_spec(self, audio: Tensor) -> Tensor:
        """Analyse one block; return the spectrogram of the last `model_io_n_frames` frames.

        The result is a copy: the caller may change it in place.
        """
        if audio.size(0) != self.io_n_ch:
            raise ValueError(
                f"RealtimeSTFT.audio_to_spec: expected {self.io_n_ch} channels (io_n_ch), got "
                f"{audio.size(0)}"
            )
        n = audio.size(1)
        self._check_block(n, "audio_to_spec")
        k = n // self.hop_len
        buffered = torch.cat([self.inputs, audio.to(self.inputs.dtype)], dim=1)
        self.inputs.copy_(buffered[:, n:])
        frames = buffered.unfold(1, self.n_fft, self.hop_len)  # (C, k, N)
        spec = torch.fft.rfft(frames * self.window, dim=-1).transpose(1, 2)  # (C, bins, k)
        if self.use_power:
            mag = spec.abs()
            if self.power != 1.0:
                mag = mag.pow(self.power)
            phase = spec.angle()
        else:
            mag = spec.real
            phase = spec.imag
        if self.logarithmize:
            mag = torch.log10(mag.clamp(min=self.eps))
            if self.ensure_pos_spec:
                mag = mag - self.log10_eps
        self.mag_buf.copy_(torch.cat([self.mag_buf[:, :, k:], mag], dim=2))
        self.phase_buf.copy_(torch.cat([self.phase_buf[:, :, k:], phase], dim=2))
        self.new_frames = k
        return self.mag_buf.clone()

    @torch.jit.export
    def spec_to_audio(self, spec: Tensor) -> Tensor:
        """Resynthesise the newest frames of `spec` (as many as the last block brought)."""
        k = self.new_frames
        if k == 0:
            raise ValueError("RealtimeSTFT.spec_to_audio: call audio_to_spec first")
        mag = spec[:, :, spec.size(2) - k :].to(self.mag_buf.dtype)
        if self.logarithmize:
            if self.ensure_pos_spec:
                mag = mag + self.log10_eps
            mag = torch.pow(10.0, mag).clamp(min=self.eps)
        if self.use_phase_info:
            phase = self.phase_buf[:, :, self.model_io_n_frames - k :]
        else:
            phase = torch.zeros_like(mag)
        if self.use_power:
            if self.power != 1.0:
                mag = mag.clamp(min=0.0).pow(1.0 / self.power)
            complex_spec = torch.polar(mag.clamp(min=0.0), phase)
        else:
            complex_spec = torch.complex(mag, phase)
        frames = torch.fft.irfft(complex_spec.transpose(1, 2), n=self.n_fft, dim=-1)
        frames = frames * self.synthesis_window  # (C, k, N)
        length = (k - 1) * self.hop_len + self.n_fft
        summed = nn.functional.fold(
            frames.transpose(1, 2),
            output_size=(1, length),
            kernel_size=(1, self.n_fft),
            stride=(1, self.hop_len),
        ).reshape(frames.size(0), length)
        tail = self.overlap.size(1)
        head = summed[:, :tail] + self.overlap
        summed = torch.cat([head, summed[:, tail:]], dim=1)
        n = k * self.hop_len
        self.overlap.copy_(summed[:, n:])
        return summed[:, :n]
