"""The metadata dictionary of the `.nm` contract: build, validate, carry it in TorchScript.

`build_metadata` reads a model's getters into the dictionary the plugin reads (keys and limits in
``plugin-interface.md``); `validate_metadata` checks it in pure Python, offline (links are checked
for form, never fetched), and reports every violation at once with its key and the limit. No global
schema is involved, so nothing is mutated between calls. `ScriptedMetadata` stores the dictionary
in typed attributes so that the scripted adapter's ``to_metadata()`` can rebuild it after
``torch.jit.load``.

Example:
    >>> meta = {"model_name": "x" * 31}
    >>> try:
    ...     validate_metadata(meta)
    ... except MetadataError as e:
    ...     print(e.violations[0], "|", e.violations[-1])
    model_authors: required | model_name: at most 30 characters, got 31
"""

import json
import math
import re
import time
from typing import Any, Dict, List, Tuple, TypeGuard
from urllib.parse import urlparse

import torch
from torch import nn

from neutone_core.__about__ import __version__
from neutone_core.limits import (
    MAX_BUFFER_SIZE,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    LimitError,
    check_metadata_limits,
)
from neutone_core.parameters import (
    MAX_NUMERICAL_PARAMETERS,
    MAX_REALTIME_PARAMETERS,
    MAX_TEXT_PARAMETERS,
    MAX_TOKENS_PARAMETERS,
    NO_LIMIT,
)

PARAMETER_SLOTS = [f"p{i + 1}" for i in range(MAX_REALTIME_PARAMETERS)]
NON_REALTIME_PARAMETER_SLOTS = [
    f"p{i + 1}"
    for i in range(MAX_NUMERICAL_PARAMETERS + MAX_TEXT_PARAMETERS + MAX_TOKENS_PARAMETERS)
]
MODEL_TYPES = {
    (True, True): "mono-mono",
    (True, False): "mono-stereo",
    (False, True): "stereo-mono",
    (False, False): "stereo-stereo",
}
MAX_REALTIME_SAMPLE_RATE = 96000
MAX_NON_REALTIME_SAMPLE_RATE = MAX_SAMPLE_RATE

_TEXT_LIMITS = {
    "model_name": 30,
    "model_short_description": 150,
    "model_long_description": 500,
    "technical_description": 500,
    "citation": 300,
}
_UNIT_KEYS = [
    "wet_default_value",
    "dry_default_value",
    "input_gain_default_value",
    "output_gain_default_value",
]
_REQUIRED_KEYS = [
    "model_name",
    "model_authors",
    "model_version",
    "model_short_description",
    "model_long_description",
    "technical_description",
    "technical_links",
    "tags",
    "citation",
    "is_experimental",
    "sample_sound_files",
    "neutone_parameters",
    *_UNIT_KEYS,
    "native_sample_rates",
    "native_buffer_sizes",
    "sdk_version",
    "pytorch_version",
    "date_created",
]
_REALTIME_KEYS = ["is_input_mono", "is_output_mono", "model_type", "look_behind_samples"]
_NON_REALTIME_KEYS = [
    "audio_in_channels",
    "audio_out_channels",
    "audio_in_labels",
    "audio_out_labels",
    "is_one_shot_model",
    "is_text_model",
    "is_tokens_model",
    "model_bpm",
]
_KIND_LIMITS = {
    "numerical": MAX_NUMERICAL_PARAMETERS,
    "text": MAX_TEXT_PARAMETERS,
    "tokens": MAX_TOKENS_PARAMETERS,
}


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no metadata text may carry: C0/C1 controls (terminal escapes; tab and newline are
text) and the bidirectional overrides that make a text read differently from what it holds."""


def control_character_problems(metadata: Any, key: str = "metadata") -> List[str]:
    """Every string in `metadata` (keys included) that carries a `CONTROL_CHARACTERS` one, as
    ``"key: carries control character U+001B"``.

    >>> control_character_problems({"model_name": "ok\x1b[2J"})
    ['model_name: carries control character U+001B']
    """
    found: List[str] = []
    if isinstance(metadata, str):
        match = CONTROL_CHARACTERS.search(metadata)
        if match:
            found.append(f"{key}: carries control character U+{ord(match.group()):04X}")
    elif isinstance(metadata, dict):
        for name, value in metadata.items():
            inner = str(name) if key == "metadata" else f"{key}.{name}"
            found += control_character_problems(str(name), inner)
            found += control_character_problems(value, inner)
    elif isinstance(metadata, list):
        for i, value in enumerate(metadata):
            found += control_character_problems(value, f"{key}[{i}]")
    return found


class MetadataError(ValueError):
    """Invalid metadata; ``violations`` lists every problem as ``"key: rule, got value"``."""

    def __init__(self, violations: List[str]) -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"invalid metadata ({len(self.violations)} problems):\n{lines}")


def unused_parameter_slot() -> Dict[str, Any]:
    """The metadata entry of a knob slot the model does not use."""
    return {
        "name": "",
        "description": "",
        "default_value": 0.0,
        "used": False,
        "type": "continuous",
    }


def _common_metadata(model: Any, slots: Dict[str, Any]) -> Dict[str, Any]:
    """The keys every model has, read from its getters; `slots` is ``neutone_parameters``."""
    return {
        "model_name": model.get_model_name(),
        "model_authors": list(model.get_model_authors()),
        "model_version": model.get_model_version(),
        "model_short_description": model.get_model_short_description(),
        "model_long_description": model.get_model_long_description(),
        "technical_description": model.get_technical_description(),
        "technical_links": dict(model.get_technical_links()),
        "tags": list(model.get_tags()),
        "citation": model.get_citation(),
        "is_experimental": model.is_experimental(),
        "sample_sound_files": [],
        "neutone_parameters": slots,
        "wet_default_value": model.get_wet_default_value(),
        "dry_default_value": model.get_dry_default_value(),
        "input_gain_default_value": model.get_input_gain_default_value(),
        "output_gain_default_value": model.get_output_gain_default_value(),
        "native_sample_rates": list(model.get_native_sample_rates()),
        "native_buffer_sizes": list(model.get_native_buffer_sizes()),
        "sdk_version": __version__,
        "pytorch_version": torch.__version__,
        "date_created": time.time(),
    }


def build_metadata(model: Any) -> Dict[str, Any]:
    """The metadata dictionary of a `WaveformToWaveformBase` (realtime keys included).

    ``sample_sound_files`` is empty: the export adds the rendered samples.
    """
    params = list(model.get_neutone_parameters())
    slots: Dict[str, Any] = {}
    for i, slot in enumerate(PARAMETER_SLOTS):
        slots[slot] = params[i].to_metadata_dict() if i < len(params) else unused_parameter_slot()
    in_mono = bool(model.is_input_mono())
    out_mono = bool(model.is_output_mono())
    return {
        **_common_metadata(model, slots),
        "is_input_mono": in_mono,
        "is_output_mono": out_mono,
        "model_type": MODEL_TYPES[(in_mono, out_mono)],
        "look_behind_samples": model.get_look_behind_samples(),
        "look_ahead_samples": model.get_look_ahead_samples(),
    }


def build_non_realtime_metadata(model: Any) -> Dict[str, Any]:
    """The metadata dictionary of a `NonRealtimeBase` (the Neutone SDK 1.5's Gen keys included).

    Parameters fill ``p1``, ``p2``, ... in the order of ``get_neutone_parameters()``, used ones
    only, as the Neutone SDK writes them. ``sample_sound_files`` is empty.
    """
    params = list(model.get_neutone_parameters())
    slots = {f"p{i + 1}": p.to_metadata_dict() for i, p in enumerate(params)}
    bpm = model.get_model_bpm()
    return {
        **_common_metadata(model, slots),
        "audio_in_channels": [int(c) for c in model.get_audio_in_channels()],
        "audio_out_channels": [int(c) for c in model.get_audio_out_channels()],
        "audio_in_labels": list(model.get_audio_in_labels()),
        "audio_out_labels": list(model.get_audio_out_labels()),
        "is_one_shot_model": bool(model.is_one_shot_model()),
        "is_text_model": any(p.type_name == "text" for p in params),
        "is_tokens_model": any(p.type_name == "tokens" for p in params),
        "model_bpm": None if bpm is None else int(bpm),
    }


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_int_list(value: Any) -> bool:
    """A non-empty list of ints (an empty list is stored with the string lists)."""
    return isinstance(value, list) and bool(value) and all(_is_int(v) for v in value)


def _check_text(out: List[str], key: str, value: Any, limit: int | None) -> None:
    if not isinstance(value, str):
        out.append(f"{key}: must be a string, got {type(value).__name__} {value!r}")
    elif limit is not None and len(value) > limit:
        out.append(f"{key}: at most {limit} characters, got {len(value)}")


def _check_link(out: List[str], key: str, url: Any) -> None:
    if not isinstance(url, str):
        out.append(f"{key}: must be a URL string, got {type(url).__name__} {url!r}")
        return
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in url:
        out.append(f"{key}: must be an http(s) URL with a host, got {url!r}")


def _check_string_list(
    out: List[str], key: str, value: Any, max_items: int, max_chars: int | None
) -> None:
    if not isinstance(value, list):
        out.append(f"{key}: must be a list of strings, got {type(value).__name__}")
        return
    if len(value) > max_items:
        out.append(f"{key}: at most {max_items} entries, got {len(value)}")
    if len(set(map(repr, value))) != len(value):
        out.append(f"{key}: entries must be unique, got {value!r}")
    for i, item in enumerate(value):
        _check_text(out, f"{key}[{i}]", item, max_chars)


def _check_limit(out: List[str], key: str, value: Any) -> None:
    if not (_is_int(value) and (value == NO_LIMIT or value >= 1)):
        out.append(f"{key}: -1 (no limit) or an int >= 1, got {value!r}")


def _check_numerical_default(out: List[str], key: str, p: Dict[str, Any], kind: str) -> None:
    """A continuous default lies in [min_value, max_value] (its own units, [0, 1] without a
    range); a categorical default is an index."""
    if "default_value" not in p:
        return
    default = p["default_value"]
    if kind == "continuous":
        low, high = p.get("min_value", 0.0), p.get("max_value", 1.0)
        if not (_is_number(low) and _is_number(high)):
            return  # reported with the range
        low, high = min(low, high), max(low, high)
        if not (_is_number(default) and low <= default <= high):
            out.append(
                f"{key}.default_value: a number in [min_value, max_value] = [{low}, {high}], "
                f"got {default!r}"
            )
        return
    n = p["n_values"]
    if not (_is_number(default) and 0 <= default <= n - 1):
        out.append(f"{key}.default_value: a number in [0, {n - 1}], got {default!r}")


def _check_parameter(out: List[str], key: str, p: Any, realtime: bool) -> None:
    if not isinstance(p, dict):
        out.append(f"{key}: must be an object, got {type(p).__name__}")
        return
    for field in ("name", "description", "default_value", "used", "type"):
        if field not in p:
            out.append(f"{key}.{field}: required")
    if "used" in p and not isinstance(p["used"], bool):
        out.append(f"{key}.used: must be a bool, got {p['used']!r}")
    for field in ("name", "description"):
        if field in p:
            _check_text(out, f"{key}.{field}", p[field], None)
    kind = p.get("type")
    allowed: Tuple[str, ...] = ("continuous", "categorical")
    if not realtime:
        allowed = (*allowed, "text", "tokens")
    if kind not in allowed:
        out.append(f"{key}.type: one of {list(allowed)}, got {kind!r}")
        return
    default = p.get("default_value")
    if kind == "continuous":
        for field in ("min_value", "max_value"):
            if field in p and not _is_number(p[field]):
                out.append(f"{key}.{field}: a finite number, got {p[field]!r}")
        _check_numerical_default(out, key, p, kind)
    elif kind == "categorical":
        n = p.get("n_values")
        if not (_is_int(n) and 2 <= n <= 20):
            out.append(f"{key}.n_values: an int in [2, 20], got {n!r}")
            return
        _check_numerical_default(out, key, p, kind)
        labels = p.get("labels")
        if not isinstance(labels, list) or len(labels) != n:
            out.append(f"{key}.labels: a list of n_values = {n} strings, got {labels!r}")
        else:
            for i, label in enumerate(labels):
                _check_text(out, f"{key}.labels[{i}]", label, 20)
    elif kind == "text":
        n = p.get("max_n_chars")
        _check_limit(out, f"{key}.max_n_chars", n)
        if "default_value" in p:
            limit = n if _is_int(n) and n >= 1 else None
            _check_text(out, f"{key}.default_value", default, limit)
    else:
        n = p.get("max_n_tokens")
        _check_limit(out, f"{key}.max_n_tokens", n)
        if "default_value" in p:
            if not (isinstance(default, list) and all(_is_int(t) and t >= 0 for t in default)):
                out.append(f"{key}.default_value: a list of token ids (ints >= 0), got {default!r}")
            elif _is_int(n) and n >= 1 and len(default) > n:
                out.append(f"{key}.default_value: at most {n} tokens, got {len(default)}")


def _parameter_kind(p: Any) -> str:
    kind = p.get("type") if isinstance(p, dict) else None
    return "numerical" if kind in ("continuous", "categorical") else str(kind)


def _check_parameters(out: List[str], value: Any, realtime: bool) -> None:
    if not isinstance(value, dict):
        out.append(f"neutone_parameters: must be an object, got {type(value).__name__}")
        return
    slots = PARAMETER_SLOTS if realtime else NON_REALTIME_PARAMETER_SLOTS
    for slot in value:
        if slot not in slots:
            out.append(f"neutone_parameters: keys are {slots}, got {slot!r}")
    names: Dict[str, str] = {}
    counts: Dict[str, int] = {}
    for slot in slots:
        if slot not in value:
            continue  # an absent slot is an unused knob: the Neutone SDK 1.5 writes used ones only
        p = value[slot]
        _check_parameter(out, f"neutone_parameters.{slot}", p, realtime)
        if isinstance(p, dict) and p.get("used") is True and isinstance(p.get("name"), str):
            if p["name"] in names:
                out.append(
                    f"neutone_parameters.{slot}.name: must be unique, {p['name']!r} is also "
                    f"{names[p['name']]}"
                )
            names[p["name"]] = slot
        counts[_parameter_kind(p)] = counts.get(_parameter_kind(p), 0) + 1
    if not realtime:
        for kind, limit in _KIND_LIMITS.items():
            if counts.get(kind, 0) > limit:
                out.append(
                    f"neutone_parameters: at most {limit} {kind} parameters, got {counts[kind]}"
                )


def _check_non_realtime_keys(out: List[str], m: Dict[str, Any]) -> None:
    """The Gen keys: channel counts 1 or 2 per track, labels one per track when given."""
    for direction in ("in", "out"):
        key = f"audio_{direction}_channels"
        channels = m.get(key)
        if key in m:
            if not isinstance(channels, list) or not all(
                _is_int(c) and c in (1, 2) for c in channels
            ):
                out.append(f"{key}: a list of channel counts, each 1 or 2, got {channels!r}")
                channels = None
            elif direction == "out" and not channels:
                out.append(f"{key}: at least one output track, got []")
        labels_key = f"audio_{direction}_labels"
        if labels_key in m:
            labels = m[labels_key]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                out.append(f"{labels_key}: a list of strings, got {labels!r}")
            elif labels and isinstance(channels, list) and len(labels) != len(channels):
                out.append(
                    f"{labels_key}: one label per track ({len(channels)}) or none, "
                    f"got {len(labels)}"
                )
    for key in ("is_one_shot_model", "is_text_model", "is_tokens_model"):
        if key in m and not isinstance(m[key], bool):
            out.append(f"{key}: must be a bool, got {m[key]!r}")
    bpm = m.get("model_bpm")
    if bpm is not None and not (_is_int(bpm) and bpm > 0):
        out.append(f"model_bpm: null or an int > 0, got {bpm!r}")


def _check_int_list(out: List[str], key: str, value: Any, low: int, high: int | None) -> None:
    if not isinstance(value, list):
        out.append(f"{key}: must be a list of ints, got {type(value).__name__}")
        return
    rule = f"an int in [{low}, {high}]" if high is not None else f"an int >= {low}"
    for i, v in enumerate(value):
        if not (_is_int(v) and v >= low and (high is None or v <= high)):
            out.append(f"{key}[{i}]: {rule}, got {v!r}")


def validate_metadata(metadata: Dict[str, Any], realtime: bool = True) -> None:
    """Check a metadata dictionary against the contract, offline.

    Args:
        metadata: the dictionary (as built by `build_metadata` or read from ``metadata.json``).
        realtime: True checks the realtime keys and limits (sample rate in [1000, 96000], four
            continuous or categorical knobs); False the non-realtime ("Gen") keys and limits
            (up to four numerical knobs, one text and one tokens parameter, in ``p1``..``p6``).

    Raises:
        MetadataError: listing every violation, each with its key and the limit.
    """
    if not isinstance(metadata, dict):
        raise MetadataError([f"metadata: must be a dict, got {type(metadata).__name__}"])
    out: List[str] = []
    required = _REQUIRED_KEYS + (_REALTIME_KEYS if realtime else _NON_REALTIME_KEYS)
    for key in required:
        if key not in metadata:
            out.append(f"{key}: required")
    m = metadata
    for key, limit in _TEXT_LIMITS.items():
        if key in m:
            _check_text(out, key, m[key], limit)
    if "model_name" in m and m["model_name"] == "":
        out.append("model_name: must not be empty")
    for key in ("model_version", "sdk_version", "pytorch_version"):
        if key in m:
            _check_text(out, key, m[key], None)
    if "model_authors" in m:
        _check_string_list(out, "model_authors", m["model_authors"], 5, None)
    if "tags" in m:
        _check_string_list(out, "tags", m["tags"], 7, 15)
    if "technical_links" in m:
        links = m["technical_links"]
        if not isinstance(links, dict):
            out.append(
                f"technical_links: must be an object name -> URL, got {type(links).__name__}"
            )
        else:
            if len(links) > 3:
                out.append(f"technical_links: at most 3 links, got {len(links)}")
            for name, url in links.items():
                _check_link(out, f"technical_links[{name!r}]", url)
    for key in ("is_experimental", *(["is_input_mono", "is_output_mono"] if realtime else [])):
        if key in m and not isinstance(m[key], bool):
            out.append(f"{key}: must be a bool, got {m[key]!r}")
    if "sample_sound_files" in m:
        files = m["sample_sound_files"]
        if not isinstance(files, list):
            out.append(f"sample_sound_files: must be a list, got {type(files).__name__}")
        else:
            if len(files) > 3:
                out.append(f"sample_sound_files: at most 3 entries, got {len(files)}")
            for i, f in enumerate(files):
                if not (
                    isinstance(f, dict)
                    and set(f) == {"in", "out"}
                    and all(isinstance(v, str) for v in f.values())
                ):
                    out.append(
                        f"sample_sound_files[{i}]: an object {{'in': str, 'out': str}}, got {f!r}"
                    )
    if "neutone_parameters" in m:
        _check_parameters(out, m["neutone_parameters"], realtime)
    for key in _UNIT_KEYS:
        if key in m and not (_is_number(m[key]) and 0.0 <= m[key] <= 1.0):
            out.append(f"{key}: a number in [0, 1], got {m[key]!r}")
    if "native_sample_rates" in m:
        high = MAX_REALTIME_SAMPLE_RATE if realtime else MAX_NON_REALTIME_SAMPLE_RATE
        _check_int_list(out, "native_sample_rates", m["native_sample_rates"], MIN_SAMPLE_RATE, high)
    if "native_buffer_sizes" in m:
        _check_int_list(out, "native_buffer_sizes", m["native_buffer_sizes"], 1, MAX_BUFFER_SIZE)
    if "date_created" in m and not _is_number(m["date_created"]):
        out.append(f"date_created: a UNIX time (number), got {m['date_created']!r}")
    if not realtime:
        _check_non_realtime_keys(out, m)
    if realtime:
        for key in ("look_behind_samples", "look_ahead_samples"):
            if key in m and not (_is_int(m[key]) and m[key] >= 0):
                out.append(f"{key}: an int >= 0, got {m[key]!r}")
        if "model_type" in m:
            mono_in, mono_out = m.get("is_input_mono"), m.get("is_output_mono")
            expected = None
            if isinstance(mono_in, bool) and isinstance(mono_out, bool):
                expected = MODEL_TYPES.get((mono_in, mono_out))
            if m["model_type"] not in MODEL_TYPES.values():
                out.append(
                    f"model_type: one of {sorted(MODEL_TYPES.values())}, got {m['model_type']!r}"
                )
            elif expected is not None and m["model_type"] != expected:
                out.append(
                    f"model_type: must match is_input_mono/is_output_mono ({expected!r}), "
                    f"got {m['model_type']!r}"
                )
    _check_hard_limits(out, m)
    out += control_character_problems(m)
    if out:
        raise MetadataError(out)


def _check_hard_limits(out: List[str], metadata: Dict[str, Any]) -> None:
    """The limits every reader enforces (`neutone_core.limits`), where no finer rule above
    already named the key."""
    try:
        check_metadata_limits(metadata)
    except LimitError as error:
        message = str(error)
        key = message.split(" ", 1)[0].rstrip(":").split("[", 1)[0].split(".", 1)[0]
        if not any(line.split("[", 1)[0].split(".", 1)[0].startswith(key) for line in out):
            out.append(message)


def metadata_to_json(metadata: Dict[str, Any]) -> str:
    """The metadata as ``metadata.json`` text (UTF-8, keys in insertion order)."""
    return json.dumps(metadata, ensure_ascii=False)


class ScriptedMetadata(nn.Module):
    """A metadata dictionary kept in typed attributes, rebuilt by ``to_dict()`` inside TorchScript.

    TorchScript cannot hold a ``Dict[str, Any]`` attribute, so each value is stored by its type
    and the dictionary is rebuilt on request (key order: by value type, then insertion).
    """

    strs: Dict[str, str]
    ints: Dict[str, int]
    floats: Dict[str, float]
    bools: Dict[str, bool]
    str_lists: Dict[str, List[str]]
    int_lists: Dict[str, List[int]]
    str_dicts: Dict[str, Dict[str, str]]
    str_dict_lists: Dict[str, List[Dict[str, str]]]
    nones: List[str]
    p_strs: Dict[str, Dict[str, str]]
    p_floats: Dict[str, Dict[str, float]]
    p_ints: Dict[str, Dict[str, int]]
    p_bools: Dict[str, Dict[str, bool]]
    p_str_lists: Dict[str, Dict[str, List[str]]]
    p_int_lists: Dict[str, Dict[str, List[int]]]

    def __init__(self, metadata: Dict[str, Any]) -> None:
        super().__init__()
        self.strs: Dict[str, str] = {}
        self.ints: Dict[str, int] = {}
        self.floats: Dict[str, float] = {}
        self.bools: Dict[str, bool] = {}
        self.str_lists: Dict[str, List[str]] = {}
        self.int_lists: Dict[str, List[int]] = {}
        self.str_dicts: Dict[str, Dict[str, str]] = {}
        self.str_dict_lists: Dict[str, List[Dict[str, str]]] = {}
        self.nones: List[str] = []
        self.p_strs: Dict[str, Dict[str, str]] = {}
        self.p_floats: Dict[str, Dict[str, float]] = {}
        self.p_ints: Dict[str, Dict[str, int]] = {}
        self.p_bools: Dict[str, Dict[str, bool]] = {}
        self.p_str_lists: Dict[str, Dict[str, List[str]]] = {}
        self.p_int_lists: Dict[str, Dict[str, List[int]]] = {}
        for key, value in metadata.items():
            if key == "neutone_parameters":
                for slot, p in value.items():
                    self._store_parameter(slot, p)
            elif key in ("native_sample_rates", "native_buffer_sizes") or _is_int_list(value):
                self.int_lists[key] = [int(v) for v in value]
            elif value is None:
                self.nones.append(key)
            elif key == "sample_sound_files":
                self.str_dict_lists[key] = [{str(k): str(v) for k, v in f.items()} for f in value]
            elif isinstance(value, bool):
                self.bools[key] = value
            elif isinstance(value, int):
                self.ints[key] = value
            elif isinstance(value, float):
                self.floats[key] = value
            elif isinstance(value, str):
                self.strs[key] = value
            elif isinstance(value, list):
                self.str_lists[key] = [str(v) for v in value]
            elif isinstance(value, dict):
                self.str_dicts[key] = {str(k): str(v) for k, v in value.items()}
            else:
                raise ValueError(f"metadata key {key!r}: unsupported value type {type(value)}")

    def _store_parameter(self, slot: str, p: Dict[str, Any]) -> None:
        self.p_strs[slot] = {}
        self.p_floats[slot] = {}
        self.p_ints[slot] = {}
        self.p_bools[slot] = {}
        self.p_str_lists[slot] = {}
        self.p_int_lists[slot] = {}
        for field, value in p.items():
            if isinstance(value, bool):
                self.p_bools[slot][field] = value
            elif isinstance(value, str):
                self.p_strs[slot][field] = value
            elif field == "default_value" and isinstance(value, list):
                self.p_int_lists[slot][field] = [int(v) for v in value]
            elif isinstance(value, float):
                self.p_floats[slot][field] = float(value)
            elif isinstance(value, int):
                self.p_ints[slot][field] = value
            elif isinstance(value, str):
                self.p_strs[slot][field] = value
            else:
                self.p_str_lists[slot][field] = [str(v) for v in value]

    @torch.jit.export
    def to_dict(self) -> Dict[str, Any]:
        """The metadata dictionary."""
        d: Dict[str, Any] = {}
        for k, text in self.strs.items():
            d[k] = text
        for k, whole in self.ints.items():
            d[k] = whole
        for k, real in self.floats.items():
            d[k] = real
        for k, flag in self.bools.items():
            d[k] = flag
        for k, texts in self.str_lists.items():
            d[k] = texts
        for k, wholes in self.int_lists.items():
            d[k] = wholes
        for k, table in self.str_dicts.items():
            d[k] = table
        for k, tables in self.str_dict_lists.items():
            d[k] = tables
        for k in self.nones:
            d[k] = None
        params: Dict[str, Dict[str, Any]] = {}
        for slot in self.p_strs:
            p: Dict[str, Any] = {}
            for k, text in self.p_strs[slot].items():
                p[k] = text
            for k, real in self.p_floats[slot].items():
                p[k] = real
            for k, whole in self.p_ints[slot].items():
                p[k] = whole
            for k, flag in self.p_bools[slot].items():
                p[k] = flag
            for k, texts in self.p_str_lists[slot].items():
                p[k] = texts
            for k, wholes in self.p_int_lists[slot].items():
                p[k] = wholes
            params[slot] = p
        d["neutone_parameters"] = params
        return d

    def forward(self) -> Dict[str, Any]:
        """Same as ``to_dict()``."""
        return self.to_dict()
