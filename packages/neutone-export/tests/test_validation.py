"""The suite passes good models and catches each broken one with the right check and message."""

import json
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import validate_metadata
from neutone_export import (
    CheckResult,
    ValidationReport,
    load_neutone_model,
    script_neutone_model,
    validate_neutone_model,
)

CHECKS = [
    "contract",
    "metadata",
    "shapes",
    "finite",
    "determinism",
    "reset",
    "streaming",
    "delay",
    "delay_breakdown",
    "eager",
    "realtime",
]


def run(model: nn.Module, **options: object) -> ValidationReport:
    """Script `model` and validate it against itself in Python."""
    return validate_neutone_model(script_neutone_model(model), eager_model=model, **options)


def describe(report: ValidationReport) -> str:
    return "\n".join(f"{c.status} {c.name}: {c.message}" for c in report.checks)


@pytest.mark.parametrize("name", ["Identity", "Gain", "FixedLeakyReset"])
def test_good_models_pass_every_check(models, name: str) -> None:
    model = getattr(models, name)(nn.Identity())
    report = run(model)
    assert [c.name for c in report.checks] == CHECKS
    assert report.passed, describe(report)
    assert not any(c.skipped for c in report.checks), describe(report)
    assert report["delay"].figure == 0
    assert report["streaming"].figure <= 1e-5


def test_a_python_model_is_scripted_and_compared_with_itself(models, quick) -> None:
    report = validate_neutone_model(models.Gain(nn.Identity()), **quick)
    assert report.passed, describe(report)
    assert report.source == "Gain"
    assert not report["eager"].skipped


def test_resampled_look_behind_model_passes_with_true_delay(models) -> None:
    model = models.LookBehindNative(nn.Identity())
    scripted = script_neutone_model(model)
    report = validate_neutone_model(scripted, eager_model=model, seconds=0.3)
    assert report.passed, describe(report)
    scripted.set_daw_sample_rate_and_buffer_size(44100, 512)
    reported = scripted.calc_buffering_delay_samples() + scripted.calc_model_delay_samples()
    assert reported > 0  # resampling and blocks of 256 delay the output: the check is not trivial
    expected = f"44100 Hz/512: reported {reported}, measured {reported} "
    assert expected in report["delay"].message


def test_wrong_output_shape_fails_shapes(models, quick) -> None:
    report = run(models.TruncatesLongBlocks(nn.Identity()), **quick)
    shapes = report["shapes"]
    assert not shapes.passed
    assert "2048 samples" in shapes.message
    assert "32 samples" not in shapes.message  # short blocks are fine
    assert shapes.figure == 4  # 2048 samples x {44100, 48000} x {mono, stereo}


def test_nan_output_fails_finite_at_knob_maximum(models, quick) -> None:
    report = run(models.NanAtMaxDrive(nn.Identity()), **quick)
    finite = report["finite"]
    assert not finite.passed
    assert "at knob maximum" in finite.message
    assert "knob minimum" not in finite.message and "knob default" not in finite.message
    assert finite.figure > 0


def test_false_delay_claim_fails_delay(models, quick) -> None:
    report = run(models.FalseDelayClaim(nn.Identity()), **quick)
    delay = report["delay"]
    assert not delay.passed
    assert "reported 100, measured 0" in delay.message
    assert delay.figure == 0
    assert report["streaming"].passed  # streaming and offline agree on the false claim


def test_reset_that_keeps_state_fails_reset(models, quick) -> None:
    report = run(models.LeakyReset(nn.Identity()), **quick)
    reset = report["reset"]
    assert not reset.passed
    assert "reset() leaves state behind" in reset.message
    assert reset.figure > 1e-3
    assert report["determinism"].passed


class Noisy(nn.Module):
    """Adds unseeded noise: not deterministic."""

    def forward(self, x: Tensor) -> Tensor:
        return x + 0.01 * torch.rand_like(x)


def test_unseeded_noise_fails_determinism(models, quick) -> None:
    class NoisyModel(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    report = validate_neutone_model(script_neutone_model(NoisyModel(Noisy())), **quick)
    assert not report["determinism"].passed
    assert "same input, different output" in report["determinism"].message


def test_bad_metadata_in_a_file_fails_metadata(saved_gain, tmp_path) -> None:
    module, metadata = load_neutone_model(saved_gain.path)
    metadata["tags"] = ["a-tag-that-is-far-too-long"]
    metadata["model_name"] = ""
    path = tmp_path / "bad.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": json.dumps(metadata)})
    report = validate_neutone_model(path, seconds=0.1, buffer_sizes=(512,))
    check = report["metadata"]
    assert not check.passed
    assert check.figure == 2
    assert "tags" in check.message and "model_name" in check.message
    assert report.failures == [check]


def test_sdk15_file_is_checked_not_crashed(sdk15_path) -> None:
    report = validate_neutone_model(sdk15_path, seconds=0.25)
    assert [c.name for c in report.checks] == CHECKS
    assert not any(c.message.startswith("raised") for c in report.checks), describe(report)
    assert report["contract"].passed, report["contract"].message
    assert "no optional get_delay_breakdown" in report["contract"].message
    breakdown = report["delay_breakdown"]
    assert breakdown.skipped and "get_delay_breakdown" in breakdown.message
    assert report["eager"].skipped
    for name in ("shapes", "finite", "determinism", "reset", "delay"):
        assert report[name].passed, report[name].message
    assert report["delay"].figure == 0
    # The SDK 1.5 needs one fixed host buffer size: variable sizes return the wrong length.
    streaming = report["streaming"]
    assert not streaming.passed
    assert "forward returned shape (2, " in streaming.message
    # The metadata verdict is neutone-core's validator's verdict on the file's metadata.
    _, metadata = load_neutone_model(sdk15_path)
    try:
        validate_metadata(metadata)
        core_accepts = True
    except ValueError:
        core_accepts = False
    assert report["metadata"].passed == core_accepts


def test_report_is_json_ready(saved_gain) -> None:
    data = json.loads(json.dumps(saved_gain.report.to_dict()))
    assert data["passed"] is True
    assert [c["name"] for c in data["checks"]] == CHECKS
    assert {c["status"] for c in data["checks"]} <= {"pass", "warn"}
    with pytest.raises(KeyError, match="no check named 'nope'"):
        saved_gain.report["nope"]


def test_check_result_status() -> None:
    assert CheckResult("a", True, 1.0, "").status == "pass"
    assert CheckResult("a", False, 1.0, "").status == "fail"
    assert CheckResult("a", True, None, "", skipped=True).status == "skip"
    assert CheckResult("a", True, 0.5, "", warning=True).status == "warn"
    assert CheckResult("a", True, 0.5, "", unit="x realtime").figure_text() == "0.5 x realtime"


def test_validation_restores_thread_count(saved_gain) -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        report = validate_neutone_model(saved_gain.path, seconds=0.1, num_threads=1)
        assert torch.get_num_threads() == 2
        assert report.settings["torch_threads"] == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"seconds": 0.0}, "seconds: must be > 0, got 0.0"),
        ({"sample_rates": [-1]}, "sample_rates: each must be > 0 Hz, got -1"),
        ({"buffer_sizes": []}, "buffer_sizes: a non-empty list of sizes >= 1, got \\[\\]"),
        ({"num_threads": 0}, "num_threads: must be >= 1 or None, got 0"),
    ],
)
def test_bad_options_raise_value_error(saved_gain, options: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        validate_neutone_model(saved_gain.path, **options)


def test_progress_callback_sees_every_check(saved_gain) -> None:
    seen: List[str] = []
    validate_neutone_model(saved_gain.path, seconds=0.1, on_check=lambda c: seen.append(c.name))
    assert seen == CHECKS
