"""Every example by name: the registry the CLI and the tests use.

The same names are declared as entry points of the group ``neutone.models`` (see the package's
``pyproject.toml``), so tools that know nothing of this package (``neutone-bench``) find them too.
Each factory takes no argument and returns a fresh ``WaveformToWaveformBase``.
"""

from typing import Callable, Dict, List

from neutone_core import WaveformToWaveformBase
from neutone_examples import (
    categorical,
    clipper,
    clipper_prefilter,
    look_ahead,
    look_behind,
    mono_to_stereo,
    native_rate,
    overdrive_random,
    spectral_filter,
    tcn_effect,
)

ModelFactory = Callable[[], WaveformToWaveformBase]

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
}
"""Example name -> factory, in the order the CLI exports them."""


def example_names() -> List[str]:
    """The names of all examples, in registry order."""
    return list(EXAMPLES)


def build_example(name: str) -> WaveformToWaveformBase:
    """A fresh instance of the example called `name`.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    return EXAMPLES[name]()
