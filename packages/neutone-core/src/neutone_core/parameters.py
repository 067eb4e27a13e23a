"""The knobs a model exposes to the plugin: continuous and categorical parameters.

The plugin sends every knob as a value in [0, 1] at sample rate. The adapter maps that value
before the model sees it: a continuous knob to ``min_value + v * (max_value - min_value)``, a
categorical knob to the index of its value, ``round(v * (n_values - 1))``, as a float. Realtime
models have at most four knobs (``p1`` .. ``p4`` of the metadata).

Example:
    >>> knobs = [
    ...     NeutoneParameter("gain", "output gain", 0.5, min_value=0.0, max_value=4.0),
    ...     CategoricalNeutoneParameter("mode", "clip shape", 3, 0, ["hard", "soft", "fold"]),
    ... ]
    >>> validate_parameters(knobs)
    >>> knobs[0].map_value(0.25), knobs[1].map_value(0.7)
    (1.0, 1.0)
"""

import math
from typing import Any, Dict, List

MAX_REALTIME_PARAMETERS = 4
MIN_CATEGORICAL_VALUES = 2
MAX_CATEGORICAL_VALUES = 20
MAX_LABEL_CHARS = 20


def _check_text(owner: str, field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{owner}: {field} must be a str, got {type(value).__name__} {value!r}")


def _check_unit(owner: str, field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}: {field} must be a number in [0, 1], got {value!r}")
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{owner}: {field} must be in [0, 1], got {value!r}")


class ContinuousNeutoneParameter:
    """A continuous knob.

    Args:
        name: key of the value in the ``params`` dictionary given to ``do_forward_pass``; non-empty.
        description: shown in the plugin.
        default_value: knob position at load, in [0, 1].
        used: whether the plugin shows the knob.
        min_value, max_value: the range the model receives; the knob position ``v`` in [0, 1]
            becomes ``min_value + v * (max_value - min_value)`` on the realtime path. Finite;
            ``max_value`` may be below ``min_value`` (a reversed knob) but not equal to it.
    """

    type_name = "continuous"

    def __init__(
        self,
        name: str,
        description: str,
        default_value: float = 0.0,
        used: bool = True,
        min_value: float = 0.0,
        max_value: float = 1.0,
    ) -> None:
        _check_text("NeutoneParameter", "name", name)
        owner = f"parameter {name!r}"
        if not name:
            raise ValueError("NeutoneParameter: name must be a non-empty str, got ''")
        _check_text(owner, "description", description)
        _check_unit(owner, "default_value", default_value)
        for field, value in (("min_value", min_value), ("max_value", max_value)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{owner}: {field} must be a finite number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{owner}: {field} must be a finite number, got {value!r}")
        if min_value == max_value:
            raise ValueError(
                f"{owner}: min_value and max_value must differ (an empty range), got {min_value!r}"
            )
        self.name = name
        self.description = description
        self.default_value = float(default_value)
        self.used = bool(used)
        self.min_value = float(min_value)
        self.max_value = float(max_value)

    @property
    def scale(self) -> float:
        """Factor of the affine map from knob position to model value."""
        return self.max_value - self.min_value

    @property
    def offset(self) -> float:
        """Offset of the affine map from knob position to model value."""
        return self.min_value

    def normalized_default(self) -> float:
        """Default knob position in [0, 1]."""
        return self.default_value

    def map_value(self, value: float) -> float:
        """The value the model receives for knob position `value` in [0, 1]."""
        return self.min_value + value * (self.max_value - self.min_value)

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``..``p4`` entry of the metadata."""
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
"""The Neutone SDK's name for a continuous knob."""


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
        _check_text("CategoricalNeutoneParameter", "name", name)
        owner = f"parameter {name!r}"
        if not name:
            raise ValueError("CategoricalNeutoneParameter: name must be a non-empty str, got ''")
        _check_text(owner, "description", description)
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

    def normalized_default(self) -> float:
        """Default knob position in [0, 1]: the default index over ``n_values - 1``."""
        return self.default_value / (self.n_values - 1)

    def map_value(self, value: float) -> float:
        """The index the model receives for knob position `value` in [0, 1]."""
        return float(round(value * (self.n_values - 1)))

    def to_metadata_dict(self) -> Dict[str, Any]:
        """The ``p1``..``p4`` entry of the metadata (``default_value`` is the knob position)."""
        return {
            "name": self.name,
            "description": self.description,
            "default_value": self.normalized_default(),
            "used": self.used,
            "type": self.type_name,
            "n_values": self.n_values,
            "labels": list(self.labels),
        }


def validate_parameters(
    parameters: List[Any], max_numerical: int = MAX_REALTIME_PARAMETERS
) -> None:
    """Check a model's knob list: known knob types, unique names, at most `max_numerical` knobs.

    Raises:
        ValueError: naming the offending parameter and the rule it breaks.
    """
    if not isinstance(parameters, (list, tuple)):
        raise ValueError(
            f"get_neutone_parameters() must return a list of parameters, got "
            f"{type(parameters).__name__}"
        )
    seen: Dict[str, int] = {}
    for index, param in enumerate(parameters):
        if not isinstance(param, (ContinuousNeutoneParameter, CategoricalNeutoneParameter)):
            raise ValueError(
                f"parameter {index} must be a ContinuousNeutoneParameter (NeutoneParameter) or a "
                f"CategoricalNeutoneParameter, got {type(param).__name__}"
            )
        if param.name in seen:
            raise ValueError(
                f"parameter {param.name!r}: duplicate name (parameters {seen[param.name]} and "
                f"{index}); names must be unique"
            )
        seen[param.name] = index
    if len(parameters) > max_numerical:
        names = ", ".join(repr(p.name) for p in parameters[max_numerical:])
        raise ValueError(
            f"a realtime model has at most {max_numerical} numerical parameters, got "
            f"{len(parameters)} (extra: {names})"
        )
