"""The dc check: a realtime model whose output carries a DC offset gets a quality finding (a
warning with its fix; refused only with strict), and an honest model passes."""

import math
from typing import Dict

import pytest
import torch
from torch import Tensor, nn

from neutone_export import script_neutone_model, validate_neutone_model
from neutone_export.suite.context import CheckContext
from neutone_export.suite.realtime import DC_FIX, REALTIME_CHECKS
from neutone_export.suite.runner import blocking_failures, quality_findings
from neutone_export.suite.signal import DC_LEVEL, check_dc


class Offset(nn.Module):
    """Adds a constant: the output's DC offset is `level` at silence and at a sine."""

    def __init__(self, level: float) -> None:
        super().__init__()
        self.level = level

    def forward(self, x: Tensor) -> Tensor:
        return x + self.level


class Rectify(nn.Module):
    """Half-wave rectifies: silence stays 0, a sine gets a mean of its amplitude / pi."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x)


def dc_result(models, inner: nn.Module):
    class Model(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    return check_dc(CheckContext(script_neutone_model(Model(inner)), seconds=0.25))


def test_the_issue_offset_is_found_at_silence_and_at_the_sine(models) -> None:
    result = dc_result(models, Offset(0.73))
    assert not result.passed
    assert result.figure == pytest.approx(0.73, abs=1e-6)
    assert "0.73 at silence" in result.message and "0.73 at a 1 kHz sine" in result.message


def test_an_offset_just_above_the_level_fails_and_just_below_passes(models) -> None:
    assert not dc_result(models, Offset(2 * DC_LEVEL)).passed
    assert dc_result(models, Offset(DC_LEVEL / 2)).passed


def test_a_rectifier_is_silent_at_silence_but_offset_at_a_sine(models) -> None:
    result = dc_result(models, Rectify())
    assert not result.passed
    assert "0 at silence" in result.message
    # the mean of 0.5 relu(sin(2 pi n / 48)) over whole periods: 0.5 cot(pi / 48) / 48
    assert result.figure == pytest.approx(0.5 / math.tan(math.pi / 48) / 48, rel=1e-6)


def test_an_honest_model_passes(models) -> None:
    result = dc_result(models, nn.Identity())
    assert result.passed and result.figure < 1e-6, result.message


def test_dc_is_a_quality_finding_that_warns_unless_strict(models) -> None:
    check = next(c for c in REALTIME_CHECKS if c.name == "dc")
    assert not check.blocks_submission and check.blocks_strict and check.fix == DC_FIX

    class Model(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    model = Model(Offset(0.73))
    report = validate_neutone_model(script_neutone_model(model), seconds=0.25)
    assert [c.name for c in quality_findings(report.checks, REALTIME_CHECKS)] == ["dc"]
    assert blocking_failures(report.checks, REALTIME_CHECKS) == []  # a warning: it plays
    assert [c.name for c in blocking_failures(report.checks, REALTIME_CHECKS, strict=True)] == [
        "dc"
    ]
