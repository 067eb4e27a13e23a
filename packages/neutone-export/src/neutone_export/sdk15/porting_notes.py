"""What a model ported from the Neutone SDK 1.5 does differently here, said once at export.

Where the SDK is wrong, neutone is right, so a ported model can sound different. It must not do so
silently: `porting_notes(model)` lists each difference the model depends on, and
`save_neutone_model` warns with each line once (`warn_porting_notes`). The differences:

- processors built through the SDK's API (its `FIRFilter(FilterType...)`, its `RealtimeSTFT`
  keywords) carry a ``porting_note`` attribute saying how they differ (neutone-filters sets it);
- continuous knobs with a ``min_value``/``max_value`` other than 0 and 1: the SDK ignored them on
  the realtime path, neutone maps the knob onto them;
- a processor's delay that ``calc_model_delay_samples()`` does not report, a processor whose state
  ``reset_model()`` does not clear (neutone checks that ``reset()`` restores a fresh model), and
  methods with names the SDK used to call but 1.5 (and neutone) never do;
- unseeded noise in ``do_forward_pass`` (the SDK's RAVE examples): every render differs in the
  plugin; the checks seed torch's generator before each compared run, so they pass.

A processor that is a `neutone_core.stateful.StatefulModule` (every streaming block of
neutone-filters) is reset by the adapter's ``reset()``: no note asks the wrapper to reset it.

Knob ranges are only noted for a model that looks ported (an SDK-only keyword given to
`save_neutone_model`, an SDK-built processor or an ``aggregate_params`` override): a model written
for neutone means the range it declares.
"""

import inspect
import warnings
from typing import List, Tuple

from torch import nn

from neutone_core import WaveformToWaveformBase
from neutone_core.stateful import StatefulModule

REFERENCE_SAVE_KEYWORDS = (
    "dump_samples",
    "submission",
    "audio_sample_pairs",
    "max_n_samples",
    "speed_benchmark",
    "test_offline_mode",
)
"""Keywords of the Neutone SDK's `save_neutone_model` that only a script written for it passes."""

UNCALLED_HOOKS = {
    "calc_min_delay_samples": (
        "neither the Neutone SDK 1.5 nor neutone calls it; name it calc_model_delay_samples so "
        "the host compensates the delay"
    ),
    "set_model_buffer_size": (
        "neither the Neutone SDK 1.5 nor neutone calls it; do that work in "
        "set_model_sample_rate_and_buffer_size(sample_rate, n_samples)"
    ),
}
"""Methods older Neutone SDK examples define, which no version 1.5 host calls."""


RANDOM_CALLS = (".randn(", ".randn_like(", ".rand(", ".rand_like(", ".randint(", ".normal_(")
"""Calls that draw unseeded random numbers inside TorchScript."""


class PortingWarning(UserWarning):
    """A ported model behaves differently here than under the Neutone SDK 1.5."""


def _noted_processors(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """(attribute path, module) of every submodule with a non-empty ``porting_note``."""
    noted = []
    for path, module in model.named_modules():
        note = getattr(module, "porting_note", "")
        if path and isinstance(note, str) and note:
            noted.append((path, module))
    return noted


def _looks_ported(model: WaveformToWaveformBase, reference_call: bool) -> bool:
    overrides_hook = any(
        "aggregate_params" in vars(cls) for cls in type(model).__mro__ if _user_class(cls)
    )
    return reference_call or overrides_hook or bool(_noted_processors(model))


def _user_class(cls: type) -> bool:
    """A class of the researcher's, not one of neutone's or torch's."""
    return not cls.__module__.startswith(("neutone_core", "torch", "builtins"))


def _knob_notes(model: WaveformToWaveformBase) -> List[str]:
    notes = []
    for knob in model.get_neutone_parameters():
        low = getattr(knob, "min_value", None)
        high = getattr(knob, "max_value", None)
        if low is None or high is None or (low, high) == (0.0, 1.0):
            continue
        notes.append(
            f"knob {knob.name!r} declares min_value={low:g}, max_value={high:g}: the Neutone SDK "
            f"1.5 ignored them on the realtime path (the model received the knob position in "
            f"[0, 1]); here do_forward_pass receives {low:g} .. {high:g}. Drop min_value/max_value "
            "to keep the SDK's sound, or keep them if the model expects that range"
        )
    return notes


def _delay_notes(model: WaveformToWaveformBase) -> List[str]:
    notes = []
    cls = type(model)
    for name, why in UNCALLED_HOOKS.items():
        if any(name in vars(klass) for klass in cls.__mro__ if _user_class(klass)):
            notes.append(f"{cls.__name__}.{name}() is defined, but {why}")
    try:
        reported = int(model.calc_model_delay_samples())
    except Exception:  # noqa: BLE001  # a getter needing the adapter's settings: no note
        return notes
    for path, module in _noted_processors(model):
        get_delay = getattr(module, "get_delay_samples", None)
        delay = int(get_delay()) if callable(get_delay) else 0
        if delay > reported:
            notes.append(
                f"{path} delays its output by {delay} samples but "
                f"{cls.__name__}.calc_model_delay_samples() returns {reported}: if {path} is in "
                f"the signal path, return its delay (self.{path}.get_delay_samples()) from "
                "calc_model_delay_samples, or the host misaligns the wet and dry signals"
            )
    return notes


def _random_notes(model: WaveformToWaveformBase) -> List[str]:
    cls = type(model)
    try:
        source = inspect.getsource(getattr(cls, "do_forward_pass"))  # noqa: B009  # any class
    except (OSError, TypeError):
        return []
    calls = sorted({call[1:-1] for call in RANDOM_CALLS if call in source})
    if not calls:
        return []
    return [
        (
            f"{cls.__name__}.do_forward_pass draws random numbers ({', '.join(calls)}) with no "
            "seed: the same input gives another output on every run in the plugin (the checks "
            "seed torch's generator before each compared run, so they pass); draw the noise from "
            "a table or generator that reset_model() rewinds if a render must repeat"
        )
    ]


def _reset_notes(model: WaveformToWaveformBase) -> List[str]:
    """A noted processor that nothing resets; a `StatefulModule` is reset by the adapter."""
    cls = type(model)
    if any("reset_model" in vars(klass) for klass in cls.__mro__ if _user_class(klass)):
        return []
    return [
        f"{path} keeps state between calls but {cls.__name__} does not override reset_model(): "
        f"call self.{path}.reset() there, or reset() leaves the state behind (the reset check "
        "fails)"
        for path, module in _noted_processors(model)
        if not isinstance(module, StatefulModule)
    ]


def porting_notes(model: WaveformToWaveformBase, reference_call: bool = False) -> List[str]:
    """Every way `model` sounds or behaves differently here than under the Neutone SDK 1.5.

    Args:
        model: the researcher's `WaveformToWaveformBase`.
        reference_call: whether `save_neutone_model` was given an SDK-only keyword
            (`REFERENCE_SAVE_KEYWORDS`), a sign that the script was written for the SDK.

    Returns:
        one line per difference; empty for a model that depends on none.
    """
    notes = [f"{path}: {module.porting_note}" for path, module in _noted_processors(model)]
    if _looks_ported(model, reference_call):
        notes.extend(_knob_notes(model))
    notes.extend(_delay_notes(model))
    notes.extend(_reset_notes(model))
    notes.extend(_random_notes(model))
    return notes


def warn_porting_notes(model: WaveformToWaveformBase, reference_call: bool = False) -> List[str]:
    """Issue each of `porting_notes(model, reference_call)` once as a `PortingWarning`."""
    notes = porting_notes(model, reference_call)
    for note in notes:
        warnings.warn(note, PortingWarning, stacklevel=3)
    return notes
