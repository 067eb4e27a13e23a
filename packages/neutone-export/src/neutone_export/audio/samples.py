"""Demo audio: synthetic clips, their delay-compensated renders at each knob's extremes, and the
encodings the metadata needs.

The plugin and the Neutone website play `sample_sound_files` from the metadata: base64 of MP3. The
same audio is written as 16-bit WAV and MP3 for listening, one pair per clip and knob setting, named
after both (`drums.gain-max.out.wav`). Files go through soundfile (libsndfile writes MP3 since
1.1). No recordings are bundled: the clips are synthesised here, so they carry no licence terms,
and they cover the three kinds of material an effect treats differently:

- speech: a buzzing voice with an intonation contour through vowel formants, with fricatives;
- drums: kick, snare and hi-hat at 120 bpm (transients and silence between them);
- sustained: a slowly swelling minor-seventh chord with vibrato (steady harmonics).

Each clip is stereo at the requested rate, peaking at -6 dBFS.

Example:
    >>> clips = demo_clips(16000, seconds=0.5)
    >>> sorted(clips), tuple(clips["speech"].shape)
    (['drums', 'speech', 'sustained'], (2, 8000))
"""

import base64
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_export.audio.audio_io import encode_audio
from neutone_export.audio.knobs import Knob, knobs_of
from neutone_export.audio.render import load_model, render
from neutone_export.files.atomic import atomic_write_bytes

DEFAULT_SAMPLE_RATE = 48000
PEAK = 0.5
"""Peak of every clip: -6 dBFS, headroom for models that add gain."""


@dataclass
class SamplePair:
    """One demo: input and delay-compensated output, both `(2, n)` at `sample_rate` Hz.

    `label` names the clip and knob setting, e.g. "drums, gain=1 (4)".
    """

    audio_in: Tensor
    audio_out: Tensor
    sample_rate: int
    label: str = "default"


def to_base64(data: bytes) -> str:
    """ASCII base64 text of `data`, as `sample_sound_files` stores MP3 bytes."""
    return base64.b64encode(data).decode("ascii")


def encode_wav(audio: Tensor, sample_rate: int) -> bytes:
    """16-bit PCM WAV file bytes of `(ch, n)` audio (clipped to [-1, 1], non-finite as 0)."""
    return encode_audio(audio, sample_rate, ".wav", subtype="PCM_16")


def encode_mp3(audio: Tensor, sample_rate: int) -> bytes:
    """MP3 bytes of `(ch, n)` audio, 1 or 2 channels, at an MP3 sample rate."""
    return encode_audio(audio, sample_rate, ".mp3")


# -- synthesis ----------------------------------------------------------------------------------

VOWELS_HZ: Dict[str, Tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}
"""First three formants of five vowels (adult male voice), Hz."""
FORMANT_BANDWIDTHS_HZ = (80.0, 100.0, 120.0)


def _times(n: int, sample_rate: int) -> Tensor:
    return torch.arange(n, dtype=torch.float64) / sample_rate


def _noise(n: int, seed: int) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, generator=generator, dtype=torch.float64) * 2.0 - 1.0


def _convolve(x: Tensor, h: Tensor) -> Tensor:
    """Linear convolution of two 1-D signals by FFT, cut to the length of `x`."""
    size = 1 << (x.numel() + h.numel()).bit_length()
    y = torch.fft.irfft(torch.fft.rfft(x, size) * torch.fft.rfft(h, size), size)
    return y[: x.numel()]


def _resonator(freq: float, bandwidth: float, sample_rate: int, length: int) -> Tensor:
    """Impulse response of a two-pole resonator: r^n sin((n + 1) w) / sin(w), unit peak gain-ish."""
    r = math.exp(-math.pi * bandwidth / sample_rate)
    w = 2.0 * math.pi * freq / sample_rate
    n = torch.arange(length, dtype=torch.float64)
    return (1.0 - r) * r**n * torch.sin((n + 1) * w) / math.sin(w)


def _stereo(mono: Tensor, sample_rate: int, width_ms: float = 0.3) -> Tensor:
    """`(2, n)` float32 at peak `PEAK`: the right channel is the left delayed by `width_ms`."""
    mono = PEAK * mono / mono.abs().max().clamp(min=1e-12)
    shift = int(width_ms * 1e-3 * sample_rate)
    right = torch.nn.functional.pad(mono, (shift, 0))[: mono.numel()]
    return torch.stack([mono, right]).to(torch.float32)


def speech_like(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Tensor:
    """Syllables of a buzz (F0 100..150 Hz, falling contour) through vowel formants, with
    fricative noise between them and short pauses; `(2, n)`."""
    n = int(seconds * sample_rate)
    t = _times(n, sample_rate)
    f0 = 125.0 + 25.0 * torch.sin(2 * math.pi * 0.4 * t) - 10.0 * t / max(seconds, 1e-9)
    phase = torch.cumsum(2 * math.pi * f0 / sample_rate, dim=0)
    buzz = (phase % (2 * math.pi)) / math.pi - 1.0  # sawtooth: every harmonic, like a glottis
    hiss = _noise(n, seed=7)
    hiss = hiss[1:] - hiss[:-1]  # first difference: the high-frequency tilt of a fricative
    hiss = torch.cat([hiss, hiss[-1:]])
    audio = torch.zeros(n, dtype=torch.float64)
    syllable, vowels = 0.25, "aeiouoiea"
    length = int(0.05 * sample_rate)
    for index in range(int(seconds / syllable)):
        start = index * syllable
        if index % 5 == 4:
            continue  # a pause between phrases
        local = t - start
        fricative = ((local >= 0) & (local < 0.05)) * torch.sin(math.pi * local / 0.05).clamp(min=0)
        voiced = ((local >= 0.05) & (local < 0.22)) * torch.sin(
            math.pi * (local - 0.05) / 0.17
        ).clamp(min=0)
        formants = VOWELS_HZ[vowels[index % len(vowels)]]
        response = torch.stack(
            [
                _resonator(f, b, sample_rate, length)
                for f, b in zip(formants, FORMANT_BANDWIDTHS_HZ, strict=True)
            ]
        ).sum(dim=0)
        audio += _convolve(buzz * voiced, response) + 0.3 * hiss * fricative * (index % 2)
    return _stereo(audio, sample_rate)


def drum_like(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Tensor:
    """Kick on the beats, snare on the backbeats, hi-hat on the eighths at 120 bpm; `(2, n)`."""
    n = int(seconds * sample_rate)
    t = _times(n, sample_rate)
    noise = _noise(n, seed=11)
    bright = torch.cat([noise[:2], noise[2:] - 2 * noise[1:-1] + noise[:-2]]) / 4.0
    audio = torch.zeros(n, dtype=torch.float64)
    eighth = 0.25
    for index in range(math.ceil(seconds / eighth)):
        local = t - index * eighth
        on = local >= 0
        local = local.clamp(min=0.0)  # no exp() overflow before the onset
        if index % 4 == 0:  # kick on beats 1 and 3: a sine falling from 150 to 50 Hz
            sweep = 50.0 * local + 100.0 * 0.03 * (1.0 - torch.exp(-local / 0.03))
            audio += on * torch.exp(-local / 0.25) * torch.sin(2 * math.pi * sweep)
        if index % 4 == 2:  # snare on beats 2 and 4: a 190 Hz body and a noise burst
            body = torch.exp(-local / 0.08) * torch.sin(2 * math.pi * 190.0 * local)
            audio += on * (0.5 * body + 0.8 * torch.exp(-local / 0.12) * noise)
        audio += on * 0.6 * torch.exp(-local / 0.03) * bright  # hi-hat on every eighth
    return _stereo(audio, sample_rate, width_ms=0.6)


def sustained(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Tensor:
    """An A minor seventh chord (A2 C3 E3 G3) of 8 harmonics each, with a slow swell, vibrato
    and release; `(2, n)`."""
    n = int(seconds * sample_rate)
    t = _times(n, sample_rate)
    vibrato = 1.0 + 0.004 * torch.sin(2 * math.pi * 5.0 * t)
    audio = torch.zeros(n, dtype=torch.float64)
    for note, freq in enumerate((110.0, 130.81, 164.81, 196.0)):
        phase = torch.cumsum(2 * math.pi * freq * vibrato / sample_rate, dim=0) + note
        for harmonic in range(1, 9):
            audio += torch.sin(harmonic * phase) / harmonic
    attack = (t / 0.4).clamp(max=1.0)
    release = ((seconds - t) / 0.3).clamp(min=0.0, max=1.0)
    return _stereo(audio * attack * release, sample_rate, width_ms=0.9)


DEMO_CLIPS: Dict[str, Callable[[int, float], Tensor]] = {
    "speech": speech_like,
    "drums": drum_like,
    "sustained": sustained,
}
"""Clip name -> synthesiser `(sample_rate, seconds) -> (2, n)`."""


def demo_clips(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Dict[str, Tensor]:
    """Every demo clip by name, `(2, n)` at `sample_rate`."""
    return {name: make(sample_rate, seconds) for name, make in DEMO_CLIPS.items()}


def demo_input(sample_rate: int = DEFAULT_SAMPLE_RATE, seconds: float = 3.0) -> Tensor:
    """One input holding the three clips in turn (speech, drums, sustained), `(2, n)`."""
    part = seconds / len(DEMO_CLIPS)
    clips = [make(sample_rate, part) for make in DEMO_CLIPS.values()]
    audio = torch.cat(clips, dim=1)
    return torch.nn.functional.pad(audio, (0, int(seconds * sample_rate) - audio.size(1)))


# -- renders ------------------------------------------------------------------------------------


def knob_settings(knobs: Sequence[Knob]) -> List[Tuple[str, Dict[str, float]]]:
    """("default", {}) then each shown knob at its two extremes, the others at their default.

    Labels say the position and what the model receives: "gain=0 (1)", "mode=1 (fold)".
    """
    settings: List[Tuple[str, Dict[str, float]]] = [("default", {})]
    for knob in knobs:
        if not knob.used:
            continue
        for position in (0.0, 1.0):
            settings.append((knob.label(position), {knob.name: position}))
    return settings


def _stereo_pair(audio: Tensor, rendered: Tensor, sample_rate: int, label: str) -> SamplePair:
    return SamplePair(
        audio.expand(2, audio.size(1)).contiguous(),
        rendered.expand(2, rendered.size(1)).contiguous(),
        sample_rate,
        label,
    )


def render_samples(
    module: nn.Module,
    inputs: Sequence[Tensor],
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    labels: Sequence[str] | None = None,
) -> List[SamplePair]:
    """Render each `(1 or 2, n)` input at the default knobs, delay removed, as a host plays it."""
    names = (
        list(labels) if labels is not None else [f"input-{i}, default" for i in range(len(inputs))]
    )
    if len(names) != len(inputs):
        raise ValueError(f"labels: one per input ({len(inputs)}), got {len(names)}")
    pairs = []
    for given, label in zip(inputs, names, strict=True):
        if given.dim() != 2 or given.size(0) not in (1, 2):
            raise ValueError(f"input_samples: each must be (1 or 2, n), got {tuple(given.shape)}")
        audio = given.to(torch.float32).expand(2, given.size(1)).contiguous()
        rendered = render(module, audio, sample_rate, compensate=True).audio
        pairs.append(_stereo_pair(audio, rendered, sample_rate, label))
    return pairs


def render_knob_samples(
    module: nn.Module, clips: Mapping[str, Tensor], sample_rate: int = DEFAULT_SAMPLE_RATE
) -> List[SamplePair]:
    """Every clip at every `knob_settings` entry, labelled "<clip>, <setting>", delay removed."""
    module, metadata = load_model(module)
    settings = knob_settings(knobs_of(module, metadata))
    pairs = []
    for clip, audio in clips.items():
        for setting, values in settings:
            rendered = render(module, audio, sample_rate, knobs=values, compensate=True).audio
            pairs.append(_stereo_pair(audio, rendered, sample_rate, f"{clip}, {setting}"))
    return pairs


def file_stem(label: str) -> str:
    """A file name stem from a label: "drums, gain=1 (4)" -> "drums.gain-1"."""
    words = re.sub(r"\(.*?\)", "", label).replace(",", " ").split()
    parts = [re.sub(r"[^A-Za-z0-9]+", "-", word).strip("-") for word in words]
    return ".".join(part for part in parts if part) or "sample"


def write_samples(pairs: Sequence[SamplePair], folder: Path) -> List[Path]:
    """Write each pair as `<stem>.in` / `<stem>.out` WAV (16-bit) and MP3; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for pair in pairs:
        stem = file_stem(pair.label)
        for side, audio in (("in", pair.audio_in), ("out", pair.audio_out)):
            for suffix, encode in ((".wav", encode_wav), (".mp3", encode_mp3)):
                path = folder / f"{stem}.{side}{suffix}"
                atomic_write_bytes(path, encode(audio, pair.sample_rate))
                written.append(path)
    return written
