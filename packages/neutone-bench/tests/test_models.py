"""Resolving MODEL: paths, entry points of group `neutone.models`, embedded names."""

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from neutone_bench import models
from neutone_bench.models import ModelNotFoundError, available_names, resolve_model
from neutone_export import NotANeutoneModelError


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two installed models: one with its own name, one shadowing the embedded `smoother-48k`."""
    installed = [
        EntryPoint("fake-clipper", "neutone_bench.embedded:build_clipper", "neutone.models"),
        EntryPoint("smoother-48k", "neutone_bench.embedded:build_clipper", "neutone.models"),
    ]

    def entry_points(group: str) -> list[EntryPoint]:
        return [ep for ep in installed if ep.group == group]

    monkeypatch.setattr(models, "entry_points", entry_points)


def test_default_is_the_embedded_clipper() -> None:
    bench = resolve_model(None)
    assert (bench.name, bench.source) == ("clipper (embedded)", "embedded")
    assert bench.module.get_native_sample_rates() == []
    assert resolve_model(None).module is bench.module  # scripted once per process


def test_entry_points_come_before_embedded_names(fake_entry_points: None) -> None:
    bench = resolve_model("fake-clipper")
    assert (bench.name, bench.source) == ("fake-clipper", "entry point")
    assert bench.module.is_input_mono() is False
    shadowing = resolve_model("smoother-48k")
    assert shadowing.source == "entry point"
    assert shadowing.module.get_native_sample_rates() == []  # the clipper, not the smoother
    assert available_names() == ["fake-clipper", "smoother-48k", "clipper"]


def test_unknown_name_lists_the_known_ones(fake_entry_points: None) -> None:
    with pytest.raises(
        ModelNotFoundError, match="known names: fake-clipper, smoother-48k, clipper"
    ):
        resolve_model("nope")


@pytest.mark.parametrize("spec", ["missing.nm", "some/dir/model", "./x"])
def test_paths_go_to_the_loader(tmp_path: Path, spec: str) -> None:
    with pytest.raises(NotANeutoneModelError, match="no such file"):
        resolve_model(str(tmp_path / spec) if spec.startswith("some") else spec)


def test_a_folder_with_model_nm(smoother_file: Path) -> None:
    bench = resolve_model(str(smoother_file.parent))
    assert (bench.name, bench.source) == (str(smoother_file), "file")
    assert bench.module.get_native_buffer_sizes() == [2048]


def test_model_file_is_the_file_itself_or_a_temporary_copy(smoother_file: Path) -> None:
    from neutone_bench.models import model_file
    from neutone_export import load_neutone_model

    bench = resolve_model(str(smoother_file))
    with model_file(bench) as path:
        assert path == smoother_file
    named = resolve_model("smoother-48k")
    with model_file(named) as path:
        module, metadata = load_neutone_model(path)  # what the plugin's loader accepts
        assert module.get_native_buffer_sizes() == [2048] and metadata
    assert not path.exists() and not path.parent.exists()
