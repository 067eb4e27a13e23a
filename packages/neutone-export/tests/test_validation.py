"""The suite passes good models and catches each broken one with the right check and message."""

import json
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import RealtimeAdapter
from neutone_export import (
    CheckResult,
    NotANeutoneModelError,
    ValidationReport,
    load_neutone_model,
    script_neutone_model,
    validate_neutone_model,
)
from neutone_export.suite.context import CheckContext
from neutone_export.suite.contract import check_plugin_load

CHECKS = [
    "origin",
    "plugin_load",
    "contract",
    "metadata",
    "consistency",
    "shapes",
    "finite",
    "dc",
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
        ({"seconds": 0.0}, "seconds must be a number of seconds in \\(0, 3600.0\\], got 0.0"),
        ({"seconds": float("nan")}, "seconds must be a number of seconds .*, got nan"),
        ({"seconds": float("inf")}, "seconds must be a number of seconds .*, got inf"),
        ({"sample_rates": [-1]}, "sample_rates must be in \\[1000, 384000\\], got -1"),
        ({"sample_rates": [10**9]}, "sample_rates must be in \\[1000, 384000\\], got 1000000000"),
        ({"buffer_sizes": []}, "buffer_sizes must be a non-empty list of sizes, got \\[\\]"),
        ({"buffer_sizes": [0]}, "buffer_sizes must be in \\[1, 65536\\], got 0"),
        ({"num_threads": 0}, "num_threads must be >= 1 or None, got 0"),
    ],
)
def test_bad_options_raise_value_error(saved_gain, options: dict, match: str) -> None:
    with pytest.raises(ValueError, match="^validate_neutone_model: " + match) as caught:
        validate_neutone_model(saved_gain.path, **options)
    assert "\n" not in str(caught.value)


def test_progress_callback_sees_every_check(saved_gain) -> None:
    seen: List[str] = []
    validate_neutone_model(saved_gain.path, seconds=0.1, on_check=lambda c: seen.append(c.name))
    assert seen == CHECKS


class ConstantOutput(nn.Module):
    """Outputs one constant everywhere (NaN or infinity): a model broken at every setting."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        return torch.full_like(x, self.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_output_fails_every_check_that_compares_audio(
    models, quick, value: float
) -> None:
    class Broken(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    model = Broken(ConstantOutput(value))
    report = run(model, **quick)
    for name in ("finite", "determinism", "reset", "streaming", "delay", "eager"):
        check = report[name]
        assert not check.passed, f"{name} passed a {value} output: {check.message}"
        assert "NaN/Inf" in check.message, check.message
    assert "knobs" in report["determinism"].message  # names the knob setting
    data = json.loads(report.to_json())  # strict JSON: NaN/Infinity tokens would not parse here
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name["determinism"]["figure"] is None
    assert by_name["determinism"]["figure_non_finite"] is True
    assert by_name["contract"]["figure_non_finite"] is False


def test_a_non_finite_figure_never_passes() -> None:
    result = CheckResult("x", True, float("nan"), "fine")
    assert not result.figure_is_finite
    report = ValidationReport("src", [result], settings={"seconds": float("inf")})
    data = json.loads(report.to_json())
    assert data["checks"][0]["figure"] is None and data["settings"]["seconds"] is None
    assert "NaN" not in report.to_json() and "Infinity" not in report.to_json()


def test_metadata_that_contradicts_the_module_fails_consistency(saved_gain, tmp_path) -> None:
    module, metadata = load_neutone_model(saved_gain.path)
    metadata.update(
        is_input_mono=True,
        native_sample_rates=[44100],
        look_ahead_samples=999,
    )
    metadata["neutone_parameters"]["p1"]["default_value"] = 0.9
    path = tmp_path / "liar.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": json.dumps(metadata)})
    report = validate_neutone_model(path, seconds=0.1, buffer_sizes=(512,))
    consistency = report["consistency"]
    assert not consistency.passed
    assert consistency.figure == 4
    for phrase in (
        "is_input_mono = True but is_input_mono() = False",
        "native_sample_rates = [44100] but get_native_sample_rates() = []",
        "look_ahead_samples = 999 but get_look_ahead_samples() = 0",
        "p1 default",
    ):
        assert phrase in consistency.message, consistency.message
    assert report["consistency"].passed is False and "\n" not in consistency.message


def test_our_files_agree_with_their_metadata(saved_gain) -> None:
    consistency = saved_gain.report["consistency"]
    assert consistency.passed and not consistency.skipped, consistency.message
    assert saved_gain.report["plugin_load"].passed
    assert "written by neutone" in saved_gain.report["origin"].message


class WithoutRealtime(RealtimeAdapter):
    """The adapter without its `realtime` attribute, as our files were before it was added."""

    def __init__(self, wrapper: nn.Module) -> None:
        super().__init__(wrapper)
        del self.realtime


def file_without(name: str, model: nn.Module, path: Path) -> Path:
    """Save `model` scripted without the attribute or method `name`, with valid metadata.

    Freezing keeps only the methods it is asked to preserve, so it can drop one method.
    """
    if name == "realtime":
        module = torch.jit.script(WithoutRealtime(model))
    else:
        module = torch.jit.script(RealtimeAdapter(model))
        keep = [n for n in module.get_preserved_attributes() if n != name] + ["realtime"]
        module.stop_caching_views()
        module = torch.jit.freeze(module.eval(), preserved_attrs=keep)
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


@pytest.mark.parametrize("name", ["realtime", "get_wet_default_value"])
def test_a_missing_preserved_name_fails_plugin_load_by_name(models, tmp_path, name: str) -> None:
    path = file_without(name, models.Identity(nn.Identity()), tmp_path / "incomplete.nm")
    with pytest.raises(NotANeutoneModelError, match=f"plugin would refuse this file: .*{name}"):
        load_neutone_model(path)
    module, metadata = load_neutone_model(path, strict=False)  # loads for inspection
    plugin_load = check_plugin_load(CheckContext(module=module, metadata=metadata))
    assert not plugin_load.passed
    assert plugin_load.message.startswith("the Neutone plugin's loader would refuse it")
    assert name in plugin_load.message and "\n" not in plugin_load.message
