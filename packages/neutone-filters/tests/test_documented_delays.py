"""The delays the README and docstrings state: linear-phase FIR exact, IIR filters report 0 and
have the group delay the README gives."""

import pytest
import torch

from neutone_filters import (
    IIRSVF,
    FilterType,
    FIRFilter,
    IIRFilter,
    SOSFilter,
    StateVariableFilter,
    butterworth,
    design_fir,
)


def _impulse_response(module: torch.nn.Module, n: int = 48000) -> torch.Tensor:
    x = torch.zeros(1, n, dtype=torch.float64)
    x[0, 0] = 1.0
    return module(x)[0]


def _dc_group_delay(h: torch.Tensor) -> float:
    """Group delay at 0 Hz in samples: the impulse response's centre of mass."""
    n = torch.arange(h.numel(), dtype=torch.float64)
    return float((n * h).sum() / h.sum())


@pytest.mark.parametrize(
    ("cutoff_hz", "delay", "peak"), [(200.0, 54.0, 42), (1000.0, 10.8, 9), (8000.0, 1.2, 1)]
)
def test_svf_low_pass_has_the_group_delay_the_readme_gives(cutoff_hz, delay, peak):
    svf = StateVariableFilter("lowpass", 48000.0, cutoff_hz, 0.7071)
    h = _impulse_response(svf)
    assert svf.get_delay_samples() == 0
    assert h[0] > 0  # the output starts at once: no bulk delay to compensate
    assert _dc_group_delay(h) == pytest.approx(delay, abs=0.05)
    assert int(h.abs().argmax()) == peak


@pytest.mark.parametrize(
    "module",
    [
        SOSFilter(butterworth("lowpass", 4, 1000.0, 48000.0)),
        IIRFilter(FilterType.LOWPASS, 1e3, 0.7),
    ],
    ids=["SOSFilter", "IIRFilter"],
)
def test_minimum_phase_filters_report_zero_and_answer_at_once(module):
    assert module.get_delay_samples() == 0
    assert _impulse_response(module)[0] > 0


def test_the_sdk_filters_report_zero_as_the_sdk_attribute_too():
    assert IIRFilter(FilterType.HIGHPASS, 1e3, 0.7).delay == 0
    svf = IIRSVF()
    assert svf.delay == 0 and svf.get_delay_samples() == 0


@pytest.mark.parametrize(
    "fir",
    [
        FIRFilter(design_fir("bandpass", [500.0, 4000.0], 48000, num_taps=63)),
        FIRFilter(FilterType.LOWPASS, [1000.0], filt_size=257),
    ],
    ids=["design_fir", "sdk"],
)
def test_fir_group_delay_is_half_its_length_at_every_frequency(fir):
    h = _impulse_response(fir, n=fir.num_taps)
    # Symmetric taps: linear phase, the same group delay (taps - 1) / 2 at every frequency.
    torch.testing.assert_close(h, h.flip(0), rtol=0, atol=1e-12)
    assert fir.get_delay_samples() == (fir.num_taps - 1) // 2
