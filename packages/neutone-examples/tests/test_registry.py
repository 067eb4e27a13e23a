"""The registry and the `neutone.models` entry points list the same examples."""

import importlib
from pathlib import Path

import pytest

from neutone_core import NonRealtimeBase, WaveformToWaveformBase
from neutone_examples.registry import EXAMPLES, GEN_EXAMPLES, build_example, example_names

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_entry_points_declare_exactly_the_registry() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    for group, registry in (("neutone.models", EXAMPLES), ("neutone.gen_models", GEN_EXAMPLES)):
        declared = project["entry-points"][group]
        assert sorted(declared) == sorted(registry), group
        for name, target in declared.items():
            module_name, _, attribute = target.partition(":")
            factory = getattr(importlib.import_module(module_name), attribute)
            assert factory is registry[name], name


def test_factories_build_distinct_fresh_models() -> None:
    assert all(isinstance(build_example(name), WaveformToWaveformBase) for name in EXAMPLES)
    assert all(isinstance(build_example(name), NonRealtimeBase) for name in GEN_EXAMPLES)
    # Ported examples keep the Neutone SDK's text, model name included; ours are all distinct.
    ours = [name for name in example_names() if not name.startswith("ported_")]
    model_names = [build_example(name).get_model_name() for name in ours]
    assert len(set(model_names)) == len(model_names), model_names
    assert build_example("clipper") is not build_example("clipper")


def test_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown example 'nope'; known: clipper"):
        build_example("nope")
