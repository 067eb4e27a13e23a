"""`sdk_compat` and `no_grad`: the helpers `save_neutone_model` uses for SDK scripts."""

from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_export.sdk15.audio_sample import AudioSample, AudioSamplePair
from neutone_export.sdk15.compat import SubmissionError, demo_inputs_from_pairs, submission_error
from neutone_export.sdk15.no_grad import unwrap_no_grad_methods
from neutone_export.suite.report import CheckResult, ValidationReport


class NoGrad(WaveformToWaveformBase):
    """The SDK's RAVE examples decorate do_forward_pass with @torch.no_grad()."""

    @torch.no_grad()
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return torch.neg(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.do_forward_pass(x, {})

    def get_neutone_parameters(self) -> List:
        return []


def test_unwrapped_methods_script_and_keep_their_behaviour() -> None:
    model = NoGrad(nn.Identity())
    assert unwrap_no_grad_methods(model) == ["do_forward_pass"]
    assert type(model).__name__ == "NoGrad" and isinstance(model, NoGrad)
    assert "__wrapped__" in vars(NoGrad)["do_forward_pass"].__dict__  # the class is untouched
    x = torch.randn(1, 8)
    torch.testing.assert_close(torch.jit.script(model)(x), -x)
    assert unwrap_no_grad_methods(model) == []


def test_submission_error_names_each_failed_check_and_the_notes() -> None:
    report = ValidationReport(
        "model",
        [
            CheckResult("delay", False, 3.0, "reported 0, measured 128"),
            CheckResult("shapes", True, 0.0, "ok"),
        ],
    )
    error = submission_error(report, ["pre_filter delays its output by 128 samples"])
    assert isinstance(error, SubmissionError) and isinstance(error, ValueError)
    assert "1 check(s) failed: delay: reported 0, measured 128" in str(error)
    assert "pre_filter delays its output" in str(error) and error.report is report


def test_demo_inputs_come_from_the_pairs_at_the_samples_rate() -> None:
    pair = AudioSamplePair(
        AudioSample(torch.zeros(1, 44100), 44100), AudioSample(torch.zeros(1, 44100), 44100)
    )
    inputs = demo_inputs_from_pairs([pair, pair, pair, pair], 2, 48000)
    assert [tuple(x.shape) for x in inputs] == [(1, 48000), (1, 48000)]
    with pytest.raises(ValueError, match=r"max_n_samples must be in 1\.\.3"):
        demo_inputs_from_pairs([pair], 4, 48000)
    with pytest.raises(ValueError, match=r"audio_sample_pairs\[0\] must be an AudioSamplePair"):
        demo_inputs_from_pairs([pair.input], 1, 48000)
