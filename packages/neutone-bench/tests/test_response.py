"""`response` measures what a model does as the plugin runs it: a linear-phase FIR's magnitude
matches scipy's `freqz` of its taps, its impulse response is its taps, harmonics of a known
non-linearity have their known levels, and the plot is written."""

import math
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch
from scipy.signal import freqz
from torch import Tensor, nn

from neutone_bench.embedded import build_smoother
from neutone_bench.response import (
    ResponseError,
    frequency_grid,
    harmonic_levels,
    harmonics_table,
    impulse_response,
    magnitude_on_grid,
    magnitude_responses,
    magnitude_table,
    measure_response,
    plot_response,
)
from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import script_neutone_model

PASS_BAND_DB = 0.5  # the tolerance; the measurement error is about 0.01 dB


@pytest.fixture(scope="module")
def smoother() -> torch.jit.ScriptModule:
    """Mono tone control: (1 - tone) * dry + tone * 65-tap low-pass, native 48 kHz / 2048."""
    return script_neutone_model(build_smoother())


def smoother_taps() -> np.ndarray:
    return build_smoother().model.kernel.flatten().double().numpy()


def curve_of(curves, label: str):
    (curve,) = [c for c in curves if c.label == label]
    return np.array(curve.frequencies_hz), np.array(curve.magnitude_db)


@pytest.mark.parametrize("method", ["sweep", "noise"])
@pytest.mark.parametrize("sample_rate", [48000, 44100])
def test_fir_magnitude_matches_freqz_in_the_pass_band(smoother, method: str, sample_rate: int):
    curves = magnitude_responses(smoother, sample_rate, method=method, seconds=1.0, steps=2)
    freqs, measured = curve_of(curves, "tone=1")
    _, h = freqz(smoother_taps(), worN=freqs, fs=48000)  # the filter runs at its native 48 kHz
    pass_band = freqs < 4000.0
    error = np.abs(measured[pass_band] - 20 * np.log10(np.abs(h[pass_band])))
    assert error.max() < PASS_BAND_DB, (method, sample_rate, freqs[error.argmax()], error.max())
    _, dry = curve_of(curves, "tone=0")
    assert np.abs(dry[freqs < 0.4 * sample_rate]).max() < 0.1  # dry path: flat


def test_impulse_response_is_the_taps_centred_on_zero(smoother) -> None:
    response = impulse_response(smoother, 48000, 512)
    values = np.array(response.values)
    centre = response.times_ms.index(0.0)
    taps = smoother_taps()
    half = len(taps) // 2
    expected = 0.5 * taps  # default tone 0.5: half the low-pass ...
    expected[half] += 0.5  # ... plus half the dry signal
    window = values[centre - half : centre + half + 1]
    assert np.abs(window - expected).max() < 1e-5
    assert np.abs(np.delete(values, range(centre - half, centre + half + 1))).max() < 1e-6


class Square(nn.Module):
    def forward(self, x: Tensor, amount: Tensor) -> Tensor:
        return x + amount * x * x


class SquareWrapper(WaveformToWaveformBase):
    """y = x + a x^2: a sine of amplitude A gets a second harmonic of amplitude a A^2 / 2."""

    def get_model_name(self) -> str:
        return "bench.square"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "Adds a square term."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("amount", "square term", default_value=0.1)]

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["amount"])


def test_harmonic_levels_of_a_known_non_linearity() -> None:
    module = script_neutone_model(SquareWrapper(Square()))
    levels = harmonic_levels(module, 48000, 256, levels_db=(-20.0, 0.0))
    assert levels.frequency_hz == 1000.0 and levels.nonlinear
    for level_db, row in zip(levels.input_levels_db, levels.levels_db, strict=True):
        amplitude = 10 ** (level_db / 20)
        assert row[0] == pytest.approx(level_db, abs=0.01)
        assert row[1] == pytest.approx(20 * math.log10(0.1 * amplitude**2 / 2), abs=0.01)
        assert max(row[2:]) < -120  # a square makes no third harmonic


def test_a_linear_model_is_called_linear(smoother) -> None:
    assert not harmonic_levels(smoother, 48000, 512).nonlinear


def test_magnitude_on_grid_reads_a_known_gain() -> None:
    x = torch.rand(48000, generator=torch.Generator().manual_seed(1)) - 0.5
    grid = frequency_grid(48000, 50)
    for segment in (0, 4096):
        levels = magnitude_on_grid(x, 0.5 * x, 48000, segment, grid)
        assert max(abs(level - 20 * math.log10(0.5)) for level in levels) < 1e-6


def test_knobs_are_measured_at_each_step_and_the_plot_is_written(tmp_path: Path, smoother):
    result = measure_response(smoother, name="smoother", steps=3, seconds=0.5)
    assert [c.label for c in result.curves] == ["default", "tone=0", "tone=0.5", "tone=1"]
    plot = tmp_path / "response.png"
    plot_response(result, plot)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["response.png"]  # no temporary left
    data = result.to_dict()
    assert data["harmonics"]["nonlinear"] is False and len(data["curves"]) == 4
    headers, rows = magnitude_table(result)
    assert headers[1:] == ["100 Hz (dB)", "1000 Hz (dB)", "10000 Hz (dB)"]
    assert rows[1][0] == "tone=0" and all(abs(float(c)) < 0.01 for c in rows[1][1:])  # dry: flat
    assert float(rows[3][3]) < -50  # low-passed: 10 kHz is in the stop band
    headers, rows = harmonics_table(result)
    assert len(headers) == 6 and [row[0] for row in rows] == ["-24", "-12", "-6", "0"]


@pytest.mark.parametrize(
    "options, words",
    [
        ({"method": "chirp"}, "--method must be one of sweep, noise"),
        ({"seconds": 0.1}, "--seconds must be in [0.5, 60]"),
        ({"steps": 1}, "--steps must be in [2, 9]"),
    ],
)
def test_bad_options(smoother, options, words: str) -> None:
    with pytest.raises(ResponseError) as caught:
        measure_response(smoother, **options)
    assert words in str(caught.value)
