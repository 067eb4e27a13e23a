"""Saving and checking non-realtime ("Gen") models: files written, faults found and named."""

import errno
import json
import shutil
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_core.parameters import TextNeutoneParameter
from neutone_export import (
    ExportError,
    ExportFailedError,
    ExportWriteError,
    ScriptingError,
    SubmissionError,
    load_neutone_model,
    save_neutone_model,
)
from neutone_export.files import staging as staged_export
from neutone_export.files.save import QualityWarning, save_non_realtime_model
from neutone_export.sdk15.porting_notes import PortingWarning
from neutone_export.suite.validate import validate_non_realtime_model


class Tremolo(NonRealtimeBase):
    """A block model at 48 kHz: gain by a knob; `fault` breaks it on purpose for the checks."""

    def __init__(self, fault: str = "") -> None:
        super().__init__(nn.Identity())
        self.fault = fault
        self.register_buffer("blocks_seen", torch.zeros(1))  # never cleared: the "leak" fault

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
        if self.fault == "random":  # noise by design: the checks seed torch's generator
            y = y + 1e-3 * torch.rand_like(y)
        if self.fault == "leak":
            self.blocks_seen += 1.0
            y = y + 1e-3 * self.blocks_seen
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
        # a lambda inside map: what TorchScript cannot compile, on purpose
        return [x for x in map(lambda t: t, audio_in)]  # noqa: C416, C417


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
        ("leak", ["determinism", "reset", "round_trip"], "two renders of the same clip differ"),
        ("nan", ["finite"], "knobs at 1, defaults: output track 0 has"),
    ],
)
def test_checks_name_the_fault(fault: str, failed: List[str], message: str) -> None:
    module = torch.jit.script(NonRealtimeAdapter(Tremolo(fault)))
    report = validate_non_realtime_model(module)
    assert [c.name for c in report.failures] == failed
    assert message in report[failed[0]].message


def test_noise_drawn_by_design_passes_determinism_and_reset() -> None:
    module = torch.jit.script(NonRealtimeAdapter(Tremolo("random")))
    report = validate_non_realtime_model(module)
    assert report.passed, [f"{c.name}: {c.message}" for c in report.failures]


def test_save_refuses_what_it_cannot_save(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="model: must be a NonRealtimeBase, got Identity"):
        save_non_realtime_model(nn.Identity(), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ScriptingError) as error:
        save_non_realtime_model(Unscriptable(), tmp_path, quiet=True)
    assert error.value.method == "Unscriptable.do_forward_pass"
    assert not (tmp_path / "model.nm").exists()


@pytest.fixture(scope="module")
def passing_gen_export(made_once: Callable[[str, Callable[[Path], object]], Path]) -> Path:
    """A passing export of the tremolo, made once a session; tests work on copies."""

    def save(folder: Path) -> None:
        assert save_non_realtime_model(Tremolo(), folder / "tremolo", quiet=True).passed

    return made_once("gen-passing-export", save) / "tremolo"


@pytest.fixture
def previous_gen(passing_gen_export: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tremolo"
    shutil.copytree(passing_gen_export, root)
    return root


def test_a_failing_gen_export_keeps_the_passing_one(previous_gen: Path, snapshot) -> None:
    before = snapshot(previous_gen)
    with pytest.raises(ExportFailedError) as caught:
        save_non_realtime_model(Tremolo("leak"), previous_gen, quiet=True)
    message = str(caught.value)
    assert message.startswith(
        "save_non_realtime_model: 3 check(s) failed (determinism, reset, round_trip)"
    )
    assert "keeps its passing export" in message and "\n" not in message
    failed = previous_gen.with_name("tremolo.failed")
    assert json.loads((failed / "report.json").read_text())["passed"] is False
    load_neutone_model(failed / "model.nm", strict=False)  # a whole attempt
    shutil.rmtree(failed)
    assert snapshot(previous_gen) == before


def test_a_passing_export_removes_the_failed_attempt_beside_it(previous_gen: Path) -> None:
    with pytest.raises(ExportFailedError):
        save_non_realtime_model(Tremolo("leak"), previous_gen, quiet=True)
    failed = previous_gen.with_name("tremolo.failed")
    assert failed.is_dir()
    assert save_non_realtime_model(Tremolo(), previous_gen, quiet=True).passed
    assert not failed.exists()


def test_a_failing_gen_export_replaces_a_passing_one_only_when_asked(previous_gen: Path) -> None:
    report = save_non_realtime_model(
        Tremolo("leak"), previous_gen, overwrite_passing=True, quiet=True
    )
    assert not report.passed
    assert json.loads((previous_gen / "report.json").read_text())["passed"] is False
    assert sorted(p.name for p in previous_gen.parent.iterdir()) == ["tremolo"]


def test_a_full_disk_during_a_gen_export_keeps_the_previous_one(
    previous_gen: Path, monkeypatch: pytest.MonkeyPatch, snapshot
) -> None:
    before = snapshot(previous_gen)

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(staged_export, "write_file", full)
    with pytest.raises(ExportWriteError, match="the disk is full") as caught:
        save_non_realtime_model(Tremolo(), previous_gen, quiet=True)
    assert str(caught.value).startswith("save_non_realtime_model: writing the export of")
    assert snapshot(previous_gen) == before


def test_a_gen_export_into_a_file_or_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.nm"
    path.write_bytes(b"precious")
    with pytest.raises(ExportError, match=f"save_non_realtime_model: root_dir {path} is a file"):
        save_non_realtime_model(Tremolo(), path, quiet=True)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="holds files that are not part of an export"):
        save_non_realtime_model(Tremolo(), tmp_path, quiet=True)
    assert path.read_bytes() == b"precious"


def test_a_quality_finding_warns_and_a_strict_submission_refuses_it(tmp_path: Path) -> None:
    with pytest.warns(QualityWarning, match="reset failed .*; fix: clear every buffer"):
        report = save_neutone_model(Tremolo("leak"), tmp_path / "a", submission=True, quiet=True)
    assert [c.name for c in report.failures] == ["determinism", "reset", "round_trip"]
    assert json.loads((tmp_path / "a" / "report.json").read_text())["passed"] is False
    with pytest.raises(SubmissionError, match="submission refused: 3 check"):
        save_non_realtime_model(
            Tremolo("leak"), tmp_path / "b", submission=True, strict=True, quiet=True
        )
    assert json.loads((tmp_path / "b" / "report.json").read_text())["passed"] is False


def test_submission_refuses_what_would_break_the_plugin(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match=r"submission refused: 1 check.*finite"):
        save_neutone_model(Tremolo("nan"), tmp_path / "out", submission=True, quiet=True)
    assert json.loads((tmp_path / "out" / "report.json").read_text())["passed"] is False


def test_save_neutone_model_tells_a_gen_model_what_its_keywords_do(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trace=True, input_samples apply to realtime models"):
        save_neutone_model(
            Tremolo(), tmp_path / "a", trace=True, input_samples=[torch.zeros(1, 10)], quiet=True
        )
    assert not (tmp_path / "a").exists()
    with pytest.warns(PortingWarning, match="dump_samples, speed_benchmark change nothing"):
        report = save_neutone_model(
            Tremolo(), tmp_path / "b", dump_samples=True, speed_benchmark=True, quiet=True
        )
    assert report.passed
