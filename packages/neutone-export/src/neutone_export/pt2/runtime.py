"""Stream a pt2 package from Python, as the plugin streams a `.nm`.

`PackageRuntime` IS core's `RealtimeAdapter` (eager): the same channel conversion, resamplers,
block queue, knob queue and sample-and-hold, output FIFO and delay plan, with one method replaced:
the block method (`RealtimeAdapter._process_block`) runs the package's compiled graph instead of
the Python model. The model's settings come from the package's ``manifest.json`` alone (a stand-in
wrapper answers the getters), so a package streams without its Python class.

Reset (the manifest's ``"reset": "reload"``): the compiled graph keeps its state in its own
buffers, which nothing outside it can write; `reset` reloads the graph, which brings back the
state it was captured with (the model's state after ``reset()``).
"""

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import torch
from torch import Tensor, nn

from neutone_core import RealtimeAdapter, WaveformToWaveformBase
from neutone_core.parameters import CategoricalNeutoneParameter, ContinuousNeutoneParameter
from neutone_export.pt2.package import FORMAT, MANIFEST, VERSION

Graph = Callable[[Tensor, Tensor], Tensor]


class PackageError(ValueError):
    """A folder that is not a pt2 package this runtime reads, or a setting it has no graph for."""


def read_manifest(package_dir: Union[str, Path]) -> Dict[str, Any]:
    """The package's manifest, checked for its format and version (PackageError if not)."""
    path = Path(package_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise PackageError(f"{package_dir} is not a pt2 package: {MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise PackageError(
            f"{path} is not a {FORMAT} version {VERSION} manifest (format "
            f"{manifest.get('format')!r}, version {manifest.get('version')!r})"
        )
    return dict(manifest)


def _knob(entry: Dict[str, Any]) -> Any:
    if entry["type"] == CategoricalNeutoneParameter.type_name:
        return CategoricalNeutoneParameter(
            entry["name"],
            entry["description"],
            int(entry["n_values"]),
            int(entry["default_value"]),
            list(entry["labels"]),
            bool(entry["used"]),
        )
    return ContinuousNeutoneParameter(
        entry["name"],
        entry["description"],
        float(entry["default_value"]),
        float(entry["min_value"]),
        float(entry["max_value"]),
        bool(entry["used"]),
    )


class ManifestWrapper(WaveformToWaveformBase):
    """A stand-in for the packaged model: every getter answers from the manifest; the model
    itself is the package's graph, which `PackageRuntime` calls in its place."""

    def __init__(self, manifest: Dict[str, Any]) -> None:
        super().__init__(nn.Identity())
        self.manifest = manifest
        self.meta: Dict[str, Any] = dict(manifest["metadata"])

    def get_model_name(self) -> str:
        return str(self.meta["model_name"])

    def get_model_authors(self) -> List[str]:
        return list(self.meta["model_authors"])

    def get_model_version(self) -> str:
        return str(self.meta["model_version"])

    def get_model_short_description(self) -> str:
        return str(self.meta["model_short_description"])

    def get_model_long_description(self) -> str:
        return str(self.meta["model_long_description"])

    def get_technical_description(self) -> str:
        return str(self.meta["technical_description"])

    def get_technical_links(self) -> Dict[str, str]:
        return dict(self.meta["technical_links"])

    def get_tags(self) -> List[str]:
        return list(self.meta["tags"])

    def get_citation(self) -> str:
        return str(self.meta["citation"])

    def is_experimental(self) -> bool:
        return bool(self.meta["is_experimental"])

    def get_neutone_parameters(self) -> List[Any]:
        return [_knob(entry) for entry in self.manifest["knobs"]]

    def is_input_mono(self) -> bool:
        return int(self.manifest["in_channels"]) == 1

    def is_output_mono(self) -> bool:
        return int(self.manifest["out_channels"]) == 1

    def get_native_sample_rates(self) -> List[int]:
        return [int(r) for r in self.manifest["native_sample_rates"]]

    def get_native_buffer_sizes(self) -> List[int]:
        return [int(b) for b in self.manifest["native_buffer_sizes"]]

    def calc_model_delay_samples(self) -> int:
        return int(self.manifest["model_delay"])

    def get_look_behind_samples(self) -> int:
        return int(self.manifest["look_behind"])

    def get_look_ahead_samples(self) -> int:
        return int(self.manifest["look_ahead"])

    def get_wet_default_value(self) -> float:
        return float(self.meta["wet_default_value"])

    def get_dry_default_value(self) -> float:
        return float(self.meta["dry_default_value"])

    def get_input_gain_default_value(self) -> float:
        return float(self.meta["input_gain_default_value"])

    def get_output_gain_default_value(self) -> float:
        return float(self.meta["output_gain_default_value"])

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        """Zeros of the output's shape: only the adapter's construction calls it (shape check)."""
        block = x.size(1) - self.get_look_behind_samples() - self.get_look_ahead_samples()
        return x.new_zeros(int(self.manifest["out_channels"]), block)


class PackageRuntime(RealtimeAdapter):
    """Streams a pt2 package: ``set_daw_sample_rate_and_buffer_size``, ``forward``, ``reset`` and
    every getter behave as those of the `.nm` of the same wrapper.

    Args:
        package_dir: the package folder (``model.pt2pkg``).

    Raises:
        PackageError: not a package, or (when configured) no graph for the native settings.
    """

    def __init__(self, package_dir: Union[str, Path]) -> None:
        manifest = read_manifest(package_dir)
        # Plain attributes before the adapter's __init__, which configures (and so loads).
        self.package_dir = Path(package_dir)
        self.manifest = manifest
        self.graph: Optional[Graph] = None
        super().__init__(ManifestWrapper(manifest), str(manifest["resampling_quality"]))

    def forward_entry(self, native_sr: int, native_bs: int) -> Dict[str, Any]:
        """The manifest's graph for a native rate and block size (0: any length)."""
        for entry in self.manifest["forwards"]:
            rate_fits = int(entry["sample_rate"]) in (0, native_sr)
            size_fits = bool(entry["dynamic"]) or int(entry["buffer_size"]) == native_bs
            if rate_fits and size_fits:
                return dict(entry)
        held = [
            (e["sample_rate"] or "any", e["buffer_size"] or "any")
            for e in self.manifest["forwards"]
        ]
        raise PackageError(
            f"the package has no graph for {native_sr} Hz, block {native_bs or 'any'} (it holds "
            f"(rate, block) {held})"
        )

    def reset(self) -> None:
        """The adapter's reset (queues, resamplers), then the graph reloaded (its initial state)."""
        super().reset()
        entry = self.forward_entry(self.native_sr, self.native_bs)
        if bool(entry["dynamic"]) and self.block_max > int(entry["max_block"]):
            raise PackageError(
                f"blocks of up to {self.block_max} samples at these settings; the package's graph "
                f"takes at most {entry['max_block']}: use smaller host buffers"
            )
        self.graph = torch._inductor.aoti_load_package(str(self.package_dir / entry["file"]))

    def _process_block(self, x: Tensor, positions: Optional[Tensor], n: int) -> Tensor:
        """The package's graph on one block (default knob positions when none are queued)."""
        if positions is None:
            positions = self.knobs.default_positions(n)
        if self.graph is None:
            raise PackageError("the package runtime is not configured")
        return self.graph(x.contiguous(), positions.contiguous())
