"""A model's knobs as read from its metadata, and knob values given by name turned into the
`(4, n)` knob signal the plugin sends.

The plugin moves every knob in [0, 1] (its position) and the adapter maps the position to what the
model receives (a range for a continuous knob, an index for a categorical one). Values given here
are positions too, so `drive=0.7` means what the plugin's knob at 70 % means. A categorical knob
also takes one of its labels (`mode=fold`). `a:b` is a ramp from `a` to `b` over the signal, the
way an automation lane would move the knob.

Example:
    >>> knobs = [Knob(0, "drive", "continuous", "", 0.5, True, 0.0, 4.0, [])]
    >>> parse_knob_values(["drive=0:1"], knobs)
    {'drive': (0.0, 1.0)}
    >>> knob_signal({"drive": (0.0, 1.0)}, knobs, 3)[0].tolist()
    [0.0, 0.5, 1.0]
"""

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from neutone_export.audio.host import N_KNOBS
from neutone_export.module_types import as_plugin

KnobValue = Union[float, Tuple[float, float]]
"""A knob position in [0, 1], or a ramp (start, end) over the signal."""


class KnobError(ValueError):
    """A knob value that names no knob or lies outside [0, 1]; the message names the fix."""


@dataclass
class Knob:
    """One knob of a model, as the metadata describes it.

    `slot` is its row in the plugin's knob signal (0 for `p1`); `default` is a position in [0, 1];
    `minimum`/`maximum` are what the model receives at positions 0 and 1 (for a categorical knob,
    the first and last index); `labels` name a categorical knob's values.
    """

    slot: int
    name: str
    kind: str
    description: str
    default: float
    used: bool
    minimum: float
    maximum: float
    labels: List[str] = field(default_factory=list)

    def position_of(self, text: str) -> float:
        """The position meant by `text`: a number in [0, 1] or, for a categorical knob, a label."""
        if text in self.labels:
            return self.labels.index(text) / max(1, len(self.labels) - 1)
        try:
            value = float(text)
        except ValueError:
            hint = f" or one of the labels {self.labels}" if self.labels else ""
            raise KnobError(f"--knob {self.name}={text}: not a number in [0, 1]{hint}") from None
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise KnobError(
                f"--knob {self.name}={text}: a knob position must be in [0, 1] (the plugin's "
                f"knob travel; the model receives {self.minimum:g}..{self.maximum:g})"
            )
        return value

    def value_at(self, position: float) -> float:
        """What the model receives at `position`, as the adapter maps it."""
        value = self.minimum + position * (self.maximum - self.minimum)
        return float(round(value)) if self.kind == "categorical" else value

    def describe(self, position: float) -> str:
        """A short text for a position: the label of a categorical knob, else the model value."""
        if self.kind == "categorical" and self.labels:
            return self.labels[int(self.value_at(position))]
        return f"{self.value_at(position):.3g}"

    def label(self, position: float) -> str:
        """`name=position`, with what the model receives when that reads differently:
        "gain=0.5 (2)", "mode=1 (fold)", "mix=0.5"."""
        text = f"{self.name}={position:.3g}"
        value = self.describe(position)
        return text if value == f"{position:.3g}" else f"{text} ({value})"

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return asdict(self)


def knobs_from_metadata(metadata: Mapping[str, Any], defaults: Sequence[float]) -> List[Knob]:
    """The knobs named in `neutone_parameters` (`p1`..`p4`), in slot order.

    `defaults` are the 4 default positions in [0, 1] the module sends when the host sends none
    (`get_default_param_values()`); the metadata's `default_value` is in the knob's own units,
    which differ between SDK versions. Unused slots and non-numerical knobs are left out. Files
    from the Neutone SDK 1.5 carry no range: positions map to [0, 1] there, as in its plugin.
    """
    parameters = metadata.get("neutone_parameters", {}) or {}
    knobs = []
    for slot in range(N_KNOBS):
        entry = parameters.get(f"p{slot + 1}")
        if not entry or not entry.get("name"):
            continue
        kind = str(entry.get("type", "continuous"))
        labels = [str(label) for label in entry.get("labels", []) or []]
        if kind == "categorical":
            count = int(entry.get("n_values", len(labels) or 2))
            low, high = 0.0, float(count - 1)
        elif kind == "continuous":
            low = float(entry.get("min_value", 0.0))
            high = float(entry.get("max_value", 1.0))
        else:
            continue
        knobs.append(
            Knob(
                slot=slot,
                name=str(entry["name"]),
                kind=kind,
                description=str(entry.get("description", "")),
                default=float(defaults[slot]),
                used=bool(entry.get("used", True)),
                minimum=low,
                maximum=high,
                labels=labels,
            )
        )
    return knobs


def knobs_of(module: nn.Module, metadata: Mapping[str, Any]) -> List[Knob]:
    """The knobs of a loaded adapter, with the default positions it reports (0 if it cannot)."""
    defaults: List[float] = []
    if hasattr(module, "get_default_param_values"):
        positions = as_plugin(module).get_default_param_values()
        defaults = [float(v) for v in positions.flatten().tolist()]
    return knobs_from_metadata(metadata, (defaults + [0.0] * N_KNOBS)[:N_KNOBS])


def _find(name: str, knobs: Sequence[Knob]) -> Knob:
    for knob in knobs:
        if knob.name == name:
            return knob
    names = ", ".join(k.name for k in knobs) or "none (this model has no knobs)"
    raise KnobError(f"--knob {name}: no knob of that name; knobs: {names}")


def parse_knob_values(texts: Sequence[str], knobs: Sequence[Knob]) -> Dict[str, KnobValue]:
    """Turn `name=value` and `name=a:b` texts into positions (floats or ramps), by knob name."""
    values: Dict[str, KnobValue] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise KnobError(f"--knob {text}: write name=value or name=start:end, e.g. drive=0.7")
        knob = _find(name.strip(), knobs)
        if ":" in value:
            start, _, end = value.partition(":")
            values[knob.name] = (knob.position_of(start.strip()), knob.position_of(end.strip()))
        else:
            values[knob.name] = knob.position_of(value.strip())
    return values


def check_knob_values(values: Mapping[str, object], knobs: Sequence[Knob]) -> None:
    """Raise `KnobError` for a name that is no knob or a position outside [0, 1]."""
    for name, value in values.items():
        _find(name, knobs)
        for position in value if isinstance(value, tuple) else (value,):
            if not (isinstance(position, (int, float)) and 0.0 <= position <= 1.0):
                raise KnobError(f"knobs: {name}={position!r} must be a position in [0, 1]")


def knob_signal(
    values: Mapping[str, KnobValue],
    knobs: Sequence[Knob],
    n: int,
    start: int = 0,
    count: int | None = None,
) -> Tensor:
    """The `(4, count)` knob positions the plugin would send from sample `start` on, for a file
    of `n` samples (default: the whole file, `count = n`).

    Knobs not in `values` sit at their default; a ramp moves linearly from its start (sample 0) to
    its end (sample `n - 1`); every knob holds its last value after sample `n - 1` (the tail
    rendered after the input ends). Computed per slice, so a long file needs no signal in memory.
    """
    check_knob_values(values, knobs)
    count = n - start if count is None else count
    rows = torch.zeros(N_KNOBS, count)
    for knob in knobs:
        rows[knob.slot] = knob.default
    index = torch.arange(start, start + count, dtype=torch.float64)
    progress = (index / max(1, n - 1)).clamp(0.0, 1.0)
    for name, value in values.items():
        first, last = value if isinstance(value, tuple) else (value, value)
        rows[_find(name, knobs).slot] = (first + (last - first) * progress).to(torch.float32)
    return rows
