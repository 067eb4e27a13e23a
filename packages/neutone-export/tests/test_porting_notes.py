"""`porting_notes`: every way a model ported from the Neutone SDK 1.5 sounds different here."""

import warnings
from typing import Dict, List

import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_core.stateful import StatefulModule
from neutone_export.sdk15.porting_notes import PortingWarning, porting_notes, warn_porting_notes


class NoteCarrier(nn.Module):
    """A processor built through the SDK's API: neutone-filters gives it a porting note."""

    def __init__(self, delay: int) -> None:
        super().__init__()
        self.porting_note = "differs from the SDK"
        self.delay = delay

    def get_delay_samples(self) -> int:
        return self.delay

    def reset(self) -> None:
        pass


class Native(WaveformToWaveformBase):
    """A model written for neutone: its knob range is meant."""

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "gain", 0.5, min_value=0.0, max_value=4.0)]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * params["gain"]


class Ported(Native):
    """Written for the SDK: a pre-filter whose delay it reports and resets, sample-level knobs."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.pre_filter = NoteCarrier(delay=128)

    def calc_model_delay_samples(self) -> int:
        return self.pre_filter.delay

    def reset_model(self) -> bool:
        self.pre_filter.reset()
        return True

    def aggregate_params(self, params: Tensor) -> Tensor:
        return params


class Forgetful(WaveformToWaveformBase):
    """The SDK examples' faults: an unreported, never-reset filter, old hook names, noise."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.pre_filter = NoteCarrier(delay=128)

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return []

    def calc_min_delay_samples(self) -> int:
        return 128

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x + torch.randn_like(x)


def test_a_native_model_gets_no_notes() -> None:
    assert porting_notes(Native(nn.Identity())) == []


def test_the_knob_range_is_noted_once_the_model_looks_ported() -> None:
    (knob_note,) = porting_notes(Native(nn.Identity()), reference_call=True)
    assert "knob 'gain' declares min_value=0, max_value=4" in knob_note
    assert "ignored them on the realtime path" in knob_note


def test_a_ported_model_gets_its_processors_notes_and_knob_range() -> None:
    notes = porting_notes(Ported(nn.Identity()))
    assert notes[0] == "pre_filter: differs from the SDK"
    assert any("knob 'gain'" in note for note in notes)
    assert len(notes) == 2  # delay reported and state reset: nothing more to say


def test_the_example_faults_are_each_named() -> None:
    notes = "\n".join(porting_notes(Forgetful(nn.Identity())))
    assert "calc_min_delay_samples() is defined, but neither" in notes
    assert "pre_filter delays its output by 128 samples but" in notes
    assert "returns 0" in notes
    assert "does not override reset_model()" in notes
    assert "draws random numbers (randn_like)" in notes


def test_warn_issues_each_note_once() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes = warn_porting_notes(Forgetful(nn.Identity()))
    porting = [str(w.message) for w in caught if issubclass(w.category, PortingWarning)]
    assert porting == notes and len(notes) == 5


class StatefulNoteCarrier(StatefulModule, NoteCarrier):
    """The same processor declared stateful: the adapter's reset() resets it."""


class ForgetfulWithStatefulFilter(Forgetful):
    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.pre_filter = StatefulNoteCarrier(delay=128)


def test_a_stateful_module_needs_no_reset_model() -> None:
    notes = "\n".join(porting_notes(ForgetfulWithStatefulFilter(nn.Identity())))
    assert "pre_filter: differs from the SDK" in notes
    assert "pre_filter delays its output by 128 samples" in notes
    assert "does not override reset_model()" not in notes
