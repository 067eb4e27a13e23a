"""Non-realtime ("Gen") files between us and the reference Neutone SDK 1.5.2, both ways.

The reference judges in a process of its own each time (`compat/reference_judge.py` for our files):
its `validate_metadata` mutates a global schema (a realtime validation earlier in the same process
would make it demand realtime keys of a non-realtime file), so an in-process verdict would depend
on test order.
"""

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Protocol

import torch

from neutone_core import validate_metadata
from neutone_export import load_neutone_model
from neutone_export.suite.validate import validate_non_realtime_model


class ReferencePython(Protocol):
    """The `reference_python` fixture: `python ARGV` in a process of the reference's own."""

    def run(self, argv: List[str]) -> subprocess.CompletedProcess: ...


REFERENCE_VALIDATES = """
import json, sys
from neutone_sdk.metadata import validate_metadata
metadata = json.load(open(sys.argv[1]))
try:
    validate_metadata(metadata, False)
    print("accepted")
except Exception as error:  # jsonschema.ValidationError
    print("refused:", str(error).splitlines()[0])
"""

REFERENCE_MAKES_GEN = """
import sys, warnings
from pathlib import Path
from typing import Dict, List
warnings.filterwarnings("ignore", category=FutureWarning)
import torch
from torch import Tensor, nn
from neutone_sdk import ContinuousNeutoneParameter
from neutone_sdk.non_realtime_wrapper import NonRealtimeBase
from neutone_sdk.utils import save_neutone_model


class Halver(NonRealtimeBase):
    def get_model_name(self) -> str:
        return "reference.halver"

    def get_model_authors(self) -> List[str]:
        return ["compat"]

    def get_model_short_description(self) -> str:
        return "Scales a stereo clip."

    def get_model_long_description(self) -> str:
        return "Scales a stereo clip by a knob."

    def get_technical_description(self) -> str:
        return "Gain."

    def get_tags(self) -> List[str]:
        return ["gain"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return False

    def get_neutone_parameters(self):
        return [ContinuousNeutoneParameter("gain", "output gain", 1.0, 0.0, 2.0)]

    @torch.jit.export
    def get_audio_in_channels(self) -> List[int]:
        return [2]

    @torch.jit.export
    def get_audio_out_channels(self) -> List[int]:
        return [2]

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return [2048]

    @torch.jit.export
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
        return [audio_in[0] * numerical_params["gain"]]


save_neutone_model(
    Halver(nn.Identity()), Path(sys.argv[1]), speed_benchmark=False, test_offline_mode=False
)
"""


def _python(python: ReferencePython, tmp_path: Path, name: str, source: str, *args: str) -> str:
    """Run `source` as a script of the reference, in a process of its own: its last line of
    output ("" for none)."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    result = python.run([str(script), *args])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def test_reference_loads_and_runs_our_gen_file_with_continuous_knobs(
    ours: Dict[str, Path], reference_verdicts: Dict[str, Dict[str, Any]]
) -> None:
    verdict = reference_verdicts["sidechain_ducker"]  # loaded in a process of its own
    assert verdict["realtime"] is False
    assert verdict["loaded"], verdict["refusal"]
    assert verdict["problems"] == []
    # Run by the reference at a 44.1 kHz host: our file returns 44.1 kHz audio of the clip's length.
    assert verdict["shapes"] == [[2, 44100]]
    metadata = json.loads((ours["sidechain_ducker"].parent / "metadata.json").read_text())
    assert metadata["audio_in_labels"] == ["main", "sidechain"]


def test_text_prompt_metadata_refused_by_the_reference_is_valid_here(
    ours: Dict[str, Path], reference_python: ReferencePython, tmp_path: Path
) -> None:
    path = ours["drum_hit"].parent / "metadata.json"
    validate_metadata(json.loads(path.read_text()), realtime=False)
    verdict = _python(reference_python, tmp_path, "schema.py", REFERENCE_VALIDATES, str(path))
    # The reference's schema allows only continuous parameters, so its own Gen models with a
    # text prompt fail it; ours validates them.
    assert verdict.startswith("refused:") and "continuous" in verdict


def test_reference_made_gen_file_loads_and_is_checked_here(
    reference_python: ReferencePython, tmp_path: Path
) -> None:
    _python(reference_python, tmp_path, "make.py", REFERENCE_MAKES_GEN, str(tmp_path / "reference"))
    module, metadata = load_neutone_model(tmp_path / "reference" / "model.nm")
    assert module.realtime is False
    validate_metadata(metadata, realtime=False)
    report = validate_non_realtime_model(tmp_path / "reference" / "model.nm")
    for name in ("contract", "metadata", "finite", "determinism", "reset", "cancel"):
        assert report[name].passed, f"{name}: {report[name].message}"
    # Where the reference is wrong, the checks say how. It leaves its outputs at the model's rate
    # (a 44.1 kHz host gets 48 kHz audio), and its progress stops one block short of 100.
    assert [c.name for c in report.failures] == ["outputs", "progress", "round_trip"]
    assert "outputs must come back at the host rate" in report["outputs"].message
    assert "not 100" in report["progress"].message
    # At its native rate it runs here as there: the default gain, 1.0 of [0, 2].
    module.set_daw_sample_rate_and_buffer_size(48000, 2048, None, None)
    x = torch.randn(2, 4096)
    (y,) = module.forward_non_realtime([x], None, None, None)
    torch.testing.assert_close(y, x)
