"""Audio files through soundfile: every suffix round-trips, any rate and channel count reads back,
bad files fail in one line, and a write is atomic."""

import io
import math
import os
from pathlib import Path

import pytest
import soundfile
import torch

from neutone_export.audio.audio_io import (
    FORMATS,
    AudioFileError,
    encode_audio,
    format_of,
    read_audio,
    write_audio,
)


def sine(freq: float, sample_rate: int, n: int, channels: int = 2, amplitude: float = 0.5):
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    rows = [amplitude * torch.sin(2 * math.pi * freq * (c + 1) * t) for c in range(channels)]
    return torch.stack(rows).to(torch.float32)


def level_db_at(audio: torch.Tensor, freq: float, sample_rate: int) -> float:
    """Level of a whole-cycle sine at `freq` in the first channel (rectangular window, one bin)."""
    n = sample_rate  # one second: bins of 1 Hz
    spectrum = torch.fft.rfft(audio[0, :n].to(torch.float64))
    return 20 * math.log10(2 * float(spectrum[int(freq)].abs()) / n)


def test_libsndfile_here_writes_real_mp3() -> None:
    data = encode_audio(sine(1000, 48000, 48000), 48000, ".mp3")
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0), data[:4]
    info = soundfile.info(io.BytesIO(data))
    assert info.format == "MP3" and info.samplerate == 48000 and info.channels == 2


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_suffix_round_trips(tmp_path: Path, suffix: str) -> None:
    x = sine(1000, 48000, 48000)
    path = tmp_path / f"tone{suffix}"
    write_audio(path, x, 48000)
    y, rate = read_audio(path)
    assert rate == 48000 and y.shape[0] == 2
    assert abs(y.shape[1] - x.shape[1]) <= 2304, y.shape  # lossy codecs may pad a frame
    if suffix == ".wav":
        assert torch.equal(y, x)  # float WAV: exact
    elif suffix == ".flac":
        assert float((y - x).abs().max()) <= 2.0**-23  # 24-bit
    else:
        # a lossy codec keeps the tone's level (the first second, 1 kHz on the left)
        assert abs(level_db_at(y, 1000, 48000) - level_db_at(x, 1000, 48000)) < 0.5


def test_reads_any_rate_and_channel_count(tmp_path: Path) -> None:
    for channels, rate in ((1, 8000), (2, 44100), (6, 22050)):
        path = tmp_path / f"c{channels}.flac"
        soundfile.write(str(path), torch.zeros(300, channels).numpy(), rate)
        audio, found = read_audio(path)
        assert tuple(audio.shape) == (channels, 300) and found == rate
        assert audio.dtype == torch.float32


def test_integer_formats_clip_and_every_format_zeroes_non_finite(tmp_path: Path) -> None:
    x = torch.tensor([[0.5, 1.5, -2.0, float("nan"), float("inf")]])
    write_audio(tmp_path / "a.wav", x, 48000)
    write_audio(tmp_path / "a.flac", x, 48000)
    wav, _ = read_audio(tmp_path / "a.wav")
    flac, _ = read_audio(tmp_path / "a.flac")
    assert wav.tolist() == [[0.5, 1.5, -2.0, 0.0, 0.0]]  # float WAV keeps peaks above 0 dBFS
    assert flac[0, 0] == pytest.approx(0.5, abs=1e-6)
    assert float(flac.abs().max()) <= 1.0 and bool(torch.isfinite(flac).all())


def test_bad_files_and_suffixes_fail_in_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF but not really a wave file" * 8)
    cases = [
        (lambda: read_audio(tmp_path / "missing.wav"), "no such file"),
        (lambda: read_audio(garbage), "not a readable audio file"),
        (lambda: format_of("out.aiff"), "'.aiff'"),
        (lambda: write_audio(tmp_path / "x.mp3", torch.zeros(2, 10), 96000), "96000"),
        (lambda: write_audio(tmp_path / "none" / "x.wav", torch.zeros(2, 10), 48000), "folder"),
        (lambda: write_audio(tmp_path / "x.wav", torch.zeros(10), 48000), "(channels, n)"),
    ]
    for call, words in cases:
        with pytest.raises(AudioFileError) as caught:
            call()
        message = str(caught.value)
        assert words in message and "\n" not in message, message


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.wav"
    write_audio(path, torch.zeros(2, 100), 48000)
    before = path.read_bytes()

    def broken_rename(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_rename)
    with pytest.raises(OSError, match="disk full"):
        write_audio(path, torch.ones(2, 100) * 0.5, 48000)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]  # no temporary left
