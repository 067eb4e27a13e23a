"""Saving and checking non-realtime ("Gen") models: files written, faults found and named."""

import json
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_core.parameters import TextNeutoneParameter
from neutone_export import ScriptingError, load_neutone_model
from neutone_export.non_realtime_checks import validate_non_realtime_model
from neutone_export.non_realtime_save import save_non_realtime_model


class Tremolo(NonRealtimeBase):
    """A block model at 48 kHz: gain by a knob; `fault` breaks it on purpose for the checks."""

    def __init__(self, fault: str = "") -> None:
        super().__init__(nn.Identity())
        self.fault = fault

    def get_model_name(self) -> str:
        return "tremolo"

    def get_model_authors(self) -> List[str]:
        return ["tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "gain"

    def get_neutone_parameters(self) -> list:
        return [
            ContinuousNeutoneParameter("gain", "g", 1.0, 0.0, 2.0),
            CategoricalNeutoneParameter("mode", "m", 2, 0, ["plain", "inverted"]),
            TextNeutoneParameter("note", "ignored text", 16, ""),
        ]

    def get_audio_in_channels(self) -> List[int]:
        return [2]

    def get_audio_out_channels(self) -> List[int]:
        return [1]

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [1024]

    def is_one_shot_model(self) -> bool:
        return False

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        y = audio_in[0].mean(dim=0, keepdim=True) * numerical_params["gain"]
        if numerical_params["mode"][0] > 0.5:
            y = -y
        if self.fault == "random":
            y = y + 1e-3 * torch.rand_like(y)
        if self.fault == "nan" and numerical_params["gain"][0] > 1.5:
            y = y / 0.0 * 0.0
        return [y]


class Unscriptable(Tremolo):
    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        return [x for x in map(lambda t: t, audio_in)]


def test_save_writes_the_file_and_every_check_passes(tmp_path: Path) -> None:
    report = save_non_realtime_model(Tremolo(), tmp_path / "out", quiet=True)
    assert report.passed, [f"{c.name}: {c.message}" for c in report.failures]
    names = [c.name for c in report.checks]
    assert names == [
        "contract",
        "metadata",
        "outputs",
        "finite",
        "determinism",
        "reset",
        "cancel",
        "progress",
        "round_trip",
    ]
    assert report["round_trip"].figure > 30.0  # dB
    module, metadata = load_neutone_model(tmp_path / "out" / "model.nm", strict=False)
    assert module.realtime is False
    assert json.loads((tmp_path / "out" / "metadata.json").read_text()) == metadata
    assert metadata["neutone_parameters"]["p3"]["type"] == "text"
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["passed"] is True and saved["settings"]["realtime"] is False
    # The file validates again from its path.
    assert validate_non_realtime_model(tmp_path / "out" / "model.nm").passed


@pytest.mark.parametrize(
    ("fault", "failed", "message"),
    [
        ("random", ["determinism", "reset"], "two renders of the same clip differ"),
        ("nan", ["finite"], "knobs at 1, defaults: output track 0 has"),
    ],
)
def test_checks_name_the_fault(fault: str, failed: List[str], message: str) -> None:
    module = torch.jit.script(NonRealtimeAdapter(Tremolo(fault)))
    report = validate_non_realtime_model(module)
    assert [c.name for c in report.failures] == failed
    assert message in report[failed[0]].message


def test_save_refuses_what_it_cannot_save(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="model: must be a NonRealtimeBase, got Identity"):
        save_non_realtime_model(nn.Identity(), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ScriptingError) as error:
        save_non_realtime_model(Unscriptable(), tmp_path, quiet=True)
    assert error.value.method == "Unscriptable.do_forward_pass"
    assert not (tmp_path / "model.nm").exists()
