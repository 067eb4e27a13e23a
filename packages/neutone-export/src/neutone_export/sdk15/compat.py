"""What `save_neutone_model` needs to run a script written for the Neutone SDK 1.5 unchanged.

The SDK's ``save_neutone_model(model, root_dir, dump_samples, submission, audio_sample_pairs,
max_n_samples, freeze, optimize, speed_benchmark, test_offline_mode)`` keywords map onto ours with
these helpers:

- ``submission=True``: raise `SubmissionError` (`submission_error`) when a check that would break
  in the plugin failed (every failed check with ``strict=True``);
- ``audio_sample_pairs`` / ``max_n_samples``: the pairs' inputs become the demo inputs
  (`demo_inputs_from_pairs`), rendered again by the saved file so the demos are what it plays;
- methods decorated with ``@torch.no_grad()`` (the SDK's RAVE examples): see
  `neutone_export.sdk15.no_grad.unwrap_no_grad_methods`, which scripting calls first.
"""

from typing import List, Sequence

import torch
from torch import Tensor

from neutone_core.resample import resample
from neutone_export.sdk15.audio_sample import AudioSamplePair
from neutone_export.suite.report import CheckResult, ValidationReport

MAX_SAMPLE_PAIRS = 3
"""The most demo pairs a `.nm` embeds (the SDK's `max_n_samples` limit)."""


class SubmissionError(ValueError):
    """``submission=True`` and a check failed; the message names every failed check and why."""

    failed_check = True  # a command line exits 1 (a check failed), not 2 (bad input)

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


def submission_error(
    report: ValidationReport,
    notes: Sequence[str] = (),
    refused: Sequence[CheckResult] | None = None,
) -> SubmissionError:
    """The error ``submission=True`` raises for a failed `report`, with the porting notes.

    `refused` are the failures that refuse the submission (all of the report's when None).
    """
    failed = report.failures if refused is None else refused
    failures = "; ".join(f"{check.name}: {check.message}" for check in failed)
    message = f"submission refused: {len(failed)} check(s) failed: {failures}"
    if notes:
        message += " | porting notes: " + " | ".join(notes)
    return SubmissionError(message, report)


def demo_inputs_from_pairs(
    pairs: Sequence[AudioSamplePair], max_n_samples: int, sample_rate: int
) -> List[Tensor]:
    """The inputs of the first `max_n_samples` pairs, at `sample_rate`, as `(1 or 2, n)` tensors.

    Raises:
        ValueError: `max_n_samples` outside ``1..3`` or an entry that is not an `AudioSamplePair`.
    """
    if isinstance(max_n_samples, bool) or not isinstance(max_n_samples, int):
        raise ValueError(
            f"max_n_samples must be an int in 1..{MAX_SAMPLE_PAIRS}, got {max_n_samples!r}"
        )
    if not 1 <= max_n_samples <= MAX_SAMPLE_PAIRS:
        raise ValueError(f"max_n_samples must be in 1..{MAX_SAMPLE_PAIRS}, got {max_n_samples}")
    inputs = []
    for index, pair in enumerate(list(pairs)[:max_n_samples]):
        if not isinstance(pair, AudioSamplePair):
            raise ValueError(
                f"audio_sample_pairs[{index}] must be an AudioSamplePair(input, output), got "
                f"{type(pair).__name__}"
            )
        sample = pair.input
        audio = sample.audio.to(torch.float32)
        if sample.sr != sample_rate:
            audio = resample(audio, sample.sr, sample_rate)
        inputs.append(audio)
    return inputs
