"""Knob definitions: errors name the parameter and the rule; mapping of knob positions."""

import pytest

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter, NeutoneParameter
from neutone_core.parameters import validate_parameters


def test_neutone_parameter_is_the_continuous_knob():
    assert NeutoneParameter is ContinuousNeutoneParameter
    p = NeutoneParameter("min", "min clip threshold", default_value=0.5)
    assert p.to_metadata_dict() == {
        "name": "min",
        "description": "min clip threshold",
        "default_value": 0.5,
        "used": True,
        "type": "continuous",
        "min_value": 0.0,
        "max_value": 1.0,
    }
    ranged = NeutoneParameter("gain", "", 0.25, min_value=-12.0, max_value=12.0)
    assert ranged.map_value(0.25) == -6.0 and ranged.map_value(1.0) == 12.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "description": ""}, "name must be a non-empty str"),
        ({"name": "a", "description": "", "default_value": 1.5}, r"'a'.*\[0, 1\], got 1.5"),
        ({"name": "a", "description": 3}, "'a': description must be a str"),
        ({"name": "a", "description": "", "min_value": 1.0}, "'a': min_value and max_value"),
        ({"name": "a", "description": "", "max_value": float("nan")}, "'a': max_value must be"),
    ],
)
def test_continuous_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ContinuousNeutoneParameter(**kwargs)


def test_categorical_index_mapping_and_metadata():
    p = CategoricalNeutoneParameter("mode", "shape", 3, 2, ["hard", "soft", "fold"])
    assert [p.map_value(v) for v in (0.0, 0.24, 0.26, 0.74, 1.0)] == [0.0, 0.0, 1.0, 1.0, 2.0]
    meta = p.to_metadata_dict()
    assert meta["type"] == "categorical" and meta["n_values"] == 3
    assert meta["labels"] == ["hard", "soft", "fold"] and meta["default_value"] == 1.0
    assert CategoricalNeutoneParameter("m", "", 2).labels == ["0", "1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("m", "", 1), r"'m': n_values must be in \[2, 20\], got 1"),
        (("m", "", 21), r"'m': n_values must be in \[2, 20\], got 21"),
        (("m", "", 3, 3), r"'m': default_value must be an index in \[0, 2\], got 3"),
        (("m", "", 2, 0, ["a"]), "'m': labels must have n_values = 2 entries, got 1"),
        (("m", "", 2, 0, ["a", "x" * 21]), "'m': each label must have at most 20 characters"),
    ],
)
def test_categorical_rejects(args, message):
    with pytest.raises(ValueError, match=message):
        CategoricalNeutoneParameter(*args)


def test_list_rules():
    knobs = [NeutoneParameter(f"k{i}", "", 0.0) for i in range(4)]
    validate_parameters(knobs)
    with pytest.raises(ValueError, match=r"at most 4 numerical parameters, got 5 \(extra: 'x'\)"):
        validate_parameters([*knobs, NeutoneParameter("x", "", 0.0)])
    with pytest.raises(ValueError, match=r"'k1': duplicate name \(parameters 1 and 2\)"):
        validate_parameters([knobs[0], knobs[1], NeutoneParameter("k1", "", 0.0)])
    with pytest.raises(ValueError, match="parameter 0 must be a ContinuousNeutoneParameter"):
        validate_parameters(["gain"])
