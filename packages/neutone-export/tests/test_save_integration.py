"""What save_neutone_model gathers from its helpers: model errors that name the fix, frozen files
the plugin loads, the trace proof in the report, Gen models, and the Neutone SDK's keywords."""

import io
import json
from types import SimpleNamespace
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_export import save_neutone_model, script_neutone_model
from neutone_export.files.load import plugin_load_problems
from neutone_export.files.save import QualityWarning
from neutone_export.files.scripting import ModelDefinitionError
from neutone_export.sdk15.audio_sample import AudioSample, AudioSamplePair
from neutone_export.sdk15.compat import SubmissionError
from neutone_export.sdk15.porting_notes import PortingWarning

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def short_input() -> List[Tensor]:
    return [0.5 * torch.sin(torch.linspace(0.0, 300.0, 12000)).reshape(1, -1)]


@pytest.fixture
def odd(models) -> SimpleNamespace:
    """Models that break one rule each, or use something the export must handle."""

    class ReadsUndeclaredKnob(models.Gain):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x * params["threshold"]

    class RatesAsInt(models.Identity):
        def get_native_sample_rates(self) -> List[int]:
            return 48000  # type: ignore[return-value]

    class NoGradForward(models.Identity):
        @torch.no_grad()
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return torch.neg(torch.neg(x))  # a global name: what fails under @torch.no_grad()

    class InnerTanh(models.Gain):
        """Calls its inner model, so the trace fallback has something to trace."""

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x) * (2.0 * params["gain"])

    class SilentNoise(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x + 0.0 * torch.rand_like(x)  # random numbers, inaudible: a note, no fault

    return SimpleNamespace(
        ReadsUndeclaredKnob=ReadsUndeclaredKnob,
        RatesAsInt=RatesAsInt,
        NoGradForward=NoGradForward,
        InnerTanh=InnerTanh,
        SilentNoise=SilentNoise,
    )


def test_undeclared_knob_is_named_with_the_declared_ones(odd) -> None:
    with pytest.raises(ModelDefinitionError) as raised:
        script_neutone_model(odd.ReadsUndeclaredKnob(nn.Identity()))
    message = str(raised.value)
    assert isinstance(raised.value, ValueError) and "\n" not in message
    assert "ReadsUndeclaredKnob.do_forward_pass reads the knob 'threshold'" in message
    assert "declared knobs: ['gain']" in message


def test_int_where_a_list_is_due_names_the_getter_and_the_type(odd) -> None:
    with pytest.raises(
        ModelDefinitionError,
        match=r"^RatesAsInt\.get_native_sample_rates\(\) must return a List\[int\], got int 48000",
    ):
        script_neutone_model(odd.RatesAsInt(nn.Identity()))


def test_no_grad_methods_script_and_compute_the_same(odd) -> None:
    scripted = script_neutone_model(odd.NoGradForward(nn.Identity()))
    scripted.set_daw_sample_rate_and_buffer_size(48000, 256)
    x = torch.randn(2, 256)
    assert torch.equal(scripted.forward(x.clone()), x)


@pytest.mark.parametrize("step", ["freeze", "optimize"])
def test_frozen_and_optimized_files_keep_realtime_and_load_strictly(models, step: str) -> None:
    scripted = script_neutone_model(models.Gain(nn.Identity()), **{step: True})
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    assert loaded.realtime is True
    assert plugin_load_problems(loaded) == []


def test_trace_proof_is_shown_and_kept_in_report_json(odd, tmp_path, capsys) -> None:
    report = save_neutone_model(
        odd.InnerTanh(nn.Tanh()), tmp_path / "traced", trace=True, input_samples=short_input()
    )
    assert report.passed and report.trace is not None
    on_disk = json.loads((tmp_path / "traced" / "report.json").read_text())
    assert on_disk["trace"] == report.trace
    assert on_disk["trace"]["blocks_compared"] > 0
    assert on_disk["trace"]["summary"].startswith("traced self.model")
    assert f"neutone-export: {on_disk['trace']['summary']}" in capsys.readouterr().err


def test_untraced_report_has_no_trace(models, tmp_path) -> None:
    report = save_neutone_model(
        models.Identity(nn.Identity()), tmp_path / "plain", input_samples=short_input(), quiet=True
    )
    assert report.trace is None
    assert "trace" not in json.loads((tmp_path / "plain" / "report.json").read_text())


def test_sdk_keywords_in_the_sdks_order(models, tmp_path) -> None:
    root = tmp_path / "sdk"
    # dump_samples, submission, audio_sample_pairs, max_n_samples, freeze, optimize,
    # speed_benchmark, test_offline_mode
    report = save_neutone_model(
        models.Identity(nn.Identity()),
        root,
        False,
        True,
        None,
        1,
        True,
        False,
        False,
        False,
        quiet=True,
    )
    assert report.passed
    assert not (root / "samples").exists()
    metadata = json.loads((root / "metadata.json").read_text())
    assert len(metadata["sample_sound_files"]) == 1  # max_n_samples=1, still embedded
    assert report["realtime"].skipped and "speed_benchmark=False" in report["realtime"].message
    assert report["streaming"].skipped and "test_offline_mode=False" in report["streaming"].message
    assert not report["determinism"].skipped
    assert report.settings["porting_notes"] == []
    on_disk = json.loads((root / "report.json").read_text())
    assert on_disk["settings"]["porting_notes"] == []


def test_audio_sample_pairs_become_the_demo_inputs(models, tmp_path) -> None:
    clip = AudioSample(0.25 * torch.sin(torch.linspace(0.0, 200.0, 22050)).reshape(1, -1), 44100)
    pairs = [AudioSamplePair(clip, clip)] * 2
    root = tmp_path / "pairs"
    save_neutone_model(models.Identity(nn.Identity()), root, audio_sample_pairs=pairs, quiet=True)
    metadata = json.loads((root / "metadata.json").read_text())
    assert len(metadata["sample_sound_files"]) == 2
    assert sorted(path.name for path in (root / "samples").glob("*.in.wav")) == [
        "input-0.default.in.wav",
        "input-1.default.in.wav",
    ]
    with pytest.raises(ValueError, match="both audio_sample_pairs and input_samples"):
        save_neutone_model(
            models.Identity(nn.Identity()),
            tmp_path / "both",
            audio_sample_pairs=pairs,
            input_samples=short_input(),
        )


@pytest.mark.parametrize("value", [0, 4, 2.0])
def test_max_n_samples_outside_one_to_three_is_refused(models, tmp_path, value) -> None:
    with pytest.raises(ValueError, match=r"save_neutone_model: max_n_samples must be an int in"):
        save_neutone_model(models.Identity(nn.Identity()), tmp_path / "x", max_n_samples=value)


def test_submission_refuses_a_failed_export_after_writing_it(models, tmp_path) -> None:
    root = tmp_path / "nan"
    with pytest.raises(SubmissionError, match=r"submission refused: .*finite") as raised:
        save_neutone_model(
            models.NanAtMaxDrive(nn.Identity()),
            root,
            submission=True,
            input_samples=short_input(),
            quiet=True,
        )
    assert isinstance(raised.value, ValueError)
    assert json.loads((root / "report.json").read_text())["passed"] is False


def test_a_quality_finding_is_a_warning_unless_the_submission_is_strict(models, tmp_path) -> None:
    with pytest.warns(QualityWarning, match=r"reset failed .*; fix: clear every buffer"):
        report = save_neutone_model(
            models.LeakyReset(nn.Identity()),
            tmp_path / "lenient",
            submission=True,
            input_samples=short_input(),
            quiet=True,
        )
    assert [check.name for check in report.failures] == ["reset"]
    assert (tmp_path / "lenient" / "model.nm").is_file()
    with pytest.raises(SubmissionError, match=r"submission refused: 1 check\(s\) failed: reset"):
        save_neutone_model(
            models.LeakyReset(nn.Identity()),
            tmp_path / "strict",
            submission=True,
            input_samples=short_input(),
            quiet=True,
            strict=True,
        )
    assert json.loads((tmp_path / "strict" / "report.json").read_text())["passed"] is False


def test_porting_notes_are_warned_once_and_reported(odd, tmp_path) -> None:
    with pytest.warns(PortingWarning, match="draws random numbers") as caught:
        report = save_neutone_model(
            odd.SilentNoise(nn.Identity()), tmp_path / "p", input_samples=short_input(), quiet=True
        )
    warned = [str(w.message) for w in caught if issubclass(w.category, PortingWarning)]
    assert len(warned) == 1 and report.settings["porting_notes"] == warned
    assert (
        json.loads((tmp_path / "p" / "report.json").read_text())["settings"]["porting_notes"]
        == warned
    )
