"""`speed` on a non-realtime (Gen) `.nm`: seconds per clip length and the realtime factor."""

import json
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import torch
from torch import Tensor, nn
from typer.testing import CliRunner

from neutone_bench.cli import app
from neutone_bench.clip_speed import measure_clip_speed
from neutone_bench.models import ModelNotFoundError, resolve_model
from neutone_core import ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase
from neutone_export.kinds.gen import script_non_realtime_model

TERMINAL = {"COLUMNS": "80", "NO_COLOR": "1"}


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


class _Gain(NonRealtimeBase):
    """A stereo clip in, one out, scaled by a knob; native 44.1 kHz: the host rate resamples."""

    def get_model_name(self) -> str:
        return "gen.gain"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Scales a whole clip."

    def get_model_long_description(self) -> str:
        return "Scales a whole clip by a knob."

    def get_technical_description(self) -> str:
        return "A gain."

    def get_tags(self) -> List[str]:
        return ["test"]

    def get_neutone_parameters(self) -> list:
        return [ContinuousNeutoneParameter("gain", "gain", 0.5, 0.0, 1.0)]

    def get_audio_in_channels(self) -> List[int]:
        return [2]

    def get_audio_out_channels(self) -> List[int]:
        return [2]

    def get_native_sample_rates(self) -> List[int]:
        return [44100]

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def is_one_shot_model(self) -> bool:
        return True

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        return [audio_in[0] * numerical_params["gain"]]


@pytest.fixture(scope="module")
def gen_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    module = script_non_realtime_model(_Gain(nn.Identity()))
    path = tmp_path_factory.mktemp("gen") / "gain.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


def test_clip_timings_and_realtime_factor(gen_file: Path) -> None:
    module = torch.jit.load(str(gen_file))
    result = measure_clip_speed(module, 48000, 0.5, repetitions=3, warmup=1, seed=0)
    assert len(result.times) == 3 and len(result.warmup_times) == 1
    assert result.output_s == pytest.approx(0.5)  # back at the host rate, same length
    assert result.realtime_factor == pytest.approx(0.5 / result.median_s)
    data = result.to_dict()
    assert data["min_s"] <= data["median_s"] <= data["max_s"]


def test_speed_of_a_gen_file_per_clip_length(gen_file: Path) -> None:
    args = ["speed", str(gen_file), "--clip-seconds", "0.25", "--clip-seconds", "1"]
    result = CliRunner().invoke(app, [*args, "--repetitions", "2", "--json", "-"], env=TERMINAL)
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["realtime"] is False and data["clip_seconds"] == [0.25, 1.0]
    assert [r["clip_s"] for r in data["results"]] == [0.25, 1.0]
    for row in data["results"]:
        assert len(row["times_s"]) == 2 and row["output_s"] == pytest.approx(row["clip_s"])
        assert row["realtime_factor"] == pytest.approx(row["output_s"] / row["median_s"])
    table = CliRunner().invoke(app, [*args, "--repetitions", "1"], env=TERMINAL)
    assert table.exit_code == 0, show(table)
    words = " ".join(table.stdout.split())
    assert "per clip (realtime x: seconds of audio per second)" in words
    rows = [line.split() for line in table.stdout.splitlines() if line.strip()[:5] == "48000"]
    assert [row[1] for row in rows] == ["0.25", "1"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--host", "native"], "--host native: gen.gain"),
        (["--clip-seconds", "0"], "--clip-seconds"),
    ],
)
def test_gen_refusals_are_one_line(gen_file: Path, args: List[str], message: str) -> None:
    result = CliRunner().invoke(app, ["speed", str(gen_file), *args], env=TERMINAL)
    assert result.exit_code == 2, show(result)
    assert message.split(":", maxsplit=1)[0] in result.stderr and result.stdout == ""


def test_clip_seconds_refused_for_a_realtime_model() -> None:
    result = CliRunner().invoke(app, ["speed", "--clip-seconds", "1"], env=TERMINAL)
    assert result.exit_code == 2, show(result)
    assert "--clip-seconds: " in result.stderr and "realtime model" in result.stderr


def test_the_kind_comes_from_the_file(gen_file: Path) -> None:
    """Gen: timed per clip, no stream; the embedded default streams."""
    gen, default = resolve_model(str(gen_file)).kind, resolve_model(None).kind
    assert (gen.name, gen.streams) == ("non-realtime", False)
    assert (default.name, default.streams) == ("realtime", True)


def test_latency_refuses_a_gen_model(gen_file: Path) -> None:
    result = CliRunner().invoke(app, ["latency", str(gen_file)], env=TERMINAL)
    assert result.exit_code == 2, show(result)
    assert result.stdout == ""
    assert "is a non-realtime (Gen) model; it has no stream delay" in result.stderr


class _HalfGen(nn.Module):
    """A Gen file (attribute `realtime` False) with the clip call only: no knobs, no channels."""

    def __init__(self) -> None:
        super().__init__()
        self.realtime = False

    def forward(self, x: Tensor) -> Tensor:
        return x

    @torch.jit.export
    def forward_non_realtime(
        self,
        audio_in: List[Tensor],
        numerical_params: Optional[Tensor],
        text_params: Optional[List[str]],
        tokens_params: Optional[List[List[int]]],
    ) -> List[Tensor]:
        return audio_in

    @torch.jit.export
    def set_daw_sample_rate_and_buffer_size(
        self,
        daw_sr: int,
        daw_bs: int,
        model_sr: Optional[int] = None,
        model_bs: Optional[int] = None,
    ) -> int:
        return daw_bs


def test_a_gen_file_without_what_speed_calls_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "half.nm"
    torch.jit.save(torch.jit.script(_HalfGen()), str(path), _extra_files={"metadata.json": "{}"})
    with pytest.raises(ModelNotFoundError, match="not a Neutone model") as refused:
        resolve_model(str(path))
    for method in ("reset", "get_audio_in_channels", "get_numerical_params_default_values_0to1"):
        assert method in str(refused.value)
    assert "forward_non_realtime" not in str(refused.value)
