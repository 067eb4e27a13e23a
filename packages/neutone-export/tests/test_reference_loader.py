"""Honesty about the Neutone SDK 1.5.2 loader: it accepts only continuous knobs. `check` names a
knob it refuses; `reference_loader_knobs=True` writes a categorical knob in a form it loads."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import CategoricalNeutoneParameter, NeutoneParameter
from neutone_export import load_neutone_model, save_neutone_model, validate_neutone_model
from neutone_export.audio.knobs import knobs_of
from neutone_export.files.save import QualityWarning

ONLY_CONTINUOUS = "the Neutone SDK 1.5.2 loader accepts only continuous knobs"
# The reference's validate_metadata edits a module-level schema, so each load gets its own process.
REFERENCE_LOAD = (
    "import sys\n"
    "from neutone_sdk.utils import load_neutone_model\n"
    "model, metadata = load_neutone_model(sys.argv[1])\n"
    "print(metadata['neutone_parameters']['p1']['type'])\n"
)


def reference_load(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", REFERENCE_LOAD, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def Switch(models):  # noqa: N802  # a model class
    class Switch(models.Identity):
        """Polarity switch: a categorical knob with two labels, default 'inverted'."""

        def get_neutone_parameters(self) -> List[NeutoneParameter]:
            return [CategoricalNeutoneParameter("mode", "polarity", 2, 1, ["plain", "inverted"])]

        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x * (1.0 - 2.0 * params["mode"])

    return Switch


@pytest.fixture(scope="module")
def saved(Switch, made_once, short_demo) -> Dict[str, Path]:  # noqa: N803
    """The switch saved plainly and for the reference loader, once a session."""

    def save(root: Path) -> None:
        match = f"knob p1 'mode' is categorical: {ONLY_CONTINUOUS}"
        with pytest.warns(QualityWarning, match=match):
            save_neutone_model(
                Switch(nn.Identity()), root / "plain", input_samples=short_demo, quiet=True
            )
        save_neutone_model(
            Switch(nn.Identity()),
            root / "opt-in",
            input_samples=short_demo,
            reference_loader_knobs=True,
            quiet=True,
        )

    root = made_once("reference-loader-switch", save)
    return {"plain": root / "plain" / "model.nm", "opt-in": root / "opt-in" / "model.nm"}


def test_check_names_the_knob_the_reference_loader_refuses(saved) -> None:
    result = validate_neutone_model(saved["plain"], seconds=0.1, buffer_sizes=(512,))["plugin_load"]
    assert result.passed and result.status == "warn"
    assert result.message == (
        f"knob p1 'mode' is categorical: {ONLY_CONTINUOUS} (save with reference_loader_knobs=True "
        "to write it as one that loader accepts)"
    )


def test_the_reference_loader_refuses_the_plain_file_and_loads_the_opt_in(saved) -> None:
    refused = reference_load(saved["plain"])
    assert (
        refused.returncode != 0 and "'categorical' is not one of ['continuous']" in refused.stderr
    )
    loaded = reference_load(saved["opt-in"])
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split()[-1] == "continuous"


def test_neutone_reads_the_opt_in_knob_back_as_categorical(saved) -> None:
    module, metadata = load_neutone_model(saved["opt-in"])
    knob = metadata["neutone_parameters"]["p1"]
    assert (knob["type"], knob["default_value"], knob["labels"]) == (
        "categorical",
        1,
        ["plain", "inverted"],
    )
    (mode,) = knobs_of(module, metadata)
    assert [mode.describe(position) for position in (0.0, 0.4, 0.6, 1.0)] == [
        "plain",
        "plain",
        "inverted",
        "inverted",
    ]
    inside = json.loads(module.get_metadata_json())["neutone_parameters"]["p1"]
    assert inside["type"] == "categorical"  # the module itself is unchanged
    report = validate_neutone_model(saved["opt-in"], seconds=0.1, buffer_sizes=(512,))
    assert report.passed and report["plugin_load"].status == "pass", report["plugin_load"].message
    x = torch.ones(2, 512)
    module.set_daw_sample_rate_and_buffer_size(48000, 512)
    assert torch.equal(module.forward(x, None), -x)  # default 'inverted'
