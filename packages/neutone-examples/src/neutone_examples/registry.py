"""Every example by name: the registry the CLI and the tests use.

Realtime examples are declared as entry points of the group ``neutone.models`` and non-realtime
(Gen) ones in ``neutone.gen_models`` (see the package's ``pyproject.toml``), so tools that know
nothing of this package (``neutone-bench``) find them too. Each factory takes no argument and
returns a fresh model. `nam` and `nam_lstm` need the ``nam`` extra (Neural Amp Modeler).
"""

from typing import Callable, Dict, List, Union

from neutone_core import NonRealtimeBase, WaveformToWaveformBase
from neutone_examples import (
    categorical,
    clip_processor,
    clipper,
    clipper_prefilter,
    drum_hit,
    look_ahead,
    look_behind,
    mono_to_stereo,
    nam,
    native_rate,
    overdrive_random,
    sidechain_ducker,
    spectral_filter,
    tcn_effect,
)
from neutone_examples.ported import clipper as ported_clipper
from neutone_examples.ported import delayed_passthrough as ported_delayed_passthrough

AnyModel = Union[WaveformToWaveformBase, NonRealtimeBase]
ModelFactory = Callable[[], AnyModel]


def build_ported_clipper() -> WaveformToWaveformBase:
    """The Neutone SDK's clipper example, ported by changing its imports only."""
    return ported_clipper.ClipperModelWrapper(ported_clipper.ClipperModel())


def build_ported_delayed_passthrough() -> WaveformToWaveformBase:
    """The Neutone SDK's delayed passthrough example, ported by changing its imports only."""
    module = ported_delayed_passthrough
    return module.DelayedPassthroughModelWrapper(module.DelayedPassthroughModel(500))


EXAMPLES: Dict[str, ModelFactory] = {
    "clipper": clipper.build_model,
    "clipper_prefilter": clipper_prefilter.build_model,
    "overdrive_random": overdrive_random.build_model,
    "tcn_effect": tcn_effect.build_model,
    "spectral_filter": spectral_filter.build_model,
    "look_behind": look_behind.build_model,
    "look_ahead": look_ahead.build_model,
    "mono_to_stereo": mono_to_stereo.build_model,
    "native_rate": native_rate.build_model,
    "categorical": categorical.build_model,
    "nam": nam.build_model,
    "nam_lstm": nam.build_lstm_model,
    "ported_clipper": build_ported_clipper,
    "ported_delayed_passthrough": build_ported_delayed_passthrough,
}
"""Realtime example name -> factory, in the order the CLI exports them."""

GEN_EXAMPLES: Dict[str, ModelFactory] = {
    "drum_hit": drum_hit.build_model,
    "sidechain_ducker": sidechain_ducker.build_model,
    "clip_processor": clip_processor.build_model,
}
"""Non-realtime (Gen) example name -> factory."""

ALL_EXAMPLES: Dict[str, ModelFactory] = {**EXAMPLES, **GEN_EXAMPLES}
"""Every example, realtime first: what `neutone-examples export` exports by default."""


def example_names() -> List[str]:
    """The names of all examples, realtime then non-realtime, in registry order.

    >>> names = example_names()
    >>> names[0], names[-1]
    ('clipper', 'clip_processor')
    """
    return list(ALL_EXAMPLES)


def build_example(name: str) -> AnyModel:
    """A fresh instance of the example called `name`.

    >>> build_example("clipper").get_model_name()
    'clipper'

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in ALL_EXAMPLES:
        raise ValueError(f"unknown example {name!r}; known: {', '.join(ALL_EXAMPLES)}")
    return ALL_EXAMPLES[name]()
