"""Turning the MODEL argument of every command into a scripted adapter.

In order: a path (anything ending in ``.nm``, containing a path separator, or naming an existing
file or a folder holding ``model.nm``) is loaded with ``neutone_export.load_neutone_model``; a name
is looked up among the entry points of group ``neutone.models`` (installed example models, each a
zero-argument callable returning a ``WaveformToWaveformBase``) and then among the models embedded
in this package; no argument means the embedded default, ``clipper``. Models built from Python are
scripted with ``neutone_export.script_neutone_model``, as ``save_neutone_model`` would, once per
process.

A non-realtime ("Gen") file resolves too: its kind (``neutone_export.kinds.dispatch``, the one
place that tells realtime from Gen) does not stream, and ``speed`` times it per clip. The native
host needs a file: ``model_file`` gives the path of a file model, or scripts and saves a named one
to a temporary ``.nm`` first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import torch

from neutone_bench.embedded import DEFAULT_MODEL, EMBEDDED_MODELS
from neutone_bench.model_spec import looks_like_path
from neutone_core import WaveformToWaveformBase
from neutone_export import NotANeutoneModelError, load_neutone_model, script_neutone_model
from neutone_export.kinds.dispatch import kind_of_module
from neutone_export.kinds.kind import ModelKind

#: Entry-point group under which packages advertise example models.
ENTRY_POINT_GROUP = "neutone.models"
#: Methods the commands call on a streaming file beyond what the plugin calls: the native settings
#: (`latency`'s table); both are in the Neutone SDK 1.5 contract.
STREAM_METHODS = ("get_native_sample_rates", "get_native_buffer_sizes")
#: Methods `speed` calls on a per-clip (Gen) file beyond what the plugin calls: the inputs and the
#: default knobs of a clip (`clip_speed.clip_inputs`).
CLIP_METHODS = (
    "get_audio_in_channels",
    "get_audio_out_channels",
    "get_numerical_params_default_values_0to1",
)


def bench_methods(kind: ModelKind) -> tuple[str, ...]:
    """The methods a file of ``kind`` needs for every command: what the plugin calls
    (``kind.plugin_methods``; a file without one is an imitation) and what the commands add.

    >>> from neutone_export.kinds.dispatch import KINDS
    >>> [bench_methods(kind)[0] for kind in KINDS]
    ['forward', 'forward_non_realtime']
    """
    extra = STREAM_METHODS if kind.streams else CLIP_METHODS
    return tuple(dict.fromkeys((*kind.plugin_methods, *extra)))


class ModelNotFoundError(ValueError):
    """The MODEL argument names no file, no installed model and no embedded model."""


@dataclass
class BenchModel:
    """A model ready to benchmark: the scripted adapter, a display name and where it came from.

    ``path`` is the file for a file model (else None).
    """

    module: torch.jit.ScriptModule
    name: str
    source: str  # "file", "entry point" or "embedded"
    path: Path | None = None

    @property
    def kind(self) -> ModelKind:
        """The model's kind, as the plugin reads it from the file: whether the host streams it
        (``kind.streams``) or calls it once per clip."""
        return kind_of_module(self.module)


_scripted: dict[tuple[str, str], torch.jit.ScriptModule] = {}


def entry_point_names() -> list[str]:
    """Names of the installed models in group ``neutone.models``, sorted."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def available_names() -> list[str]:
    """Every name MODEL may take: installed entry points, then the embedded models."""
    names = entry_point_names()
    return names + [name for name in EMBEDDED_MODELS if name not in names]


def _script_once(
    source: str, name: str, build: Callable[[], WaveformToWaveformBase]
) -> torch.jit.ScriptModule:
    key = (source, name)
    if key not in _scripted:
        _scripted[key] = script_neutone_model(build())
    return _scripted[key]


def resolve_model(spec: str | None) -> BenchModel:
    """The model that MODEL ``spec`` names (``None``: the embedded default).

    Raises ``ModelNotFoundError`` for an unknown name or a file that lacks a method of the Neutone
    SDK 1.5 contract; ``load_neutone_model``'s
    ``NotANeutoneModelError`` (a ``ValueError``) for a missing, corrupt or foreign file.
    """
    if spec is None:
        spec = DEFAULT_MODEL
        return BenchModel(
            _script_once("embedded", spec, EMBEDDED_MODELS[spec]), f"{spec} (embedded)", "embedded"
        )
    if looks_like_path(spec):
        path = Path(spec)
        if path.is_dir() and (path / "model.nm").is_file():
            path = path / "model.nm"
        try:
            module, _metadata = load_neutone_model(path)
        except NotANeutoneModelError:  # the realtime loader refuses Gen files: is it one?
            module, _metadata = load_neutone_model(path, strict=False)
            if kind_of_module(module).streams:
                raise
        needed = bench_methods(kind_of_module(module))
        missing = [name for name in needed if not module._c._has_method(name)]
        if missing:
            raise ModelNotFoundError(
                f"{path}: a TorchScript file but not a Neutone model (no method "
                f"{', '.join(missing)}); export it with neutone_export.save_neutone_model"
            )
        return BenchModel(module, str(path), "file", path=path)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == spec:
            return BenchModel(_script_once("entry point", spec, ep.load()), spec, "entry point")
    if spec in EMBEDDED_MODELS:
        return BenchModel(
            _script_once("embedded", spec, EMBEDDED_MODELS[spec]), f"{spec} (embedded)", "embedded"
        )
    raise ModelNotFoundError(
        f"no model file or model named {spec!r}; known names: {', '.join(available_names())}"
    )


@contextmanager
def model_file(bench: BenchModel) -> Iterator[Path]:
    """A `.nm` file holding ``bench``'s model, for the native host (which loads files only).

    A file model is its own file; a named model is saved (with its ``metadata.json``, as
    ``save_neutone_model`` writes it) to a temporary file removed afterwards.
    """
    if bench.path is not None:
        yield bench.path
        return
    with tempfile.TemporaryDirectory(prefix="neutone-bench-") as folder:
        path = Path(folder) / "model.nm"
        extra = {"metadata.json": bench.module.get_metadata_json()}
        torch.jit.save(bench.module, str(path), _extra_files=extra)
        yield path
