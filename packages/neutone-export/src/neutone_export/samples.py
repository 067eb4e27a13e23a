"""Demo audio: a synthetic input, its delay-compensated render, and the encodings the metadata
needs.

The plugin and the Neutone website play `sample_sound_files` from the metadata: base64 of MP3
(encoded with lameenc). The same audio is also written as 16-bit WAV (stdlib `wave`) for listening.
The default input is synthesised here (no bundled recordings): a few plucked harmonic notes over
soft noise bursts, 48 kHz stereo.
"""

import array
import base64
import io
import math
import sys
import wave
from dataclasses import dataclass
from typing import List, Sequence

import lameenc
import torch
from torch import Tensor, nn

from neutone_export.host import render_compensated

DEFAULT_SAMPLE_RATE = 48000
MP3_BITRATE_KBPS = 128


@dataclass
class SamplePair:
    """One demo: input and delay-compensated output, both `(2, n)` at `sample_rate` Hz."""

    audio_in: Tensor
    audio_out: Tensor
    sample_rate: int


def to_base64(data: bytes) -> str:
    """ASCII base64 text of `data`, as `sample_sound_files` stores MP3 bytes."""
    return base64.b64encode(data).decode("ascii")


def demo_input(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Tensor:
    """Plucked notes (A minor arpeggio, 4 harmonics, exponential decay) over noise bursts, `(2, n)`.

    The peak is about -6 dBFS; the right channel is the left one delayed by 0.3 ms for some width.
    """
    n = int(seconds * sample_rate)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    audio = torch.zeros(n, dtype=torch.float64)
    notes_hz = [220.0, 261.63, 329.63, 440.0, 329.63, 261.63]
    step = seconds / len(notes_hz)
    for i, freq in enumerate(notes_hz):
        onset = i * step
        local = (t - onset).clamp(min=0.0)
        envelope = torch.exp(-local / 0.35) * (t >= onset)
        for harmonic in range(1, 5):
            audio += envelope * torch.sin(2 * math.pi * freq * harmonic * local) / (harmonic * 2.0)
    generator = torch.Generator().manual_seed(1234)
    hits = torch.rand(n, generator=generator, dtype=torch.float64) * 2.0 - 1.0
    audio += 0.15 * hits * torch.exp(-((t * 4.0) % 1.0) / 0.03)
    audio = 0.5 * audio / audio.abs().max()
    shift = int(0.0003 * sample_rate)
    right = torch.nn.functional.pad(audio, (shift, 0))[:n]
    return torch.stack([audio, right]).to(torch.float32)


def _pcm16(audio: Tensor) -> bytes:
    """Interleaved little-endian int16 PCM of `(ch, n)` audio in [-1, 1] (clipped beyond)."""
    clipped = torch.nan_to_num(audio, nan=0.0).clamp(-1.0, 1.0)
    samples = array.array(
        "h", torch.round(clipped * 32767.0).to(torch.int16).t().flatten().tolist()
    )
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def encode_wav(audio: Tensor, sample_rate: int) -> bytes:
    """16-bit PCM WAV file bytes of `(ch, n)` audio."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(audio.size(0))
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(_pcm16(audio))
    return buffer.getvalue()


def encode_mp3(audio: Tensor, sample_rate: int, bitrate_kbps: int = MP3_BITRATE_KBPS) -> bytes:
    """MP3 bytes of `(ch, n)` audio (1 or 2 channels) via lameenc."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(audio.size(0))
    encoder.set_quality(2)
    return bytes(encoder.encode(_pcm16(audio))) + bytes(encoder.flush())


def render_samples(
    module: nn.Module, inputs: Sequence[Tensor], sample_rate: int = DEFAULT_SAMPLE_RATE
) -> List[SamplePair]:
    """Render each `(2, n)` input at `sample_rate`, delay removed, as a host would play it."""
    pairs = []
    for audio in inputs:
        if audio.dim() != 2 or audio.size(0) not in (1, 2):
            raise ValueError(f"input_samples: each must be (1 or 2, n), got {tuple(audio.shape)}")
        audio = audio.to(torch.float32).expand(2, audio.size(1)).contiguous()
        rendered = render_compensated(module, audio, sample_rate)
        rendered = rendered.expand(2, rendered.size(1)).contiguous()
        pairs.append(SamplePair(audio, rendered, sample_rate))
    return pairs
