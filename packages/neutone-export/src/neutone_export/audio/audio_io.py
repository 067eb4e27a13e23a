"""Audio files in and out, through soundfile (libsndfile): WAV, FLAC, OGG Vorbis and MP3.

Reading accepts any sample rate and channel count libsndfile decodes and returns float32
`(channels, n)`. Writing picks the format from the file's suffix and goes to a temporary name in
the same folder first, renamed into place once complete, so an interrupted render never leaves a
truncated file under the name asked for. libsndfile writes MP3 since 1.1 (soundfile 0.13 ships it).

Example:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_audio(folder / "a.flac", torch.zeros(2, 480), 48000)
    >>> audio, rate = read_audio(folder / "a.flac")
    >>> tuple(audio.shape), rate
    ((2, 480), 48000)
"""

import io
from pathlib import Path
from typing import Dict, Tuple, Union

import soundfile
import torch
from torch import Tensor

from neutone_export.errors import one_line
from neutone_export.files.atomic import atomic_write_bytes

FORMATS: Dict[str, Tuple[str, str]] = {
    ".wav": ("WAV", "FLOAT"),
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
"""File suffix -> (libsndfile format, subtype). WAV stays float: a render keeps peaks above 0 dBFS
exactly; the other formats hold [-1, 1], so samples beyond are clipped before encoding."""

MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
"""Sample rates an MP3 file can have (MPEG-1, -2 and 2.5 layer III)."""


class AudioFileError(ValueError):
    """A file that cannot be read or written as audio; the message is one line naming the file."""


def format_of(path: Union[str, Path]) -> Tuple[str, str]:
    """The (format, subtype) written for `path`'s suffix; `AudioFileError` for another suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise AudioFileError(f"{path}: cannot write suffix {suffix!r}; use one of {known}")
    return FORMATS[suffix]


def read_audio(path: Union[str, Path]) -> Tuple[Tensor, int]:
    """Decode an audio file: float32 `(channels, n)` in its own channel count, and its rate."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    try:
        data, sample_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioFileError(f"{path}: not a readable audio file ({one_line(error)})") from error
    if data.shape[0] == 0:
        raise AudioFileError(f"{path}: holds no samples")
    return torch.from_numpy(data.T.copy()), int(sample_rate)


def _playable(audio: Tensor, subtype: str) -> Tensor:
    """Samples ready to encode: non-finite ones zeroed, and clipped to [-1, 1] unless float."""
    audio = torch.nan_to_num(audio.detach().to(torch.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return audio if subtype == "FLOAT" else audio.clamp(-1.0, 1.0)


def _check_writable(audio: Tensor, sample_rate: int, fmt: str, target: str) -> None:
    if audio.dim() != 2 or audio.size(0) < 1 or audio.size(1) < 1:
        raise AudioFileError(
            f"{target}: audio must be (channels, n) with n >= 1, got {tuple(audio.shape)}"
        )
    if fmt == "MP3" and sample_rate not in MP3_RATES:
        raise AudioFileError(
            f"{target}: MP3 cannot hold {sample_rate} Hz; use one of {MP3_RATES} or write .wav"
        )


def encode_audio(audio: Tensor, sample_rate: int, suffix: str, subtype: str | None = None) -> bytes:
    """The bytes of an audio file of `(channels, n)` audio in the format named by `suffix`.

    `subtype` overrides the default of `FORMATS` (e.g. "PCM_16" for a small WAV).
    """
    fmt, default_subtype = format_of(f"audio{suffix}")
    subtype = subtype or default_subtype
    _check_writable(audio, sample_rate, fmt, f"{suffix} data")
    buffer = io.BytesIO()
    samples = _playable(audio, subtype).t().contiguous().numpy()
    soundfile.write(buffer, samples, sample_rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def write_audio(path: Union[str, Path], audio: Tensor, sample_rate: int) -> None:
    """Write `(channels, n)` audio to `path` in the format of its suffix, atomically.

    Non-finite samples are written as 0; formats other than WAV clip to [-1, 1].
    """
    path = Path(path)
    data = encode_audio(audio, sample_rate, path.suffix.lower())
    if not path.parent.is_dir():
        raise AudioFileError(f"{path}: folder {path.parent} does not exist")
    atomic_write_bytes(path, data)
