"""NAM's own networks stream as NAM runs them offline, export through the trace fallback and pass
every check; a capture written by NAM's exporter becomes a checked `.nm`.

Needs the ``nam`` extra (``neural-amp-modeler``); without it only the missing-extra message is
tested. Run with the NAM environment: ``/tmp/namvenv/bin/python -m pytest``.
"""

import importlib.util
import json
import sys
from itertools import pairwise
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neutone_export import ScriptingError, save_neutone_model, script_neutone_model
from neutone_export.audio.samples import demo_input
from neutone_export.nam.capture import NAMCaptureError, load_nam_capture

HAS_NAM = importlib.util.find_spec("nam") is not None
needs_nam = pytest.mark.skipif(
    not HAS_NAM, reason="neural-amp-modeler is not installed (pip install 'neutone-examples[nam]')"
)
FIGURES: Dict[str, Dict[str, float]] = {}


@pytest.fixture(scope="module")
def nets() -> Dict[str, torch.nn.Module]:
    """One random WaveNet and one random LSTM per session: importing NAM takes ~30 s."""
    from neutone_examples.nam import build_nam_net

    return {name: build_nam_net(name) for name in ("wavenet", "lstm")}


@pytest.fixture(scope="module")
def small_nets() -> Dict[str, torch.nn.Module]:
    """NAM's WaveNet (two layer arrays, as the standard) and LSTM at a few channels: where the
    subject is the capture file, not the network, a small one imports the same way, faster."""
    from nam.models import LSTM, WaveNet

    from neutone_examples.nam import wavenet_config

    with torch.random.fork_rng():
        torch.manual_seed(0)
        wavenet = WaveNet.init_from_config(wavenet_config(channels=(2, 2), dilations=[1, 2]))
        lstm = LSTM(hidden_size=2, sample_rate=48000)
    return {"wavenet": wavenet.eval(), "lstm": lstm.eval()}


@pytest.fixture
def without_nam(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python as it is without the `nam` extra: `import nam` fails."""
    for name in [module for module in sys.modules if module == "nam" or module.startswith("nam.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "nam", None)


@pytest.mark.usefixtures("without_nam")
def test_missing_extra_is_named(tmp_path: Path) -> None:
    capture = tmp_path / "amp.nam"
    capture.write_text(json.dumps({"architecture": "LSTM", "weights": []}), encoding="utf-8")
    with pytest.raises(NAMCaptureError, match=r"pip install 'neutone-export\[nam\]'"):
        load_nam_capture(capture)


@pytest.mark.usefixtures("without_nam")
def test_missing_extra_is_named_by_the_example() -> None:
    from neutone_examples.nam import build_model

    with pytest.raises(NAMCaptureError, match=r"pip install 'neutone-examples\[nam\]'"):
        build_model()


def test_not_a_capture_is_refused(tmp_path: Path) -> None:
    capture = tmp_path / "notes.nam"
    capture.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(NAMCaptureError, match="is not a NAM capture"):
        load_nam_capture(capture)


@needs_nam
@pytest.mark.parametrize("stream_kind", ["CachedWaveNetStream", "WaveNetStream", "LSTMStream"])
@settings(max_examples=5, deadline=None)
@given(cuts=st.lists(st.integers(1, 700), min_size=1, max_size=4))
def test_stream_equals_nam_offline(nets, stream_kind: str, cuts: List[int]) -> None:
    """Blocks of any sizes, one after another, give what NAM computes for the whole signal."""
    from neutone_export.nam import capture as nam

    net = nets["lstm" if stream_kind == "LSTMStream" else "wavenet"]
    stream = getattr(nam, stream_kind)(net)
    x = torch.rand(1, 1500, generator=torch.Generator().manual_seed(len(cuts))) - 0.5
    edges = sorted({0, 1500, *cuts})
    gain = torch.tensor([1.5])
    with torch.no_grad():
        expected = net(x * gain, pad_start=True)
        got = torch.cat([stream(x[:, a:b], gain) for a, b in pairwise(edges)], dim=1)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=1e-5), float((got - expected).abs().max())


@needs_nam
def test_wavenet_is_refused_by_torchscript_with_its_path_and_tracing_applies() -> None:
    from neutone_examples.nam import build_wrapper

    with pytest.raises(ScriptingError) as caught:
        script_neutone_model(build_wrapper("wavenet"))
    error = caught.value
    assert error.traceable, str(error)
    assert error.module_path == "self.model.net", str(error)
    assert "In: self.model.net (WaveNet)" in str(error)


@pytest.mark.slow
@needs_nam
@pytest.mark.parametrize("architecture", ["wavenet", "lstm"])
def test_exports_through_the_trace_and_passes_every_check(tmp_path: Path, architecture) -> None:
    from neutone_examples.nam import build_wrapper

    # The checks are the subject, not the demos: one short demo input instead of every clip at
    # every knob extreme (NAM renders at its native 48 kHz whatever the demo rate).
    report = save_neutone_model(
        build_wrapper(architecture),
        tmp_path / "out",
        trace=True,
        quiet=True,
        input_samples=[demo_input(seconds=1.0)],
    )
    assert report.passed, report.to_json()
    for name in ("streaming", "eager", "reset"):
        assert report[name].passed and not report[name].skipped, report[name].message
    print(f"{architecture}: {report['delay'].message} | {report['realtime'].message}")


@needs_nam
def test_standard_wavenet_streams_layer_by_layer() -> None:
    from neutone_examples.nam import build_wrapper
    from neutone_export.nam.capture import CachedWaveNetStream

    wrapper = build_wrapper("wavenet")
    assert isinstance(wrapper.model, CachedWaveNetStream)
    assert wrapper.model.net.receptive_field == 4093  # NAM's standard layout


@needs_nam
@pytest.mark.parametrize(("factory", "delay"), [("build_model", 127), ("build_lstm_model", 31)])
def test_traced_example_scripts_without_the_fallback(factory: str, delay: int) -> None:
    import neutone_examples.nam

    scripted = script_neutone_model(getattr(neutone_examples.nam, factory)())
    scripted.set_daw_sample_rate_and_buffer_size(48000, 128)
    assert scripted.calc_buffering_delay_samples() == delay  # native block - 1
    assert torch.isfinite(scripted.forward(torch.rand(2, 128) - 0.5, None)).all()


@pytest.mark.slow
@needs_nam
@pytest.mark.usefixtures("short_demos")
@pytest.mark.parametrize("architecture", ["wavenet", "lstm"])
def test_capture_from_nams_exporter_imports_with_its_metadata(
    small_nets, tmp_path: Path, architecture: str
) -> None:
    from nam.models.metadata import GearType, ToneType, UserMetadata

    from neutone_export.nam.capture import import_nam

    user = UserMetadata(
        name="Tweed Deluxe",
        modeled_by="Jane Capture",
        gear_type=GearType.AMP,
        gear_make="Fender",
        gear_model="Tweed Deluxe 5E3",
        tone_type=ToneType.CRUNCH,
    )
    small_nets[architecture].export(tmp_path, basename="tweed", user_metadata=user)
    report = import_nam(tmp_path / "tweed.nam", tmp_path / "out", quiet=True)
    assert report.passed, report.to_json()
    metadata = json.loads((tmp_path / "out" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["model_name"] == "Tweed Deluxe"
    assert metadata["model_authors"] == ["Jane Capture"]
    assert "Fender Tweed Deluxe 5E3 (amp)" in metadata["model_short_description"]
    assert metadata["tags"] == ["nam", "amp", "crunch"]
    assert metadata["neutone_parameters"]["p1"]["name"] == "gain"
