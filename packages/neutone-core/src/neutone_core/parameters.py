"""The knobs and prompts a model exposes to the plugin: continuous, categorical, text and tokens.

Arguments follow the Neutone SDK 1.5 in name and positional order, so a model written for it
ports by changing its imports: ``ContinuousNeutoneParameter(name, description, default_value,
min_value=0.0, max_value=1.0, used=True)`` with the default in the knob's own units (what the model
receives), ``CategoricalNeutoneParameter(name, description, n_values, default_value, labels=None,
used=True)``, ``TextNeutoneParameter(name, description, max_n_chars=-1, default_value="",
used=True)`` and ``DiscreteTokensNeutoneParameter(name, description, max_n_tokens=-1,
default_value=None, used=True)``.

The plugin sends every numerical knob as a position in [0, 1]. The adapter maps it before the model
sees it: a continuous knob to ``min_value + v * (max_value - min_value)``, a categorical knob to
the index of its value, ``round(v * (n_values - 1))``, as a float. ``default_value_0to1`` is the
default as a knob position. Realtime models have at most four numerical knobs; non-realtime
("Gen") models have at most four numerical knobs, one text prompt and one token list.

Example:
    >>> knobs = [
    ...     NeutoneParameter("gain", "output gain", 1.0, 0.0, 4.0),
    ...     CategoricalNeutoneParameter("mode", "clip shape", 3, 0, ["hard", "soft", "fold"]),
    ... ]
    >>> validate_parameters(knobs)
    >>> knobs[0].default_value_0to1, knobs[0].map_value(0.5), knobs[1].map_value(0.7)
    (0.25, 2.0, 1.0)
"""

import math
from typing import Any, Dict, List, TypeGuard, Union

MAX_REALTIME_PARAMETERS = 4
MAX_NUMERICAL_PARAMETERS = 4
MAX_TEXT_PARAMETERS = 1
MAX_TOKENS_PARAMETERS = 1
MIN_CATEGORICAL_VALUES = 2
MAX_CATEGORICAL_VALUES = 20
MAX_LABEL_CHARS = 20
NO_LIMIT = -1
"""``max_n_chars`` / ``max_n_tokens`` value meaning "any length"."""


def _check_text(owner: str, field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{owner}: {field} must be a str, got {type(value).__name__} {value!r}")


def _check_finite(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{owner}: {field} must be a finite number, got {value!r}")


def _check_names(kind: str, name: Any, description: Any) -> str:
    """Check name and description; returns the owner phrase errors start with."""
    _check_text(kind, "name", name)
    if not name:
        raise ValueError(f"{kind}: name must be a non-empty str, got ''")
    owner = f"parameter {name!r}"
    _check_text(owner, "description", description)
    return owner


def _check_limit(owner: str, field: str, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (value == NO_LIMIT or value >= 1)
    ):
        raise ValueError(f"{owner}: {field} must be -1 (no limit) or an int >= 1, got {value!r}")


class ContinuousNeutoneParameter:
    """A continuous knob.

    Args:
        name: key of the value in the ``params`` dictionary given to ``do_forward_pass``; non-empty.
        description: shown in the plugin.
        default_value: value at load, in the knob's own units: inside [min_value, max_value].
        min_value, max_value: the range the model receives; the knob position ``v`` in [0, 1]
            becomes ``min_value + v * (max_value - min_value)``. Finite; ``max_value`` may be
            below ``min_value`` (a reversed knob) but not equal to it.
        used: whether the plugin shows the knob.
    """

    type_name = "continuous"

    def __init__(
        self,
        name: str,
        description: str,
        default_value: float,
        min_value: float = 0.0,
        max_value: float = 1.0,
        used: bool = True,
    ) -> None:
        owner = _check_names("ContinuousNeutoneParameter", name, description)
        for field, value in (
            ("default_value", default_value),
            ("min_value", min_value),
            ("max_value", max_value),
        ):
            _check_finite(owner, field, value)
        if min_value == max_value:
            raise ValueError(
                f"{owner}: min_value and max_value must differ (an empty range), got {min_value!r}"
            )
        low, high = min(min_value, max_value), max(min_value, max_value)
        if not low <= default_value <= high:
            raise ValueError(
                f"{owner}: default_value is in the knob's own units and must be in "
                f"[min_value, max_value] = [{min_value!r}, {max_value!r}], got {default_value!r}"
            )
        self.name = name
        self.description = description
        self.default_value = float(default_value)
        self.min_value = float(min_value)
        self.max_value = float(max_value)
        self.used = bool(used)

    @property
    def scale(self) -> float:
        """Factor of the affine map from knob position to model value."""
        return self.max_value - self.min_value

    @property
    def offset(self) -> float:
        """Offset of the affine map from knob position to model value."""
        return self.min_value

    @property
    def default_value_0to1(self) -> float:
        """Default knob position in [0, 1] (what the plugin sends for ``default_value``)."""
        return (self.default_value - self.min_value) / (self.max_value - self.min_value)

    def normalized_default(self) -> float:
        """Default knob position in [0, 1]; same as ``default_value_0to1``."""
        return self.default_value_0to1

    def map_value(self, value: float) -> float:
        """The value the model receives for knob position `value` in [0, 1]."""
        return self.min_value + value * (self.max_value - self.min_value)

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``.. entry of the metadata (``default_value`` in the knob's units)."""
        return {
            "name": self.name,
            "description": self.description,
            "default_value": self.default_value,
            "used": self.used,
            "type": self.type_name,
            "min_value": self.min_value,
            "max_value": self.max_value,
        }


NeutoneParameter = ContinuousNeutoneParameter
"""The Neutone SDK's name for a knob, as its README uses it: ``NeutoneParameter(name, description,
default_value)`` is a continuous knob over [0, 1]."""


class CategoricalNeutoneParameter:
    """A knob selecting one of `n_values` labelled values; the model receives the index as a float.

    Args:
        name: key of the value in the ``params`` dictionary; non-empty.
        description: shown in the plugin.
        n_values: number of values, 2 to 20.
        default_value: index of the value selected at load, in ``[0, n_values)``.
        labels: one label per value, each at most 20 characters; ``None`` gives "0", "1", ...
        used: whether the plugin shows the knob.
    """

    type_name = "categorical"

    def __init__(
        self,
        name: str,
        description: str,
        n_values: int,
        default_value: int = 0,
        labels: List[str] | None = None,
        used: bool = True,
    ) -> None:
        owner = _check_names("CategoricalNeutoneParameter", name, description)
        if isinstance(n_values, bool) or not isinstance(n_values, int):
            raise ValueError(f"{owner}: n_values must be an int, got {n_values!r}")
        if not MIN_CATEGORICAL_VALUES <= n_values <= MAX_CATEGORICAL_VALUES:
            raise ValueError(
                f"{owner}: n_values must be in [{MIN_CATEGORICAL_VALUES}, "
                f"{MAX_CATEGORICAL_VALUES}], got {n_values}"
            )
        if isinstance(default_value, bool) or not isinstance(default_value, int):
            raise ValueError(f"{owner}: default_value must be an int index, got {default_value!r}")
        if not 0 <= default_value < n_values:
            raise ValueError(
                f"{owner}: default_value must be an index in [0, {n_values - 1}], "
                f"got {default_value}"
            )
        if labels is None:
            labels = [str(i) for i in range(n_values)]
        if len(labels) != n_values:
            raise ValueError(
                f"{owner}: labels must have n_values = {n_values} entries, got {len(labels)}"
            )
        for label in labels:
            _check_text(owner, "each label", label)
            if len(label) > MAX_LABEL_CHARS:
                raise ValueError(
                    f"{owner}: each label must have at most {MAX_LABEL_CHARS} characters, "
                    f"got {len(label)} in {label!r}"
                )
        self.name = name
        self.description = description
        self.n_values = n_values
        self.default_value = default_value
        self.labels = list(labels)
        self.used = bool(used)

    @property
    def scale(self) -> float:
        """Factor from knob position to (unrounded) index."""
        return float(self.n_values - 1)

    @property
    def offset(self) -> float:
        """Offset from knob position to index (none)."""
        return 0.0

    @property
    def default_value_0to1(self) -> float:
        """Default knob position in [0, 1]: the default index over ``n_values - 1``."""
        return self.default_value / (self.n_values - 1)

    def normalized_default(self) -> float:
        """Default knob position in [0, 1]; same as ``default_value_0to1``."""
        return self.default_value_0to1

    def map_value(self, value: float) -> float:
        """The index the model receives for knob position `value` in [0, 1]."""
        return float(round(value * (self.n_values - 1)))

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``.. entry of the metadata (``default_value`` is the index)."""
        return {
            "name": self.name,
            "description": self.description,
            "default_value": self.default_value,
            "used": self.used,
            "type": self.type_name,
            "n_values": self.n_values,
            "labels": list(self.labels),
        }


class TextNeutoneParameter:
    """A text prompt (non-realtime models only); the model receives the string.

    Args:
        name: non-empty; names the prompt in error messages and the plugin.
        description: shown in the plugin.
        max_n_chars: longest accepted text, or -1 for no limit.
        default_value: the text at load, at most `max_n_chars` characters.
        used: whether the plugin shows the prompt.
    """

    type_name = "text"

    def __init__(
        self,
        name: str,
        description: str,
        max_n_chars: int = NO_LIMIT,
        default_value: str = "",
        used: bool = True,
    ) -> None:
        owner = _check_names("TextNeutoneParameter", name, description)
        _check_limit(owner, "max_n_chars", max_n_chars)
        _check_text(owner, "default_value", default_value)
        if max_n_chars != NO_LIMIT and len(default_value) > max_n_chars:
            raise ValueError(
                f"{owner}: default_value must have at most max_n_chars = {max_n_chars} "
                f"characters, got {len(default_value)}"
            )
        self.name = name
        self.description = description
        self.max_n_chars = max_n_chars
        self.default_value = default_value
        self.used = bool(used)

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``.. entry of the metadata."""
        return {
            "name": self.name,
            "description": self.description,
            "default_value": self.default_value,
            "used": self.used,
            "type": self.type_name,
            "max_n_chars": self.max_n_chars,
        }


class DiscreteTokensNeutoneParameter:
    """A list of token ids, the output of a tokenizer (non-realtime models only).

    Args:
        name: non-empty; names the list in error messages.
        description: shown in the plugin.
        max_n_tokens: most tokens accepted, or -1 for no limit.
        default_value: token ids (ints >= 0) at load; ``None`` is the empty list.
        used: whether the plugin uses the parameter.
    """

    type_name = "tokens"

    def __init__(
        self,
        name: str,
        description: str,
        max_n_tokens: int = NO_LIMIT,
        default_value: List[int] | None = None,
        used: bool = True,
    ) -> None:
        owner = _check_names("DiscreteTokensNeutoneParameter", name, description)
        _check_limit(owner, "max_n_tokens", max_n_tokens)
        tokens: object = [] if default_value is None else default_value  # checked: callers vary
        if not isinstance(tokens, (list, tuple)) or not all(
            isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in tokens
        ):
            raise ValueError(
                f"{owner}: default_value must be a list of token ids (ints >= 0), "
                f"got {default_value!r}"
            )
        if max_n_tokens != NO_LIMIT and len(tokens) > max_n_tokens:
            raise ValueError(
                f"{owner}: default_value must have at most max_n_tokens = {max_n_tokens} "
                f"tokens, got {len(tokens)}"
            )
        self.name = name
        self.description = description
        self.max_n_tokens = max_n_tokens
        self.default_value = list(tokens)
        self.used = bool(used)

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``.. entry of the metadata."""
        return {
            "name": self.name,
            "description": self.description,
            "default_value": list(self.default_value),
            "used": self.used,
            "type": self.type_name,
            "max_n_tokens": self.max_n_tokens,
        }


NumericalParameter = Union[ContinuousNeutoneParameter, CategoricalNeutoneParameter]
AnyParameter = Union[
    ContinuousNeutoneParameter,
    CategoricalNeutoneParameter,
    TextNeutoneParameter,
    DiscreteTokensNeutoneParameter,
]
_NUMERICAL = (ContinuousNeutoneParameter, CategoricalNeutoneParameter)
_ALL = (*_NUMERICAL, TextNeutoneParameter, DiscreteTokensNeutoneParameter)


def is_numerical(
    param: Any,
) -> TypeGuard[Union[ContinuousNeutoneParameter, CategoricalNeutoneParameter]]:
    """Whether `param` is a knob the plugin sends as a position in [0, 1]."""
    return isinstance(param, _NUMERICAL)


def validate_parameters(
    parameters: List[Any],
    max_numerical: int = MAX_REALTIME_PARAMETERS,
    max_text: int = 0,
    max_tokens: int = 0,
) -> None:
    """Check a model's parameter list: known types, unique names, at most so many of each kind.

    The defaults are the realtime rules (four numerical knobs, no text, no tokens); a
    non-realtime model allows one text and one tokens parameter.

    Raises:
        ValueError: naming the offending parameter and the rule it breaks.
    """
    if not isinstance(parameters, (list, tuple)):
        raise ValueError(
            f"get_neutone_parameters() must return a list of parameters, got "
            f"{type(parameters).__name__}"
        )
    allowed = _ALL if (max_text or max_tokens) else _NUMERICAL
    seen: Dict[str, int] = {}
    for index, param in enumerate(parameters):
        if not isinstance(param, allowed):
            if isinstance(param, _ALL):
                raise ValueError(
                    f"parameter {param.name!r}: a {type(param).__name__} is for non-realtime "
                    f"models (NonRealtimeBase) only; a realtime model takes continuous and "
                    f"categorical knobs"
                )
            names = " / ".join(cls.__name__ for cls in allowed)
            raise ValueError(f"parameter {index} must be a {names}, got {type(param).__name__}")
        if param.name in seen:
            raise ValueError(
                f"parameter {param.name!r}: duplicate name (parameters {seen[param.name]} and "
                f"{index}); names must be unique"
            )
        seen[param.name] = index
    for kind, limit, members in (
        ("numerical", max_numerical, [p for p in parameters if isinstance(p, _NUMERICAL)]),
        ("text", max_text, [p for p in parameters if isinstance(p, TextNeutoneParameter)]),
        (
            "tokens",
            max_tokens,
            [p for p in parameters if isinstance(p, DiscreteTokensNeutoneParameter)],
        ),
    ):
        if len(members) > limit:
            names = ", ".join(repr(p.name) for p in members[limit:])
            model = "realtime model" if allowed is _NUMERICAL else "model"
            raise ValueError(
                f"a {model} has at most {limit} {kind} parameters, got {len(members)} "
                f"(extra: {names})"
            )
