"""Across packages: every example renders aligned, shows every info field, and the FIR pre-filter's
measured response is scipy's `freqz` of its taps.

neutone-export and neutone-bench cannot depend on neutone-examples, so their own test cells have no
example models; these checks run in the dev environment, where every package is installed and the
examples are found through the `neutone.models` entry points.
"""

from __future__ import annotations

import math
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, List

import numpy as np
import pytest
import torch
from scipy.signal import freqz

from neutone_bench.response import measure_response, plot_response
from neutone_core import WaveformToWaveformBase
from neutone_examples.clipper_prefilter import PrefilteredClipperWrapper
from neutone_export import script_neutone_model
from neutone_export.audio.audio_io import read_audio, write_audio
from neutone_export.audio.measure import best_shift
from neutone_export.audio.render import render_file
from neutone_export.files.info import COMMON_SETTINGS, model_info

EXAMPLES = sorted(entry.name for entry in entry_points(group="neutone.models"))
SR = 48000
PASS_BAND_DB = 0.5  # the tolerance; the measurement error is about 0.01 dB
INFO_FIELDS = [
    "name",
    "version",
    "authors",
    "description",
    "long description",
    "channels",
    "native sample rates",
    "native buffer sizes",
    "file size",
    "made by",
    "created",
    "last validation",
]


def _factory(name: str) -> Callable[[], WaveformToWaveformBase]:
    (entry,) = [e for e in entry_points(group="neutone.models") if e.name == name]
    return entry.load()


def _build(name: str) -> WaveformToWaveformBase:
    model = _factory(name)()
    assert isinstance(model, WaveformToWaveformBase), f"{name} is not a realtime example"
    return model


def _save_scripted(model: WaveformToWaveformBase, path: Path) -> Path:
    module = script_neutone_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    return path


@pytest.fixture(scope="module")
def scripted_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``scripted_file(name)``: example `name` scripted and saved once per worker, read (never
    written) by each test that needs it."""
    folder = tmp_path_factory.mktemp("scripted")
    saved: Dict[str, Path] = {}

    def scripted(name: str) -> Path:
        if name not in saved:
            saved[name] = _save_scripted(_build(name), folder / name / "model.nm")
        return saved[name]

    return scripted


def _noise(n: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(2, n, generator=generator) * 2 - 1) * 0.25


def test_the_examples_are_installed() -> None:
    assert len(EXAMPLES) >= 10, EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_renders_a_stereo_file_aligned_with_its_input(
    name: str, tmp_path: Path, scripted_file: Callable[[str], Path]
) -> None:
    seconds = 60 if name == EXAMPLES[0] else 3  # one long file; the rest kept short for CI
    source = tmp_path / "in.wav"
    write_audio(source, _noise(seconds * SR, seed=9), SR)
    model_path = scripted_file(name)
    calls: List[int] = []
    out, result = render_file(
        model_path, source, compensate=True, progress=lambda done, total: calls.append(done)
    )
    assert len(calls) >= seconds and calls[-1] >= seconds * SR
    audio, rate = read_audio(out)
    assert rate == SR and audio.shape[1] == seconds * SR
    assert result.summary.non_finite_out == 0 and math.isfinite(result.summary.realtime_factor)
    x, _ = read_audio(source)
    window = slice(SR // 2, 2 * SR)  # past any model's settling
    assert best_shift(x[:, window], audio[:, window].expand(2, -1), 2000) == 0, result.summary


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_shows_every_info_field(
    name: str, load_tool: Callable[[str], ModuleType], scripted_file: Callable[[str], Path]
) -> None:
    if name == EXAMPLES[0]:  # one full export (the examples cell's, cached), so its verdict shows
        export = load_tool("export_cache").ExportCache().get(name, _factory(name))
        info = model_info(export.path)
        assert info.validation is not None and info.validation["passed"]
    else:
        info = model_info(scripted_file(name))
    rows = info.rows()
    shown = dict(rows)
    for field in INFO_FIELDS:
        assert shown.get(field), f"{name}: {field} missing or empty in {rows}"
    assert len([f for f, _ in rows if f.startswith("delay at ")]) == len(COMMON_SETTINGS)
    declared = [k for k in _build(name).get_neutone_parameters() if k.used]
    assert len(info.knobs) == len(declared), (name, info.knobs)
    knob_rows = [f for f, _ in rows if f.startswith("knob p")]
    assert len(knob_rows) == len(declared) or (not declared and shown["knobs"] == "none"), rows
    for knob in info.knobs:
        assert knob.name and knob.kind in ("continuous", "categorical") and 0 <= knob.default <= 1


def test_the_prefilter_examples_response_is_freqz_of_its_taps(tmp_path: Path) -> None:
    model = _build("clipper_prefilter")
    assert isinstance(model, PrefilteredClipperWrapper)
    taps = model.model.prefilter.taps.double().numpy()
    result = measure_response(script_neutone_model(model), sample_rate=48000, steps=2)
    # the test signals peak at -12 dBFS, where the clipper does not clip: no harmonics there
    assert result.harmonics is not None
    at_level = result.harmonics.input_levels_db.index(-12.0)
    assert max(result.harmonics.levels_db[at_level][1:]) < -100
    (curve,) = [c for c in result.curves if c.label == "default"]
    freqs, measured = np.array(curve.frequencies_hz), np.array(curve.magnitude_db)
    _, h = freqz(taps, worN=freqs, fs=48000)
    pass_band = freqs < (0.125 - 0.04 / 2) * 48000  # cutoff minus half the transition band
    error = np.abs(measured[pass_band] - 20 * np.log10(np.abs(h[pass_band])))
    assert error.max() < PASS_BAND_DB, (freqs[error.argmax()], error.max())
    plot_response(result, tmp_path / "prefilter.png")
    assert (tmp_path / "prefilter.png").stat().st_size > 0
