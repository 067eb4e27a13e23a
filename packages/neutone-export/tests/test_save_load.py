"""Saving writes a proven `.nm` with its companions; loading reads ours and refuses the rest."""

import base64
import json
import wave
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from neutone_export import NotANeutoneModelError, load_neutone_model, save_neutone_model
from neutone_export.files.load import plugin_load_problems


def test_save_writes_every_file(saved_gain) -> None:
    root = saved_gain.root
    for name in ("model.nm", "metadata.json", "report.json"):
        assert (root / name).is_file(), name
    # every demo clip at the default knob and at each extreme of the gain knob
    for clip in ("speech", "drums", "sustained"):
        for setting in ("default", "gain-0", "gain-1"):
            for side in ("in", "out"):
                assert (root / "samples" / f"{clip}.{setting}.{side}.wav").is_file()
                assert (root / "samples" / f"{clip}.{setting}.{side}.mp3").is_file()
    assert saved_gain.report.passed
    assert not saved_gain.report["eager"].skipped  # the Python model was compared at save time
    on_disk = json.loads((root / "report.json").read_text())
    assert on_disk == json.loads(json.dumps(saved_gain.report.to_dict()))
    assert on_disk["source"] == str(saved_gain.path)


def test_metadata_round_trips_with_mp3_samples(saved_gain) -> None:
    module, metadata = load_neutone_model(saved_gain.path)
    assert metadata == json.loads((saved_gain.root / "metadata.json").read_text())
    assert metadata["model_name"] == "export.test"
    pairs = metadata["sample_sound_files"]
    assert len(pairs) == 3  # the default-knob render of each clip
    for clip, pair in zip(("speech", "drums", "sustained"), pairs, strict=True):
        for side in ("in", "out"):
            mp3 = base64.b64decode(pair[side], validate=True)
            assert mp3 == (saved_gain.root / "samples" / f"{clip}.default.{side}.mp3").read_bytes()
            assert mp3[:3] == b"ID3" or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0)
    # everything but the samples is what the module itself reports
    own = json.loads(module.get_metadata_json())
    assert {k: v for k, v in metadata.items() if k != "sample_sound_files"} == {
        k: v for k, v in own.items() if k != "sample_sound_files"
    }


def read_wav(path: Path) -> tuple:
    with wave.open(str(path), "rb") as audio:
        return audio.getnchannels(), audio.getframerate(), audio.readframes(audio.getnframes())


def test_renders_are_delay_compensated(saved_blocked) -> None:
    module, _ = load_neutone_model(saved_blocked.path)
    module.set_daw_sample_rate_and_buffer_size(48000, 512)
    delay = module.calc_buffering_delay_samples() + module.calc_model_delay_samples()
    assert delay > 0  # blocks of 256 delay the identity, so alignment is really tested
    channels, rate, frames_in = read_wav(saved_blocked.root / "samples" / "drums.default.in.wav")
    assert (channels, rate) == (2, 48000)
    _, _, frames_out = read_wav(saved_blocked.root / "samples" / "drums.default.out.wav")
    assert len(frames_out) == len(frames_in) > 48000 * 2 * 2
    assert frames_out == frames_in  # identity with its delay removed: sample for sample


def test_save_twice_in_one_process(models, tmp_path, short_demo) -> None:
    threads = torch.get_num_threads()
    reports = [
        save_neutone_model(
            models.Identity(nn.Identity()),
            tmp_path / f"run{i}",
            input_samples=short_demo,
            quiet=True,
        )
        for i in range(2)
    ]
    assert all(report.passed for report in reports)
    assert torch.get_num_threads() == threads


def test_save_shows_progress_unless_quiet(models, tmp_path, capsys, short_demo) -> None:
    save_neutone_model(models.Identity(nn.Identity()), tmp_path / "loud", input_samples=short_demo)
    err = capsys.readouterr().err
    assert "neutone-export: scripting Identity" in err
    assert "neutone-export:   pass delay (0 samples)" in err
    save_neutone_model(
        models.Identity(nn.Identity()), tmp_path / "quiet", input_samples=short_demo, quiet=True
    )
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_save_with_own_samples_and_freeze(models, tmp_path) -> None:
    samples = [torch.sin(torch.linspace(0, 400.0, 24000)).reshape(1, -1) * 0.5]
    report = save_neutone_model(
        models.Gain(nn.Identity()), tmp_path, input_samples=samples, freeze=True, quiet=True
    )
    assert report.passed
    module, metadata = load_neutone_model(tmp_path / "model.nm")  # strict: as the plugin loads
    assert plugin_load_problems(module) == [] and module.realtime is True
    assert len(metadata["sample_sound_files"]) == 1
    channels, _, frames = read_wav(tmp_path / "samples" / "input-0.default.in.wav")
    assert channels == 2 and len(frames) == 24000 * 4


def test_save_refuses_too_many_samples(models, tmp_path) -> None:
    with pytest.raises(
        ValueError, match="save_neutone_model: input_samples holds at most 3 inputs, got 4"
    ):
        save_neutone_model(
            models.Identity(nn.Identity()), tmp_path, input_samples=[torch.zeros(2, 10)] * 4
        )


def write_plain_script(path: Path, metadata: str = "") -> None:
    extra = {"metadata.json": metadata} if metadata else {}
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), str(path), _extra_files=extra)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "not a file"),
        (lambda p: p.write_text("hello"), "not a TorchScript archive \\(not a zip file\\)"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("a.txt", "x"), "not a TorchScript archive"),
        (write_plain_script, "no metadata.json inside, not a Neutone model"),
        (lambda p: write_plain_script(p, "{not json"), "metadata.json is not valid JSON"),
        (lambda p: write_plain_script(p, "[1, 2]"), "metadata.json is not a JSON object"),
        (
            lambda p: write_plain_script(p, "[" * 100_000 + "]" * 100_000),
            "metadata.json nests too deeply to be read, not a Neutone model",
        ),
        (
            lambda p: write_plain_script(p, "{}"),
            (
                "a TorchScript file but not a Neutone model \\(no method "
                "set_daw_sample_rate_and_buffer_size\\)"
            ),
        ),
    ],
    ids=[
        "missing",
        "directory",
        "text",
        "zip",
        "no-metadata",
        "bad-json",
        "json-list",
        "json-too-deep",
        "foreign",
    ],
)
def test_load_refuses_with_one_line(tmp_path, make, match: str) -> None:
    path = tmp_path / "model.nm"
    make(path)
    with pytest.raises(NotANeutoneModelError, match=match) as caught:
        load_neutone_model(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)
