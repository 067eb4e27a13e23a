"""`AudioSample`, `AudioSamplePair` and `render_audio_sample`: the Neutone SDK's demo-audio names.

A script written for the Neutone SDK renders its own demo sounds with these (its RAVE examples do)
and hands the pairs to ``save_neutone_model(..., audio_sample_pairs=...)``. The names and
signatures are the SDK's (``neutone_sdk.audio``); the rendering is ours: the model runs as the
plugin runs it (the scripted realtime adapter, at the clip's own rate, in host buffers) and the
reported delay is removed, so input and output line up (the SDK's renders are not compensated).

Example:
    >>> sample = AudioSample(torch.zeros(1, 4800), 48000)
    >>> sample.is_mono(), AudioSample.from_bytes(sample.to_wav_bytes()).audio.shape
    (True, torch.Size([1, 4800]))
"""

import base64
import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Union

import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_core.resample import resample
from neutone_export.audio.host import N_KNOBS
from neutone_export.audio.render import render_aligned
from neutone_export.audio.samples import encode_mp3, encode_wav
from neutone_export.files.scripting import script_neutone_model
from neutone_export.module_types import as_plugin

DEFAULT_BUFFER_SIZE = 512


@dataclass
class AudioSample:
    """Audio with its sample rate: ``audio`` is ``(1 or 2, n)`` float, ``sr`` in Hz (> 0)."""

    audio: Tensor
    sr: int

    def __post_init__(self) -> None:
        audio: object = self.audio  # as given: a caller may pass anything
        if not isinstance(audio, Tensor) or audio.dim() != 2:
            shape = tuple(audio.shape) if isinstance(audio, Tensor) else audio
            raise ValueError(f"AudioSample: audio must be a (channels, n) Tensor, got {shape!r}")
        if self.audio.size(0) not in (1, 2):
            raise ValueError(
                f"AudioSample: audio must have 1 or 2 channels, channels first, got shape "
                f"{tuple(self.audio.shape)}; transpose a (n, channels) array with .T"
            )
        sr: object = self.sr
        if isinstance(sr, bool) or not isinstance(sr, int) or sr <= 0:
            raise ValueError(f"AudioSample: sr must be a positive int (Hz), got {self.sr!r}")

    def is_mono(self) -> bool:
        return self.audio.size(0) == 1

    def to_mp3_bytes(self) -> bytes:
        return encode_mp3(self.audio, self.sr)

    def to_mp3_b64(self) -> str:
        return base64.b64encode(self.to_mp3_bytes()).decode("ascii")

    def to_wav_bytes(self) -> bytes:
        """16-bit PCM WAV bytes (clipped to [-1, 1])."""
        return encode_wav(self.audio, self.sr)

    @classmethod
    def from_bytes(cls, bytes_: bytes) -> "AudioSample":
        """Decode PCM WAV bytes (8, 16, 24 or 32 bit, 1 or 2 channels)."""
        try:
            with wave.open(io.BytesIO(bytes_), "rb") as reader:
                channels = reader.getnchannels()
                width = reader.getsampwidth()
                rate = reader.getframerate()
                frames = reader.readframes(reader.getnframes())
        except (wave.Error, EOFError) as error:
            raise ValueError(
                f"AudioSample.from_bytes: only PCM WAV is read here ({error}); convert the file "
                "to WAV, or load it with torchaudio/soundfile and build AudioSample(audio, sr)"
            ) from None
        return cls(_pcm_to_float(frames, width, channels), rate)

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "AudioSample":
        return cls.from_bytes(Path(path).read_bytes())

    @classmethod
    def from_b64(cls, b64_sample: str) -> "AudioSample":
        return cls.from_bytes(base64.b64decode(b64_sample))


@dataclass
class AudioSamplePair:
    """A demo: the input and the model's output."""

    input: AudioSample
    output: AudioSample

    def to_metadata_format(self) -> Dict[str, str]:
        """The ``sample_sound_files`` entry of the metadata: base64 MP3 of both."""
        return {"in": self.input.to_mp3_b64(), "out": self.output.to_mp3_b64()}


def _pcm_to_float(frames: bytes, width: int, channels: int) -> Tensor:
    data = torch.frombuffer(bytearray(frames), dtype=torch.uint8).reshape(-1, width)
    if width == 1:
        values = data[:, 0].to(torch.float32) - 128.0
    else:
        # little-endian signed integers of `width` bytes, assembled in int64
        values = torch.zeros(data.size(0), dtype=torch.int64)
        for byte in range(width):
            values |= data[:, byte].to(torch.int64) << (8 * byte)
        sign = 1 << (8 * width - 1)
        values = ((values ^ sign) - sign).to(torch.float32)
    scale = float(1 << (8 * width - 1))
    return (values / scale).reshape(-1, channels).t().contiguous()


def render_audio_sample(
    model: Union[WaveformToWaveformBase, nn.Module],
    input_sample: AudioSample,
    params: Optional[Tensor] = None,
    output_sr: int = 44100,
) -> AudioSample:
    """Render `input_sample` through `model` as the plugin would, delay removed.

    Args:
        model: the researcher's wrapper (scripted here into the realtime adapter) or an adapter
            (a loaded `.nm`).
        input_sample: the input; channels are converted to the model's layout by the adapter.
        params: knob positions in [0, 1]: ``(4,)`` constant or ``(4, n)`` per input sample; None
            means the defaults.
        output_sr: sample rate of the result, Hz.

    Returns:
        the output, as long as the input, at `output_sr`.
    """
    if isinstance(model, WaveformToWaveformBase):
        model = script_neutone_model(model)
    audio = input_sample.audio.to(torch.float32)
    n = audio.size(1)
    if params is not None:
        if params.dim() == 1 and params.size(0) == N_KNOBS:
            params = params.reshape(N_KNOBS, 1).expand(N_KNOBS, n)
        if tuple(params.shape) != (N_KNOBS, n):
            raise ValueError(
                f"render_audio_sample: params must be ({N_KNOBS},) or ({N_KNOBS}, {n}), got "
                f"{tuple(params.shape)}"
            )
        params = params.to(torch.float32)
    native_sizes = list(as_plugin(model).get_native_buffer_sizes())
    buffer_size = int(native_sizes[0]) if native_sizes else DEFAULT_BUFFER_SIZE
    out = render_aligned(model, audio, input_sample.sr, buffer_size, params)
    if output_sr != input_sample.sr:
        out = resample(out, input_sample.sr, output_sr)
    return AudioSample(out, output_sr)
