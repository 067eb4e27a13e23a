"""The three non-realtime ("Gen") examples: what each does, and that each exports and passes."""

import math

import pytest
import torch

from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_examples import clip_processor, drum_hit, sidechain_ducker

GEN_EXAMPLES = {
    "drum_hit": drum_hit.build_model,
    "sidechain_ducker": sidechain_ducker.build_model,
    "clip_processor": clip_processor.build_model,
}


def _adapter(build, sample_rate: int = 48000) -> NonRealtimeAdapter:
    adapter = NonRealtimeAdapter(build())
    adapter.set_daw_sample_rate_and_buffer_size(sample_rate, 2048)
    return adapter


def _energy_below(y: torch.Tensor, sample_rate: int, hz: float) -> float:
    """Share of the clip's energy below `hz`."""
    power = torch.fft.rfft(y[0]).abs().pow(2)
    freqs = torch.fft.rfftfreq(y.size(1), 1 / sample_rate)
    return float(power[freqs < hz].sum() / power.sum())


def test_drum_hit_words_pick_the_timbre_and_the_seed_repeats():
    gen = _adapter(drum_hit.build_model)
    knobs = torch.tensor([[0.2], [0.0]])  # length 0.48 s, seed 0
    (kick,) = gen.forward_non_realtime([], knobs, ["deep kick"], None)
    (hat,) = gen.forward_non_realtime([], knobs, ["short bright hat"], None)
    (again,) = gen.forward_non_realtime([], knobs, ["deep kick"], None)
    (empty,) = gen.forward_non_realtime([], knobs, [""], None)
    (plain,) = gen.forward_non_realtime([], knobs, ["kick and words it ignores"], None)
    assert kick.shape == (1, int(0.48 * 48000))
    assert _energy_below(kick, 48000, 200.0) > 0.5
    assert _energy_below(hat, 48000, 1000.0) < 0.05
    assert torch.equal(kick, again)
    assert torch.equal(empty, plain)  # an empty prompt plays a kick; unknown words are ignored
    (reseeded,) = gen.forward_non_realtime([], torch.tensor([[0.2], [0.5]]), ["snare"], None)
    (snare,) = gen.forward_non_realtime([], knobs, ["snare"], None)
    assert not torch.equal(snare, reseeded)


def test_drum_hit_comes_back_at_the_host_rate():
    (y,) = _adapter(drum_hit.build_model, 44100).forward_non_realtime([], None, None, None)
    assert y.shape == (1, 22050)  # the default 0.5 s


def test_ducker_leaves_main_alone_without_sidechain_and_ducks_under_it():
    ducker = _adapter(sidechain_ducker.build_model)
    assert ducker.get_audio_in_labels() == ["main", "sidechain"]
    n = 48000
    main = 0.5 * torch.sin(torch.arange(n) * 2 * torch.pi * 440 / 48000).repeat(2, 1)
    (y,) = ducker.forward_non_realtime([main, torch.zeros(1, n)])
    torch.testing.assert_close(y, main)
    side = torch.zeros(1, n)
    side[:, 12000:24000] = 1.0  # full scale: the default depth, 12 dB
    (y,) = ducker.forward_non_realtime([main, side])
    ratio = y[:, 14000:23000].abs().amax() / main[:, 14000:23000].abs().amax()
    assert float(ratio) == pytest.approx(10 ** (-12 / 20), rel=1e-4)
    # The release is a 150 ms time constant: 0.5 s after the burst the envelope is e^(-0.5/0.15).
    tail = y[:, -2000:].abs().amax() / main[:, -2000:].abs().amax()
    assert float(tail) == pytest.approx(10 ** (-12 * math.exp(-0.5 / 0.15) / 20), rel=1e-3)


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_clip_processor_actions(sample_rate):
    editor = _adapter(clip_processor.build_model, sample_rate)
    torch.manual_seed(3)
    x = 0.3 * torch.randn(2, 3000)
    x = torch.nn.functional.avg_pool1d(x.unsqueeze(0), 8, 1, 4).squeeze(0)[:, :3000]  # low-passed
    action = {label: i / 3 for i, label in enumerate(clip_processor.ACTIONS)}
    level_at = lambda db: (db + 24.0) / 24.0  # noqa: E731 -- knob position of a level in dBFS
    outputs = {}
    for label, position in action.items():
        knobs = torch.tensor([[position], [level_at(-6.0)]]).expand(2, x.size(1))
        (outputs[label],) = editor.forward_non_realtime([x], knobs)
        assert outputs[label].shape == x.shape
    if sample_rate == 44100:  # the native rate: the edits are exact
        torch.testing.assert_close(outputs["reverse"], x.flip(1), atol=1e-6, rtol=0)
    # Elsewhere the clip is converted there and back: the peak moves by a fraction of a sample.
    peak = float(outputs["normalize"].abs().max())
    assert peak == pytest.approx(10 ** (-6 / 20), rel=1e-5 if sample_rate == 44100 else 0.05)
    assert float(outputs["fade in"][:, :10].abs().max()) < 0.01
    assert float(outputs["fade out"][:, -10:].abs().max()) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GEN_EXAMPLES))
def test_gen_example_exports_passes_every_check_and_cancels_within_one_block(
    name: str, example_exports
) -> None:
    # `save_non_realtime_model`, through the shared export cache (exported once per content).
    export = example_exports.get(name, GEN_EXAMPLES[name])
    report = export.report
    failures = "; ".join(f"{check.name}: {check.message}" for check in report.failures)
    assert report.passed, f"{name} failed: {failures}"
    assert export.path.is_file()
    cancel = report["cancel"]
    assert not cancel.skipped and cancel.figure is not None and cancel.figure <= 1.0
