"""`neutone-export render` through CliRunner: exit status first, then stdout and stderr apart."""

import json
from pathlib import Path

import torch
from typer.testing import CliRunner

from neutone_export.audio.audio_io import read_audio, write_audio
from neutone_export.cli import render as cli_render
from neutone_export.cli.contract import make_app

runner = CliRunner()
app = make_app("neutone-export", "test app")
cli_render.register(app)


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, show(result)
    assert result.stdout == "", show(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), show(result)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, show(result))


def source(folder: Path, rate: int = 44100, seconds: float = 0.5) -> Path:
    noise = torch.rand(2, int(rate * seconds), generator=torch.Generator().manual_seed(0)) - 0.5
    path = folder / "in.flac"
    write_audio(path, noise * 0.5, rate)
    return path


def test_render_writes_out_and_prints_the_summary(saved_gain, tmp_path: Path) -> None:
    src = source(tmp_path)
    out = tmp_path / "out.wav"
    args = ["render", str(saved_gain.path), str(src), str(out), "--knob", "gain=0:1"]
    result = runner.invoke(app, [*args, "--compensate", "-b", "256", "--variable-buffers"])
    assert result.exit_code == 0, show(result)
    assert result.stdout.startswith(f"{out}: 0.50 s at 44100 Hz in random buffers of 0..256")
    assert "delay 0 samples (compensated)" in result.stdout
    assert " on 1 thread, realtime factor " in result.stdout
    written, rate = read_audio(out)
    assert rate == 44100 and written.shape == (2, 22050)
    assert float(written[:, :100].abs().max()) < 0.01  # the ramp starts at gain 0


def test_render_json_and_default_output(saved_gain, tmp_path: Path) -> None:
    src = source(tmp_path)
    result = runner.invoke(
        app, ["render", str(saved_gain.path), str(src), "-r", "48000", "--json", "-"]
    )
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["tool"] == "neutone-export" and data["command"] == "render"
    assert data["output"] == str(tmp_path / "in.rendered.wav")
    assert data["summary"]["sample_rate"] == 48000 and data["summary"]["non_finite_out"] == 0
    assert read_audio(tmp_path / "in.rendered.wav")[1] == 48000


def test_render_pins_threads_and_restores_them(saved_gain, tmp_path: Path) -> None:
    import torch

    src = source(tmp_path)
    before = torch.get_num_threads()
    result = runner.invoke(
        app, ["render", str(saved_gain.path), str(src), "--threads", "2", "--json", "-"]
    )
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["threads"] == 2 and data["summary"]["threads"] == 2
    assert torch.get_num_threads() == before


def test_non_finite_output_exits_1(models, tmp_path: Path) -> None:
    from torch import nn

    from neutone_export import script_neutone_model

    module = script_neutone_model(models.NanAtMaxDrive(nn.Identity()))
    model = str(tmp_path / "nan.nm")
    torch.jit.save(module, model, _extra_files={"metadata.json": module.get_metadata_json()})
    src = source(tmp_path, seconds=0.1)
    result = runner.invoke(app, ["render", model, str(src), "--knob", "drive=1", "-q"])
    assert result.exit_code == 1, show(result)
    assert "NON-FINITE" in result.stdout and "failed: 8820 output samples" in result.stderr


def test_bad_input_is_one_line_before_any_work(saved_gain, tmp_path: Path) -> None:
    src = source(tmp_path, seconds=0.1)
    model = str(saved_gain.path)
    cases = [
        (["render", model, str(tmp_path / "missing.wav")], ["IN:", "no such file"]),
        (["render", model, str(src), str(src)], ["OUT:", "is the input"]),
        (["render", model, str(src), str(tmp_path / "x.aiff")], ["'.aiff'"]),
        (["render", model, str(src), "-b", "0"], ["--buffer-size must be in [1, 65536]"]),
        (["render", model, str(src), "-r", "5"], ["--sample-rate must be in"]),
        (["render", model, str(src), "--knob", "drive=1"], ["no knob of that name; knobs: gain"]),
        (["render", model, str(src), "--knob", "gain=2"], ["[0, 1]"]),
        (["render", str(src), str(src), str(tmp_path / "o.wav")], ["MODEL:", "not a TorchScript"]),
    ]
    for args, fragments in cases:
        assert_one_line_error(runner.invoke(app, args), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.flac"]
