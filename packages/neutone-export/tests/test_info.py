"""`model_info` shows every field of a `.nm` file: what the metadata says, the delay the module
reports at common host settings, and the verdict of the report.json beside it."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from neutone_core import CategoricalNeutoneParameter
from neutone_export import NotANeutoneModelError, script_neutone_model
from neutone_export.audio.host import configure, reported_delay
from neutone_export.files.info import COMMON_SETTINGS, REPORT_FILE, model_info

FIELDS = [
    "name",
    "version",
    "authors",
    "description",
    "long description",
    "channels",
    "native sample rates",
    "native buffer sizes",
    "file size",
    "made by",
    "created",
    "last validation",
]


def save_scripted(model: nn.Module, path: Path) -> Path:
    """A `.nm` without the validation run: the scripted adapter and its metadata."""
    module = script_neutone_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


def assert_every_field_shown(rows) -> None:
    shown = dict(rows)
    for name in FIELDS:
        assert shown.get(name), f"{name} missing or empty in {rows}"
    delays = [name for name, _ in rows if name.startswith("delay at ")]
    assert len(delays) == len(COMMON_SETTINGS)
    assert any(name.startswith("knob p") for name, _ in rows) or shown.get("knobs") == "none"


def test_a_saved_model_shows_every_field_and_its_validation(saved_gain) -> None:
    info = model_info(saved_gain.path)
    assert (info.name, info.version, info.authors) == ("export.test", "1.0.0", ["neutone tests"])
    assert info.description == "A model made by the export tests."
    assert info.channel_layout == "stereo-stereo"
    assert info.file_bytes == saved_gain.path.stat().st_size
    assert [(k.name, k.kind, k.default, k.minimum, k.maximum) for k in info.knobs] == [
        ("gain", "continuous", 0.5, 0.0, 1.0)
    ]
    assert info.native_sample_rates == [] and info.native_buffer_sizes == []
    assert info.sdk_version and info.pytorch_version.startswith(torch.__version__.split("+")[0])
    assert info.validation is not None and info.validation["passed"] is True
    assert info.validation["counts"].get("fail", 0) == 0
    rows = info.rows()
    assert_every_field_shown(rows)
    assert dict(rows)["knob p1"].startswith("gain: continuous 0..1, default 0.5")
    assert dict(rows)["last validation"].startswith("passed (")
    json.dumps(info.to_dict(), allow_nan=False)  # ready for --json


def test_delays_are_what_the_module_reports_at_each_setting(models, tmp_path: Path) -> None:
    path = save_scripted(models.LookBehindNative(nn.Identity()), tmp_path / "m.nm")
    info = model_info(path)
    assert info.channel_layout == "mono-mono"
    assert (info.native_sample_rates, info.native_buffer_sizes) == ([32000], [256])
    module = torch.jit.load(str(path))
    for delay in info.delays:
        configure(module, delay.sample_rate, delay.buffer_size)
        assert delay.samples == reported_delay(module) == delay.parts["total"] > 0
        assert delay.milliseconds == pytest.approx(1e3 * delay.samples / delay.sample_rate)
    assert info.validation is None
    assert dict(info.rows())["last validation"] == f"none (no {REPORT_FILE} beside the file)"


def test_a_failed_or_foreign_report_is_summarised_or_ignored(saved_gain, tmp_path) -> None:
    path = tmp_path / "model.nm"
    path.write_bytes(saved_gain.path.read_bytes())
    report = json.loads((saved_gain.root / REPORT_FILE).read_text())
    report["checks"][0]["status"], report["passed"] = "fail", False
    (tmp_path / REPORT_FILE).write_text(json.dumps(report))
    info = model_info(path)
    name = report["checks"][0]["name"]
    assert info.validation["failed"] == [name]
    assert dict(info.rows())["last validation"].startswith(f"FAILED: {name} (")
    (tmp_path / REPORT_FILE).write_text("{not json")
    assert model_info(path).validation is None


def test_a_categorical_knob_shows_its_labels(models, tmp_path: Path) -> None:
    class Modes(models.Identity):
        def get_neutone_parameters(self):
            return [
                CategoricalNeutoneParameter("mode", "clip shape", 3, 2, ["hard", "soft", "fold"])
            ]

    info = model_info(save_scripted(Modes(nn.Identity()), tmp_path / "m.nm"))
    (knob,) = info.knobs
    assert (knob.kind, knob.labels, knob.default) == ("categorical", ["hard", "soft", "fold"], 1.0)
    assert (
        dict(info.rows())["knob p1"]
        == "mode: categorical hard | soft | fold, default fold - clip shape"
    )


def test_not_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "x.nm"
    bad.write_bytes(b"not a zip")
    with pytest.raises(NotANeutoneModelError):
        model_info(bad)
