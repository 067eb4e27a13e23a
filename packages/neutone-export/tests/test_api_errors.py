"""The Python API raises the same one-line teaching errors as the command line: the message says
what to fix first, and TorchScript's own text stays reachable as the chained cause."""

from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model, script_neutone_model
from neutone_export.files.scripting import ScriptingError


class UnannotatedParams(WaveformToWaveformBase):
    """The issue's mistake: `params` without its annotation."""

    def get_model_name(self) -> str:
        return "unannotated"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model whose params argument has no annotation."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "output gain", default_value=0.5)]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params):  # PLANTED: params has no annotation
        return x * params["gain"]


class Annotated(UnannotatedParams):
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * params["gain"]


def test_an_unannotated_params_argument_is_named_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScriptingError) as caught:
        save_neutone_model(UnannotatedParams(torch.nn.Identity()), tmp_path / "out", quiet=True)
    error = caught.value
    message = str(error)
    assert "\n" not in message  # what the CLI prints, as is
    assert message.startswith("TorchScript cannot compile UnannotatedParams.do_forward_pass ")
    assert "argument `params` has no type annotation" in message
    assert (
        "Fix: annotate every argument that is not a Tensor, e.g. `params: Dict[str, Tensor]`"
        in (message)
    )
    assert error.cause == "annotation"
    assert error.__cause__ is not None  # TorchScript's own error, chained
    assert "indexing tensor" in error.torchscript_message
    assert not (tmp_path / "out").exists()


def test_the_annotated_model_scripts() -> None:
    scripted = script_neutone_model(Annotated(torch.nn.Identity()))
    assert isinstance(scripted, torch.jit.ScriptModule)
