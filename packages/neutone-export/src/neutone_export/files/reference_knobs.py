"""Knobs the Neutone SDK 1.5.2's loader refuses, and a categorical knob written so that it loads.

That loader validates `metadata.json` against a schema whose parameter `type` must be
`continuous`: it refuses categorical, text and tokens knobs (its own categorical and text types
included). `reference_loader_refusals` names them in one line. A categorical knob can be written as
a `continuous` entry that carries `n_values` and `labels` (fields that schema allows), its default
as a position in [0, 1]: `write_reference_loader_knobs` (`save_neutone_model(...,
reference_loader_knobs=True)`). `read_reference_loader_knobs` reads such an entry back as the
categorical knob it is, marked `"stored_as": "continuous"`, so our tools step through its labels.
A text or tokens knob has no such form.

Example:
    >>> knob = {"name": "mode", "description": "m", "default_value": 1, "used": True,
    ...         "type": "categorical", "n_values": 3, "labels": ["a", "b", "c"]}
    >>> metadata = {"neutone_parameters": {"p1": knob}}
    >>> print(*reference_loader_refusals(metadata))  # doctest: +ELLIPSIS
    knob p1 'mode' is categorical: the Neutone SDK 1.5.2 loader accepts only continuous knobs (...)
    >>> written = write_reference_loader_knobs(metadata)["neutone_parameters"]["p1"]
    >>> written["type"], written["default_value"]
    ('continuous', 0.5)
    >>> read = read_reference_loader_knobs({"neutone_parameters": {"p1": written}})
    >>> knob = read["neutone_parameters"]["p1"]
    >>> knob["type"], knob["default_value"], knob["labels"], reference_loader_refusals(read)
    ('categorical', 1, ['a', 'b', 'c'], [])
"""

import copy
from typing import Any, Dict, List

REFERENCE_KNOB_TYPES = ("continuous",)
"""The parameter types the Neutone SDK 1.5.2 loader's metadata schema accepts."""
STORED_AS = "stored_as"
"""The key that marks a categorical knob read back from its continuous form."""


def _slots(metadata: Dict[str, Any]) -> Dict[str, Any]:
    slots = metadata.get("neutone_parameters")
    return slots if isinstance(slots, dict) else {}


def reference_loader_refusals(metadata: Dict[str, Any]) -> List[str]:
    """One line per knob the Neutone SDK 1.5.2 loader refuses, naming the knob and its type."""
    lines = []
    for slot, entry in sorted(_slots(metadata).items()):
        if not isinstance(entry, dict) or entry.get(STORED_AS) in REFERENCE_KNOB_TYPES:
            continue
        kind = entry.get("type")
        if kind in REFERENCE_KNOB_TYPES:
            continue
        fix = (
            "save with reference_loader_knobs=True to write it as one that loader accepts"
            if kind == "categorical"
            else "that loader cannot load this file"
        )
        lines.append(
            f"knob {slot} {entry.get('name', '')!r} is {kind}: the Neutone SDK 1.5.2 loader "
            f"accepts only continuous knobs ({fix})"
        )
    return lines


def write_reference_loader_knobs(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of `metadata` with every categorical knob written as a `continuous` entry carrying
    `n_values` and `labels`, its default as a position in [0, 1]."""
    written = copy.deepcopy(metadata)
    for entry in _slots(written).values():
        if isinstance(entry, dict) and entry.get("type") == "categorical":
            n_values = int(entry["n_values"])
            entry["type"] = "continuous"
            entry["default_value"] = float(entry["default_value"]) / max(1, n_values - 1)
    return written


def read_reference_loader_knobs(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """`metadata` with every categorical knob in its continuous form (`n_values` and `labels`)
    turned back into the categorical knob, marked `"stored_as": "continuous"`; unchanged when
    it holds none."""
    encoded = [
        slot
        for slot, entry in _slots(metadata).items()
        if isinstance(entry, dict)
        and entry.get("type") == "continuous"
        and isinstance(entry.get("n_values"), int)
        and entry["n_values"] >= 2
        and isinstance(entry.get("labels"), list)
        and len(entry["labels"]) == entry["n_values"]
    ]
    if not encoded:
        return metadata
    read = copy.deepcopy(metadata)
    for slot in encoded:
        entry = read["neutone_parameters"][slot]
        position = entry.get("default_value", 0.0)
        position = float(position) if isinstance(position, (int, float)) else 0.0
        entry["type"] = "categorical"
        entry["default_value"] = round(position * (entry["n_values"] - 1))
        entry[STORED_AS] = "continuous"
    return read
