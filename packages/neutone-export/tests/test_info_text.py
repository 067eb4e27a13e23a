"""`info`'s text reads as a person writes it: knob defaults without exponents, and "made by" naming
the tool that wrote the file with its real version."""

from pathlib import Path

import torch
from torch import nn

import neutone_core
from neutone_core import ContinuousNeutoneParameter
from neutone_export import script_neutone_model
from neutone_export.files.info import MADE_BY_NEUTONE, model_info, readable


def save_scripted(model: nn.Module, path: Path) -> Path:
    """A `.nm` without the validation run: the scripted adapter and its metadata."""
    module = script_neutone_model(model)
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


def test_a_cutoff_default_reads_as_a_number_and_the_maker_as_neutone(models, tmp_path) -> None:
    class Cutoff(models.Identity):
        def get_neutone_parameters(self):
            return [ContinuousNeutoneParameter("cutoff", "low-pass", 20000.0, 20.0, 20000.0)]

    rows = dict(model_info(save_scripted(Cutoff(nn.Identity()), tmp_path / "m.nm")).rows())
    assert rows["knob p1"] == "cutoff: continuous 20..20000, default 20000 - low-pass"
    made_by = rows["made by"]
    assert made_by.startswith(f"{MADE_BY_NEUTONE} {neutone_core.__version__}, torch ")
    assert "SDK" not in made_by


def test_readable_numbers() -> None:
    assert readable(20000.0) == "20000"
    assert readable(0.25) == "0.25"
    assert readable(123456.0) == "123456"
    assert readable(2.5e6) == "2.5e+06"
    assert readable(-440.0) == "-440"
    assert readable(float("nan")) == "nan"
