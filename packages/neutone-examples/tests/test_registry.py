"""The registry and the `neutone.models` entry points list the same examples."""

import importlib
from pathlib import Path

import pytest

from neutone_core import WaveformToWaveformBase
from neutone_examples.registry import EXAMPLES, build_example, example_names

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_entry_points_declare_exactly_the_registry() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    declared = project["entry-points"]["neutone.models"]
    assert sorted(declared) == sorted(EXAMPLES)
    for name, target in declared.items():
        module_name, _, attribute = target.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        assert factory is EXAMPLES[name], name


def test_factories_build_distinct_fresh_models() -> None:
    models = [build_example(name) for name in example_names()]
    assert all(isinstance(model, WaveformToWaveformBase) for model in models)
    model_names = [model.get_model_name() for model in models]
    assert len(set(model_names)) == len(model_names), model_names
    assert build_example("clipper") is not build_example("clipper")


def test_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown example 'nope'; known: clipper"):
        build_example("nope")
