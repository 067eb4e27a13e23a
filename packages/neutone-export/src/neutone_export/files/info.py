"""What a `.nm` file holds, in one screen: `neutone-export info MODEL`.

The metadata inside a file is mostly base64 MP3; this reads the fields a researcher asks about
(name, version, authors, descriptions, channel layout, knobs, native settings, SDK and torch
versions), asks the module for its delay at the host settings a DAW commonly uses, and reads the
verdict of the last validation from a `report.json` beside the file, if there is one. The result
is a dictionary ready for JSON and rows of (field, value) texts for a table.
"""

import json
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from neutone_export.audio import host
from neutone_export.audio.knobs import Knob, knobs_of
from neutone_export.errors import one_line
from neutone_export.files.load import load_neutone_model, made_by_reference_sdk
from neutone_export.module_types import as_plugin

REPORT_FILE = "report.json"
MADE_BY_NEUTONE = "neutone-core"
"""Who wrote a file of ours: the metadata's `sdk_version` is neutone-core's version."""
MADE_BY_REFERENCE = "Neutone SDK"
"""Who wrote a file of the Neutone SDK 1.5 (`made_by_reference_sdk`)."""

COMMON_SETTINGS: Tuple[Tuple[int, int], ...] = (
    (44100, 128),
    (44100, 512),
    (48000, 128),
    (48000, 512),
    (48000, 2048),
    (96000, 512),
)
"""(sample rate Hz, buffer size samples) at which the delay is reported: what DAWs default to."""


@dataclass
class DelayAt:
    """Delay the model reports at one host setting, in host samples and milliseconds.

    `parts` is the split by `get_delay_breakdown` (buffering, resampling, look_ahead, model,
    total); empty for files without it (Neutone SDK 1.5). `refused` holds the model's message when
    it refuses the setting (`samples` and `milliseconds` are then None).
    """

    sample_rate: int
    buffer_size: int
    samples: Optional[int]
    milliseconds: Optional[float]
    parts: Dict[str, int] = field(default_factory=dict)
    refused: str = ""


@dataclass
class ModelInfo:
    """Everything `neutone-export info` shows about one file."""

    path: str
    file_bytes: int
    name: str
    version: str
    authors: List[str]
    description: str
    long_description: str
    channel_layout: str
    knobs: List[Knob]
    native_sample_rates: List[int]
    native_buffer_sizes: List[int]
    delays: List[DelayAt]
    sdk_version: str
    pytorch_version: str
    created: str
    validation: Dict[str, Any] | None
    made_by: str = MADE_BY_NEUTONE
    """The tool that wrote the file: `MADE_BY_NEUTONE` or `MADE_BY_REFERENCE` (its version is
    `sdk_version`, the metadata's name for it)."""

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary (knobs and delays as lists of dictionaries)."""
        return asdict(self)

    def rows(self) -> List[Tuple[str, str]]:
        """(field, value) texts, one row per field and one per knob and host setting."""
        rows = [
            ("name", self.name),
            ("version", self.version),
            ("authors", ", ".join(self.authors) or "-"),
            ("description", self.description or "-"),
            ("long description", self.long_description or "-"),
            ("channels", self.channel_layout),
        ]
        if not self.knobs:
            rows.append(("knobs", "none"))
        for knob in self.knobs:
            rows.append((f"knob p{knob.slot + 1}", _knob_text(knob)))
        rows += [
            ("native sample rates", _list_or_any(self.native_sample_rates, "Hz")),
            ("native buffer sizes", _list_or_any(self.native_buffer_sizes, "samples")),
        ]
        for delay in self.delays:
            rows.append((f"delay at {delay.sample_rate} Hz / {delay.buffer_size}", _delay(delay)))
        rows += [
            ("file size", f"{self.file_bytes / 1e6:.2f} MB ({self.file_bytes} bytes)"),
            ("made by", f"{self.made_by} {self.sdk_version}, torch {self.pytorch_version}"),
            ("created", self.created),
            ("last validation", _validation_text(self.validation)),
        ]
        return rows


def _list_or_any(values: List[int], unit: str) -> str:
    return ", ".join(f"{v}" for v in values) + f" {unit}" if values else f"any ({unit})"


def _delay(delay: DelayAt) -> str:
    if delay.samples is None or delay.milliseconds is None:
        return f"refused by the model: {delay.refused}"
    split = ", ".join(f"{k} {v}" for k, v in delay.parts.items() if k != "total")
    text = f"{delay.samples} samples ({delay.milliseconds:.2f} ms)"
    return f"{text}: {split}" if split else text


def readable(value: float) -> str:
    """A number as a person writes it: no exponent between 0.001 and a million, four significant
    digits (all of the whole part), no trailing zeros.

    Example:
        >>> [readable(v) for v in (20000.0, 0.5, 440.0, 0.70711, 1234.5678, 1e-05, 0.0)]
        ['20000', '0.5', '440', '0.7071', '1235', '1e-05', '0']
    """
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if not 0.001 <= magnitude < 1e6:
        return f"{value:.4g}"
    digits = max(0, 3 - math.floor(math.log10(magnitude)))
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _knob_text(knob: Knob) -> str:
    labelled = knob.kind == "categorical" and bool(knob.labels)
    default = knob.describe(knob.default) if labelled else readable(knob.value_at(knob.default))
    if knob.kind == "categorical":
        what = f"categorical {' | '.join(knob.labels)}"
    else:
        what = f"continuous {knob.minimum:g}..{knob.maximum:g}"
    hidden = " (hidden)" if not knob.used else ""
    about = f" - {knob.description}" if knob.description else ""
    return f"{knob.name}: {what}, default {default}{hidden}{about}"


def _validation_text(validation: Dict[str, Any] | None) -> str:
    if validation is None:
        return f"none (no {REPORT_FILE} beside the file)"
    verdict = "passed" if validation["passed"] else "FAILED: " + ", ".join(validation["failed"])
    counts = ", ".join(f"{n} {status}" for status, n in validation["counts"].items())
    return f"{verdict} ({counts}), {validation['written']}"


def _created(metadata: Dict[str, Any]) -> str:
    stamp = metadata.get("date_created")
    if not isinstance(stamp, (int, float)):
        return "unknown"
    return datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _layout(module: nn.Module, metadata: Dict[str, Any]) -> str:
    if metadata.get("model_type"):
        return str(metadata["model_type"])
    plugin = as_plugin(module)
    ins = "mono" if plugin.is_input_mono() else "stereo"
    outs = "mono" if plugin.is_output_mono() else "stereo"
    return f"{ins}-{outs}"


def delays_at(
    module: nn.Module, settings: Sequence[Tuple[int, int]] = COMMON_SETTINGS
) -> List[DelayAt]:
    """The delay the module reports at each (sample rate, buffer size); the module is reset."""
    delays = []
    for sample_rate, buffer_size in settings:
        try:
            host.configure(module, sample_rate, buffer_size)
        except (torch.jit.Error, RuntimeError) as error:
            delays.append(DelayAt(sample_rate, buffer_size, None, None, refused=one_line(error)))
            continue
        total = host.reported_delay(module)
        parts: Dict[str, int] = {}
        if hasattr(module, "get_delay_breakdown"):
            parts = {str(k): int(v) for k, v in as_plugin(module).get_delay_breakdown().items()}
        delays.append(DelayAt(sample_rate, buffer_size, total, 1e3 * total / sample_rate, parts))
    as_plugin(module).reset()
    return delays


def validation_summary(report_path: Path) -> Dict[str, Any] | None:
    """Verdict, counts by status and failed checks of a `report.json`; None if absent or foreign."""
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        checks = report["checks"]
        counts: Dict[str, int] = {}
        for check in checks:
            counts[check["status"]] = counts.get(check["status"], 0) + 1
        failed = [check["name"] for check in checks if check["status"] == "fail"]
        passed = bool(report["passed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    written = datetime.fromtimestamp(os.path.getmtime(report_path), tz=timezone.utc)
    return {
        "passed": passed,
        "counts": counts,
        "failed": failed,
        "report": str(report_path),
        "written": written.strftime("%Y-%m-%d %H:%M UTC"),
    }


def model_info(path: Union[str, Path]) -> ModelInfo:
    """Read `path` (a `.nm` file, ours or the Neutone SDK 1.5's) and describe it.

    Raises `NotANeutoneModelError` (a ValueError, one line) for a missing or foreign file.
    """
    path = Path(path)
    module, metadata = load_neutone_model(path)
    return ModelInfo(
        path=str(path),
        file_bytes=path.stat().st_size,
        name=str(metadata.get("model_name", "")),
        version=str(metadata.get("model_version", "")),
        authors=[str(a) for a in metadata.get("model_authors", [])],
        description=str(metadata.get("model_short_description", "")),
        long_description=str(metadata.get("model_long_description", "")),
        channel_layout=_layout(module, metadata),
        knobs=knobs_of(module, metadata),
        native_sample_rates=[int(r) for r in module.get_native_sample_rates()],
        native_buffer_sizes=[int(b) for b in module.get_native_buffer_sizes()],
        delays=delays_at(module),
        sdk_version=str(metadata.get("sdk_version", "unknown")),
        pytorch_version=str(metadata.get("pytorch_version", "unknown")),
        created=_created(metadata),
        validation=validation_summary(path.with_name(REPORT_FILE)),
        made_by=MADE_BY_REFERENCE if made_by_reference_sdk(module) else MADE_BY_NEUTONE,
    )
