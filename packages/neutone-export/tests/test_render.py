"""`render` runs audio through a model as the plugin would: compensated output lines up with the
input sample for sample whatever the host buffers, knobs follow names and ramps, and the summary
tells the truth about levels and non-finite samples."""

from pathlib import Path
from typing import List, Tuple

import pytest
import soundfile
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from neutone_export import script_neutone_model
from neutone_export.audio.audio_io import AudioFileError, read_audio, write_audio
from neutone_export.audio.knobs import KnobError
from neutone_export.audio.render import RenderError, default_output_path, render, render_file

SR = 48000


def noise(n: int, channels: int = 2, seed: int = 0, amplitude: float = 0.25) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(channels, n, generator=generator) * 2 - 1) * amplitude


@pytest.fixture(scope="module")
def blocked(models) -> torch.jit.ScriptModule:
    """Identity in native blocks of 256: 255 samples of buffering delay at any host buffer."""
    return script_neutone_model(models.BlockedIdentity(nn.Identity()))


@pytest.fixture(scope="module")
def gain(models) -> torch.jit.ScriptModule:
    return script_neutone_model(models.Gain(nn.Identity()))


def test_compensated_output_is_the_input_and_uncompensated_keeps_the_tail(blocked) -> None:
    x = noise(SR // 2)
    aligned = render(blocked, x, SR, buffer_size=100, compensate=True)
    assert torch.equal(aligned.audio, x)
    raw = render(blocked, x, SR, buffer_size=100)
    delay = raw.summary.delay_samples
    assert delay == 255 and raw.audio.shape == (2, x.shape[1] + delay)
    assert torch.equal(raw.audio[:, delay:], x) and not raw.audio[:, :delay].any()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), buffer_size=st.integers(1, 1500))
def test_variable_host_buffers_change_nothing(blocked, seed: int, buffer_size: int) -> None:
    x = noise(4000, seed=seed % 1000)
    result = render(
        blocked,
        x,
        44100,
        buffer_size=buffer_size,
        variable_buffers=True,
        seed=seed,
        compensate=True,
    )
    assert torch.equal(result.audio, x), (seed, buffer_size)


def test_variable_buffers_are_reproducible_by_seed(gain) -> None:
    x = noise(6000)
    ramp = {"gain": (0.0, 1.0)}
    first = render(gain, x, SR, knobs=ramp, buffer_size=300, variable_buffers=True, seed=3)
    again = render(gain, x, SR, knobs=ramp, buffer_size=300, variable_buffers=True, seed=3)
    other = render(gain, x, SR, knobs=ramp, buffer_size=300, variable_buffers=True, seed=4)
    assert torch.equal(first.audio, again.audio)
    assert not torch.equal(first.audio, other.audio)  # knob blocks follow the host's buffers


def test_knobs_by_name_value_ramp_and_text(gain) -> None:
    x = torch.full((2, SR), 0.25)
    half = render(gain, x, SR, knobs={"gain": 0.25}).audio  # the model gets 2 * 0.25
    assert torch.allclose(half, 0.5 * x)
    assert torch.equal(render(gain, x, SR, knobs={"gain": "0.25"}).audio, half)
    ramp = render(gain, x, SR, knobs={"gain": "0:1"}, buffer_size=256).audio[0]
    assert float(ramp[:256].max()) < 0.01 and float(ramp[-256:].min()) > 0.49
    assert bool((ramp[1:] >= ramp[:-1] - 1e-7).all())  # rises with the automation


@pytest.mark.parametrize(
    "knobs, words",
    [
        ({"drive": 0.5}, "no knob of that name; knobs: gain"),
        ({"gain": 1.5}, "[0, 1]"),
        ({"gain": "loud"}, "not a number in [0, 1]"),
        ({"gain": (0.0, float("nan"))}, "[0, 1]"),
    ],
)
def test_bad_knob_values_are_refused(gain, knobs, words: str) -> None:
    with pytest.raises(KnobError) as caught:
        render(gain, noise(100), SR, knobs=knobs)
    assert words in str(caught.value), str(caught.value)


def test_progress_reaches_the_total_once_per_second_of_audio(gain) -> None:
    calls: List[Tuple[int, int]] = []
    render(gain, noise(3 * SR), SR, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == 3
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1][0] == calls[-1][1] >= 3 * SR


def test_summary_levels_and_non_finite_samples(models) -> None:
    x = torch.full((2, SR), 0.5)
    broken = script_neutone_model(models.NanAtMaxDrive(nn.Identity()))
    summary = render(broken, x, SR, knobs={"drive": 0.5}).summary
    assert summary.non_finite_out == 0 and summary.non_finite_in == 0
    assert summary.peak_in == 0.5 and summary.rms_in == pytest.approx(0.5)
    assert summary.peak_out == pytest.approx(1.0) and summary.realtime_factor > 0
    assert "all output samples finite" in summary.line()
    bad = render(broken, x, SR, knobs={"drive": 1.0}).summary
    assert bad.non_finite_out == 2 * SR
    assert f"{2 * SR} NON-FINITE" in bad.line()
    assert "-6.0 dBFS" in bad.line()  # input peak


def test_mono_host_track_and_bad_shapes(gain, saved_gain) -> None:
    mono = render(gain, noise(1000, channels=1), SR, compensate=True)
    assert mono.audio.shape == (1, 1000)  # the host's channel count comes back
    from_path = render(str(saved_gain.path), noise(1000, channels=1), SR, compensate=True)
    assert torch.equal(from_path.audio, mono.audio)
    with pytest.raises(RenderError, match="1 or 2 channels"):
        render(gain, noise(100, channels=3), SR)
    with pytest.raises(ValueError, match="buffer_size"):
        render(gain, noise(100), SR, buffer_size=0)


def test_render_file_resamples_to_the_host_rate_and_writes_by_suffix(
    tmp_path: Path, saved_gain
) -> None:
    source = tmp_path / "in.flac"
    write_audio(source, noise(44100, seed=5), 44100)
    out, result = render_file(
        saved_gain.path,
        source,
        tmp_path / "out.mp3",
        sample_rate=48000,
        knobs=["gain=0.5"],
        compensate=True,
    )
    assert out == tmp_path / "out.mp3" and result.summary.sample_rate == 48000
    assert soundfile.info(str(out)).format == "MP3" and soundfile.info(str(out)).samplerate == 48000
    written, rate = read_audio(out)
    assert rate == 48000 and abs(written.shape[1] - 48000) <= 2304
    default, _ = render_file(saved_gain.path, source)
    assert default == default_output_path(source) == tmp_path / "in.rendered.wav"
    assert read_audio(default)[1] == 44100


def test_render_file_refuses_before_rendering(tmp_path: Path, saved_gain) -> None:
    source = tmp_path / "in.wav"
    write_audio(source, noise(100), 96000)
    with pytest.raises(AudioFileError, match="MP3 cannot hold 96000 Hz"):
        render_file(saved_gain.path, source, tmp_path / "out.mp3")
    with pytest.raises(AudioFileError, match=r"'\.aiff'"):
        render_file(saved_gain.path, source, tmp_path / "out.aiff")
    with pytest.raises(KnobError, match="name=value"):
        render_file(saved_gain.path, source, knobs=["gain"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]
