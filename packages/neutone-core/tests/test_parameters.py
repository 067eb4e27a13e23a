"""Knob definitions: the Neutone SDK's argument order, errors naming the parameter, mapping."""

import pytest

from neutone_core import CategoricalNeutoneParameter, ContinuousNeutoneParameter, NeutoneParameter
from neutone_core.parameters import (
    DiscreteTokensNeutoneParameter,
    TextNeutoneParameter,
    validate_parameters,
)


def test_neutone_parameter_is_the_continuous_knob_of_the_sdk_readme():
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
    assert NeutoneParameter("min", "min clip threshold", 0.5).default_value_0to1 == 0.5


def test_reference_positional_order_with_default_in_knob_units():
    # The trap of issue 13: (name, description, default_value, min_value, max_value).
    gain = ContinuousNeutoneParameter("gain", "d", 0.5, 0.0, 4.0)
    assert (gain.min_value, gain.max_value, gain.used) == (0.0, 4.0, True)
    assert gain.default_value == 0.5
    assert gain.default_value_0to1 == pytest.approx(0.125)
    assert gain.normalized_default() == gain.default_value_0to1
    # The default position maps back to the default value the model receives.
    assert gain.map_value(gain.default_value_0to1) == pytest.approx(0.5)
    hidden = ContinuousNeutoneParameter("g", "d", 1.0, -1.0, 2.0, False)
    assert hidden.used is False and hidden.map_value(1.0) == 2.0
    assert hidden.to_metadata_dict()["default_value"] == 1.0


def test_reversed_knob_keeps_its_default():
    p = ContinuousNeutoneParameter("cut", "d", 2.0, 3.0, 1.0)
    assert p.default_value_0to1 == pytest.approx(0.5)
    assert p.map_value(0.0) == 3.0 and p.map_value(1.0) == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "", 0.0), "name must be a non-empty str"),
        (("a", "", 1.5), r"'a': default_value .* \[0.0, 1.0\], got 1.5"),
        (("a", "", 0.5, 2.0, 3.0), r"'a': default_value .*knob's own units.* got 0.5"),
        (("a", 3, 0.0), "'a': description must be a str"),
        (("a", "", 1.0, 1.0, 1.0), "'a': min_value and max_value must differ"),
        (("a", "", 0.0, 0.0, float("nan")), "'a': max_value must be a finite number"),
        (("a", "", float("inf")), "'a': default_value must be a finite number"),
    ],
)
def test_continuous_rejects(args, message):
    with pytest.raises(ValueError, match=message):
        ContinuousNeutoneParameter(*args)


def test_categorical_index_mapping_and_metadata():
    p = CategoricalNeutoneParameter("mode", "shape", 3, 2, ["hard", "soft", "fold"])
    assert [p.map_value(v) for v in (0.0, 0.24, 0.26, 0.74, 1.0)] == [0.0, 0.0, 1.0, 1.0, 2.0]
    meta = p.to_metadata_dict()
    assert meta["type"] == "categorical" and meta["n_values"] == 3
    # As the Neutone SDK writes it: the default as the index; the position is default_value_0to1.
    assert meta["labels"] == ["hard", "soft", "fold"] and meta["default_value"] == 2
    assert p.default_value_0to1 == 1.0 == p.normalized_default()
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


def test_text_and_tokens_parameters():
    text = TextNeutoneParameter("prompt", "what to play", 32, "kick")
    assert text.to_metadata_dict() == {
        "name": "prompt",
        "description": "what to play",
        "default_value": "kick",
        "used": True,
        "type": "text",
        "max_n_chars": 32,
    }
    assert TextNeutoneParameter("p", "").max_n_chars == -1
    tokens = DiscreteTokensNeutoneParameter("ids", "tokens", 4, [3, 1])
    assert tokens.to_metadata_dict()["default_value"] == [3, 1]
    assert DiscreteTokensNeutoneParameter("ids", "").default_value == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TextNeutoneParameter("p", "", 3, "four"), "'p': default_value must have at most"),
        (lambda: TextNeutoneParameter("p", "", 0), r"'p': max_n_chars must be -1 \(no limit\)"),
        (lambda: TextNeutoneParameter("p", "", -1, 5), "'p': default_value must be a str"),
        (lambda: DiscreteTokensNeutoneParameter("t", "", 1, [1, 2]), "'t': default_value must"),
        (lambda: DiscreteTokensNeutoneParameter("t", "", -1, [-1]), r"'t': .*ints >= 0"),
        (lambda: DiscreteTokensNeutoneParameter("t", "", -2), "'t': max_n_tokens must be -1"),
    ],
)
def test_text_and_tokens_reject(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_list_rules():
    knobs = [NeutoneParameter(f"k{i}", "", 0.0) for i in range(4)]
    validate_parameters(knobs)
    with pytest.raises(ValueError, match=r"at most 4 numerical parameters, got 5 \(extra: 'x'\)"):
        validate_parameters([*knobs, NeutoneParameter("x", "", 0.0)])
    with pytest.raises(ValueError, match=r"'k1': duplicate name \(parameters 1 and 2\)"):
        validate_parameters([knobs[0], knobs[1], NeutoneParameter("k1", "", 0.0)])
    with pytest.raises(ValueError, match="parameter 0 must be a ContinuousNeutoneParameter"):
        validate_parameters(["gain"])
    prompt = TextNeutoneParameter("prompt", "")
    with pytest.raises(ValueError, match="'prompt': a TextNeutoneParameter is for non-realtime"):
        validate_parameters([prompt])
    validate_parameters([*knobs, prompt], max_text=1, max_tokens=1)
    with pytest.raises(ValueError, match=r"at most 1 text parameters, got 2 \(extra: 'p2'\)"):
        validate_parameters([prompt, TextNeutoneParameter("p2", "")], max_text=1, max_tokens=1)
