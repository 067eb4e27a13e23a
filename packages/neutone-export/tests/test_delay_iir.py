"""The delay check understands minimum-phase (IIR) models and still catches a pure delay error.

The model from issue 30 (a 16-unit GRU and a state-variable low-pass tone knob, stereo, 48 kHz,
native buffer 256) passes the full export at any tone setting; a model built from each filter
family of neutone_filters passes when it reports what its docs say; one sample of pure delay
error fails with a Fix line naming the number to report.
"""

import math
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import save_neutone_model, script_neutone_model
from neutone_export.audio.measure import pure_delay
from neutone_export.audio.samples import demo_input
from neutone_export.suite.context import CheckContext
from neutone_export.suite.delay import check_delay
from neutone_filters import (
    FIRFilter,
    RealtimeSTFT,
    SOSFilter,
    StateVariableFilter,
    butterworth,
    cookbook_biquad,
    design_fir,
)

MIN_HZ, MAX_HZ = 20.0, 20000.0


def tone_for(cutoff_hz: float) -> float:
    """The knob value (0..1, logarithmic from 20 Hz to 20 kHz) that gives `cutoff_hz`."""
    return math.log(cutoff_hz / MIN_HZ) / math.log(MAX_HZ / MIN_HZ)


class GruTone(nn.Module):
    """A 16-unit GRU per channel, then a state-variable low-pass whose cutoff is the tone knob."""

    def __init__(self, extra_delay: int = 0) -> None:
        super().__init__()
        self.gru = nn.GRU(1, 16, batch_first=True, bias=False)
        self.out = nn.Linear(16, 1, bias=False)
        self.svf = StateVariableFilter("lowpass", 48000.0, cutoff_hz=8000.0)
        self.extra_delay = extra_delay
        self.hidden = torch.zeros(1, 2, 16)
        self.past = torch.zeros(2, extra_delay)

    def forward(self, x: Tensor, tone: Tensor) -> Tensor:
        h, self.hidden = self.gru(x.unsqueeze(-1), self.hidden)
        y = x + 0.3 * self.out(h).squeeze(-1)
        if self.extra_delay > 0:  # a planted error: delay the output without reporting it
            joined = torch.cat([self.past, y], dim=1)
            self.past = joined[:, joined.shape[1] - self.extra_delay :]
            y = joined[:, : y.shape[1]]
        cutoff = 20.0 * torch.pow(torch.tensor(1000.0), tone.mean())  # MIN_HZ..MAX_HZ
        return self.svf(y, cutoff_hz=cutoff.reshape(1))

    @torch.jit.export
    def reset(self) -> None:
        self.hidden = torch.zeros(1, 2, 16)
        self.past = torch.zeros(2, self.extra_delay)
        self.svf.reset()


class FilterModel(WaveformToWaveformBase):
    """Stereo at 48 kHz, native buffer 256, reporting its module's `get_delay_samples()`."""

    def __init__(self, model: nn.Module, tone: float = 0.5, reported_offset: int = 0) -> None:
        super().__init__(model)
        self.tone = tone
        self.reported_offset = reported_offset

    def get_model_name(self) -> str:
        return "delay.iir.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A filter model made by the delay tests."

    def get_tags(self) -> List[str]:
        return ["test"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("tone", "low-pass cutoff", default_value=self.tone)]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [256]

    def calc_model_delay_samples(self) -> int:
        return self.model.get_delay_samples() + self.reported_offset

    def reset_model(self) -> bool:
        self.model.reset()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["tone"])


class Gru(GruTone):
    @torch.jit.export
    def get_delay_samples(self) -> int:
        return 0


class Filtered(nn.Module):
    """One neutone_filters processor, its knob ignored."""

    def __init__(self, processor: nn.Module) -> None:
        super().__init__()
        self.processor = processor

    def forward(self, x: Tensor, tone: Tensor) -> Tensor:
        return self.processor(x)

    @torch.jit.export
    def get_delay_samples(self) -> int:
        return self.processor.get_delay_samples()

    @torch.jit.export
    def reset(self) -> None:
        self.processor.reset()


class Darken(RealtimeSTFT):
    """An STFT that halves the upper half of the spectrum."""

    def process_spectrum(self, spec: Tensor) -> Tensor:
        gain = torch.ones(spec.shape[-2], 1)
        gain[spec.shape[-2] // 2 :] = 0.5
        return spec * gain


def delay_result(model: WaveformToWaveformBase) -> str:
    """The delay check on `model` scripted; the message, prefixed with pass or FAIL."""
    result = check_delay(CheckContext(script_neutone_model(model), seconds=0.5))
    return ("pass " if result.passed and not result.skipped else "FAIL ") + result.message


# Rendering the default demos would be most of the export (27 s of audio through the GRU): one
# second of the demo clips in turn is rendered instead, at the tone under test (the default knobs).
# test_samples.py counts the default demo files the README describes.
@pytest.mark.parametrize("cutoff_hz", [8000.0, 200.0])
def test_gru_with_svf_tone_passes_the_full_export(tmp_path: Path, cutoff_hz: float) -> None:
    torch.manual_seed(0)
    model = FilterModel(Gru(), tone=tone_for(cutoff_hz))
    demo = [demo_input(seconds=1.0)]
    report = save_neutone_model(model, tmp_path / "gru", input_samples=demo, quiet=True)
    failed = [f"{c.name}: {c.message}" for c in report.checks if not c.passed]
    assert report.passed and not failed, failed
    assert not report["delay"].skipped
    samples = sorted(p.name for p in (tmp_path / "gru" / "samples").iterdir())
    assert samples == [
        f"input-0.default.{side}.{kind}" for side in ("in", "out") for kind in ("mp3", "wav")
    ]


@pytest.mark.parametrize("cutoff_hz", [30.0, 1000.0, 20000.0])
def test_gru_with_svf_passes_the_delay_check_at_any_tone(cutoff_hz: float) -> None:
    torch.manual_seed(0)
    message = delay_result(FilterModel(Gru(), tone=tone_for(cutoff_hz)))
    assert message.startswith("pass"), message


# At 1 kHz and below the output correlates with the input at no single lag (coefficient < 0.3),
# and a phase that does not admit the reported delay is then no proof: the check skips, as before.
@pytest.mark.parametrize("cutoff_hz", [8000.0, 20000.0])
def test_gru_with_svf_and_one_sample_of_unreported_delay_fails(cutoff_hz: float) -> None:
    torch.manual_seed(0)
    model = FilterModel(Gru(extra_delay=1), tone=tone_for(cutoff_hz))
    message = delay_result(model)
    assert message.startswith("FAIL"), message
    assert message.endswith("Fix: report 1 from calc_model_delay_samples()"), message


FILTERS = {
    "fir 101 taps": lambda: FIRFilter(design_fir("lowpass", 4000.0, 48000.0, num_taps=101)),
    "biquad low-pass 2 kHz": lambda: SOSFilter(
        cookbook_biquad("lowpass", 2000.0, 48000.0, q=0.7071)
    ),
    "butterworth high-pass order 4": lambda: SOSFilter(butterworth("highpass", 4, 300.0, 48000.0)),
    "peaking biquad": lambda: SOSFilter(
        cookbook_biquad("peaking", 1000.0, 48000.0, q=2.0, gain_db=9.0)
    ),
    "svf low-pass 50 Hz": lambda: StateVariableFilter("lowpass", 48000.0, cutoff_hz=50.0),
    "svf low-pass 500 Hz": lambda: StateVariableFilter("lowpass", 48000.0, cutoff_hz=500.0),
    "svf low-pass 8 kHz": lambda: StateVariableFilter("lowpass", 48000.0, cutoff_hz=8000.0),
    "svf low-pass 23 kHz": lambda: StateVariableFilter("lowpass", 48000.0, cutoff_hz=23000.0),
    "svf high-pass 2 kHz": lambda: StateVariableFilter("highpass", 48000.0, cutoff_hz=2000.0),
    "svf band-pass 1 kHz": lambda: StateVariableFilter(
        "bandpass", 48000.0, cutoff_hz=1000.0, q=4.0
    ),
    "svf notch 3 kHz": lambda: StateVariableFilter("notch", 48000.0, cutoff_hz=3000.0),
    "stft identity": lambda: RealtimeSTFT(512, 128),
    "stft darken": lambda: Darken(512, 128),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_family_passes_reporting_its_documented_delay(name: str) -> None:
    message = delay_result(FilterModel(Filtered(FILTERS[name]())))
    assert message.startswith("pass"), message


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("fir 101 taps", -1),
        ("fir 101 taps", 1),
        ("svf high-pass 2 kHz", 1),
        ("biquad low-pass 2 kHz", 1),
        ("stft identity", -1),
        ("stft identity", 1),
    ],
)
def test_a_filter_reporting_one_sample_off_fails(name: str, offset: int) -> None:
    model = FilterModel(Filtered(FILTERS[name]()), reported_offset=offset)
    message = delay_result(model)
    assert message.startswith("FAIL"), message
    documented = FILTERS[name]().get_delay_samples()
    assert message.endswith(f"Fix: report {documented} from calc_model_delay_samples()"), message


@pytest.mark.parametrize("delay", [0, 1, 300])
def test_pure_delay_of_a_pure_delay_admits_only_that_delay(delay: int) -> None:
    x = torch.rand(2, 24000, generator=torch.Generator().manual_seed(delay)) - 0.5
    y = nn.functional.pad(x, (delay, 0))[:, :24000]
    found = pure_delay(x, y, delay)
    assert found.samples == pytest.approx(delay, abs=1e-6) and found.standard_error < 1e-3
    assert found.admits(delay)
    assert not found.admits(delay + 1) and not found.admits(delay - 1)


def test_pure_delay_of_a_minimum_phase_filter_is_zero_at_any_cutoff() -> None:
    x = torch.rand(2, 24000, generator=torch.Generator().manual_seed(1)) - 0.5
    for cutoff_hz in (100.0, 1000.0, 8000.0, 20000.0):
        y = StateVariableFilter("lowpass", 48000.0, cutoff_hz=cutoff_hz)(x)
        found = pure_delay(x, y, 0)
        assert found.admits(0) and found.shape == "minimum phase", (cutoff_hz, found)
        late = pure_delay(x, nn.functional.pad(y, (1, 0))[:, :24000], 0)
        assert late.samples == pytest.approx(found.samples + 1.0, abs=0.05), (cutoff_hz, late)


def test_a_linear_phase_filter_measures_its_centre() -> None:
    x = torch.rand(2, 24000, generator=torch.Generator().manual_seed(2)) - 0.5
    fir = FIRFilter(design_fir("lowpass", 4000.0, 48000.0, num_taps=101))
    found = pure_delay(x, fir(x), 50)
    assert found.shape == "linear phase"
    assert found.samples == pytest.approx(50.0, abs=0.01)
    assert not found.admits(49) and not found.admits(51)
