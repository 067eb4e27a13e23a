"""Demo samples: three kinds of synthetic material, rendered at the default and at each knob's
extremes, labelled, and encoded as WAV and MP3 through soundfile."""

import io
from pathlib import Path

import pytest
import soundfile
import torch
from torch import nn

from neutone_export import script_neutone_model
from neutone_export.audio.samples import (
    PEAK,
    demo_clips,
    demo_input,
    encode_mp3,
    encode_wav,
    file_stem,
    render_knob_samples,
    render_samples,
    write_samples,
)

SR = 48000


def quiet_fraction(audio: torch.Tensor) -> float:
    """Share of 10 ms frames 20 dB below the loudest: decays between hits, pauses in speech."""
    frames = audio[0].reshape(-1, SR // 100).pow(2).mean(1).sqrt()
    return float((frames < 0.1 * frames.max()).float().mean())


def test_the_clips_cover_speech_drums_and_sustained_material() -> None:
    clips = demo_clips(SR, seconds=2.0)
    assert sorted(clips) == ["drums", "speech", "sustained"]
    for name, audio in clips.items():
        assert audio.shape == (2, 2 * SR) and audio.dtype == torch.float32, name
        assert bool(torch.isfinite(audio).all()), name
        assert float(audio.abs().max()) == pytest.approx(PEAK), name
        assert not torch.equal(audio[0], audio[1]), f"{name}: stereo, not dual mono"
    assert quiet_fraction(clips["sustained"]) < 0.1 < quiet_fraction(clips["drums"])
    assert quiet_fraction(clips["speech"]) > 0.2  # gaps between syllables, pauses in phrases
    assert demo_input(SR, seconds=3.0).shape == (2, 3 * SR)


def test_wav_and_mp3_encodings_decode() -> None:
    audio = demo_clips(SR, seconds=1.0)["sustained"]
    wav, rate = soundfile.read(io.BytesIO(encode_wav(audio, SR)), dtype="float32")
    assert rate == SR and wav.shape == (SR, 2)
    assert float(abs(torch.from_numpy(wav.T) - audio).max()) <= 1 / 32767  # 16-bit
    info = soundfile.info(io.BytesIO(encode_mp3(audio, SR)))
    assert (info.format, info.samplerate, info.channels) == ("MP3", SR, 2)


def test_each_knob_is_rendered_at_both_extremes_with_a_label(models) -> None:
    module = script_neutone_model(models.Gain(nn.Identity()))
    clips = demo_clips(SR, seconds=0.5)
    pairs = render_knob_samples(module, clips)
    labels = [pair.label for pair in pairs]
    assert labels[:3] == ["speech, default", "speech, gain=0", "speech, gain=1"]
    assert len(pairs) == 3 * len(clips)
    by_label = {pair.label: pair for pair in pairs}
    drums = clips["drums"]
    assert torch.equal(by_label["drums, default"].audio_out, drums)  # gain 2 * 0.5
    assert not by_label["drums, gain=0"].audio_out.any()
    assert torch.allclose(by_label["drums, gain=1"].audio_out, 2 * drums)


def test_render_samples_keeps_the_default_knobs_and_lines_up(models) -> None:
    module = script_neutone_model(models.BlockedIdentity(nn.Identity()))
    x = demo_clips(SR, seconds=0.5)["speech"]
    (pair,) = render_samples(module, [x[:1]], SR, labels=["speech"])
    assert pair.label == "speech" and pair.audio_in.shape == (2, x.shape[1])
    assert torch.equal(pair.audio_out, pair.audio_in)  # delay removed


def test_files_are_named_after_their_labels(tmp_path: Path, models) -> None:
    assert file_stem("drums, gain=1 (4)") == "drums.gain-1"
    assert file_stem("speech, mode=0.5 (soft)") == "speech.mode-0-5"
    module = script_neutone_model(models.Gain(nn.Identity()))
    pairs = render_knob_samples(module, {"drums": demo_clips(SR, seconds=0.25)["drums"]})
    written = write_samples(pairs, tmp_path / "samples")
    names = sorted(path.name for path in written)
    assert "drums.gain-0.out.mp3" in names and "drums.default.in.wav" in names
    assert len(names) == len(set(names)) == 3 * 4
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == names  # no temporaries


def test_a_one_knob_export_writes_the_demo_files_the_readme_counts(saved_gain) -> None:
    samples = sorted((saved_gain.root / "samples").iterdir())
    assert len(samples) == 12 * (1 + 2 * 1)  # as the README says: 12 x (1 + 2 x knobs)
    assert {p.name for p in samples} >= {"drums.default.in.wav", "speech.gain-1.out.mp3"}
    megabytes = sum(p.stat().st_size for p in samples) / 1e6
    assert 10.0 < megabytes < 12.5, megabytes  # the README: 11 MB for one knob
