"""Metadata: built from the getters, validated offline, violations listed with key and limit."""

import copy
import json
import socket

import pytest
import torch

from neutone_core import MetadataError, NeutoneParameter, build_metadata, validate_metadata
from neutone_core.metadata import ScriptedMetadata


@pytest.fixture
def metadata(identity_wrapper):
    knobs = [NeutoneParameter("drive", "input drive", 0.25)]
    return build_metadata(identity_wrapper(in_mono=True, knobs=knobs, look_behind=4))


def test_built_metadata_is_valid_and_complete(metadata):
    validate_metadata(metadata)
    assert metadata["model_type"] == "mono-stereo"
    assert metadata["look_behind_samples"] == 4
    params = metadata["neutone_parameters"]
    assert list(params) == ["p1", "p2", "p3", "p4"]
    assert params["p1"]["name"] == "drive" and params["p1"]["used"] is True
    assert all(params[p]["used"] is False for p in ("p2", "p3", "p4"))
    assert json.loads(json.dumps(metadata)) == metadata


def test_every_violation_is_reported_with_key_and_limit(metadata):
    bad = copy.deepcopy(metadata)
    bad["model_name"] = "x" * 31
    bad["model_authors"] = ["a", "a"]
    bad["tags"] = [f"t{i}" for i in range(8)]
    bad["technical_links"] = {"Paper": "not a url", "Code": "https://github.com/x/y"}
    bad["wet_default_value"] = 1.5
    bad["native_sample_rates"] = [192000]
    bad["neutone_parameters"]["p2"] = {
        "name": "m",
        "description": "",
        "default_value": 0,
        "used": True,
        "type": "categorical",
        "n_values": 21,
    }
    del bad["citation"]
    bad["model_type"] = "mono-mono"
    with pytest.raises(MetadataError) as err:
        validate_metadata(bad)
    assert err.value.violations == [
        "citation: required",
        "model_name: at most 30 characters, got 31",
        "model_authors: entries must be unique, got ['a', 'a']",
        "tags: at most 7 entries, got 8",
        "technical_links['Paper']: must be an http(s) URL with a host, got 'not a url'",
        "neutone_parameters.p2.n_values: an int in [2, 20], got 21",
        "wet_default_value: a number in [0, 1], got 1.5",
        "native_sample_rates[0]: an int in [1000, 96000], got 192000",
        "model_type: must match is_input_mono/is_output_mono ('mono-stereo'), got 'mono-mono'",
    ]
    assert "9 problems" in str(err.value)


def test_validation_never_touches_the_network(metadata, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("validate_metadata opened a socket")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    metadata["technical_links"] = {"Paper": "https://arxiv.org/abs/2010.04237"}
    validate_metadata(metadata)


def test_validation_does_not_mutate_its_input_or_carry_state(metadata):
    before = copy.deepcopy(metadata)
    bad = copy.deepcopy(metadata)
    bad["model_name"] = ""
    with pytest.raises(MetadataError):
        validate_metadata(bad)
    validate_metadata(metadata)
    assert metadata == before


def test_scripted_metadata_round_trips(metadata):
    holder = torch.jit.script(ScriptedMetadata(metadata))
    assert holder.to_dict() == metadata


def _gen_metadata() -> dict:
    """Non-realtime metadata as the Neutone SDK 1.5 writes it for a Gen model with a prompt."""
    return {
        "model_name": "musicgen",
        "model_authors": ["a"],
        "model_version": "1.0.0",
        "model_short_description": "",
        "model_long_description": "",
        "technical_description": "",
        "technical_links": {},
        "tags": [],
        "citation": "",
        "is_experimental": False,
        "sample_sound_files": [],
        "neutone_parameters": {
            "p1": {
                "name": "prompt",
                "description": "text",
                "default_value": "techno kick drum",
                "used": True,
                "type": "text",
                "max_n_chars": 256,
            },
            "p2": {
                "name": "duration",
                "description": "seconds",
                "default_value": 0,
                "used": True,
                "type": "categorical",
                "n_values": 8,
                "labels": [str(i) for i in range(1, 9)],
            },
            "p3": {
                "name": "gain",
                "description": "",
                "default_value": 2.0,
                "used": True,
                "type": "continuous",
                "min_value": 0.0,
                "max_value": 4.0,
            },
            "p4": {
                "name": "ids",
                "description": "",
                "default_value": [],
                "used": True,
                "type": "tokens",
                "max_n_tokens": -1,
            },
        },
        "wet_default_value": 1.0,
        "dry_default_value": 0.0,
        "input_gain_default_value": 0.5,
        "output_gain_default_value": 0.5,
        "native_sample_rates": [32000],
        "native_buffer_sizes": [],
        "sdk_version": "1.5.2",
        "pytorch_version": "2.14.1",
        "date_created": 1.0,
        "audio_in_channels": [],
        "audio_out_channels": [1],
        "is_one_shot_model": True,
        "audio_in_labels": [],
        "audio_out_labels": [],
        "is_text_model": True,
        "is_tokens_model": True,
        "model_bpm": None,
    }


def test_gen_metadata_with_text_categorical_and_tokens_is_valid():
    validate_metadata(_gen_metadata(), realtime=False)
    with pytest.raises(MetadataError, match="is_input_mono: required"):
        validate_metadata(_gen_metadata(), realtime=True)


def test_gen_metadata_violations_name_key_and_limit():
    bad = _gen_metadata()
    params = bad["neutone_parameters"]
    params["p1"]["default_value"] = "x" * 257
    params["p3"]["default_value"] = 5.0
    params["p4"]["default_value"] = [1, -2]
    params["p5"] = dict(params["p1"], name="second", default_value="")
    bad["audio_in_channels"] = [2, 3]
    bad["audio_out_labels"] = ["a", "b"]
    bad["model_bpm"] = 0
    del bad["is_one_shot_model"]
    with pytest.raises(MetadataError) as err:
        validate_metadata(bad, realtime=False)
    assert err.value.violations == [
        "is_one_shot_model: required",
        "neutone_parameters.p1.default_value: at most 256 characters, got 257",
        (
            "neutone_parameters.p3.default_value: a number in [min_value, max_value] = [0.0, 4.0], "
            "got 5.0"
        ),
        "neutone_parameters.p4.default_value: a list of token ids (ints >= 0), got [1, -2]",
        "neutone_parameters: at most 1 text parameters, got 2",
        "audio_in_channels: a list of channel counts, each 1 or 2, got [2, 3]",
        "audio_out_labels: one label per track (1) or none, got 2",
        "model_bpm: null or an int > 0, got 0",
    ]


def test_realtime_continuous_default_is_in_the_knob_units(metadata):
    # As the Neutone SDK writes it: 2.0 of [0, 4] is valid, 5.0 is not.
    metadata["neutone_parameters"]["p1"].update(default_value=2.0, min_value=0.0, max_value=4.0)
    validate_metadata(metadata)
    metadata["neutone_parameters"]["p1"]["default_value"] = 5.0
    with pytest.raises(MetadataError, match=r"p1.default_value: a number in \[min_value"):
        validate_metadata(metadata)


def test_scripted_metadata_round_trips_gen_values():
    meta = _gen_metadata()
    holder = torch.jit.script(ScriptedMetadata(meta))
    assert json.loads(json.dumps(holder.to_dict())) == meta


def test_a_native_rate_below_1000_hz_is_a_violation(metadata):
    bad = dict(metadata, native_sample_rates=[1])
    with pytest.raises(MetadataError) as error:
        validate_metadata(bad)
    assert "native_sample_rates[0]: an int in [1000, 96000], got 1" in error.value.violations


@pytest.mark.parametrize("text", ["bad\x1b]8;;file:///etc/passwd\x07name", "a\u202eb", "nul\x00"])
def test_control_characters_in_any_text_are_violations(metadata, text):
    bad = copy.deepcopy(metadata)
    bad["model_name"] = text[:30]
    bad["neutone_parameters"]["p1"]["description"] = text
    with pytest.raises(MetadataError) as error:
        validate_metadata(bad)
    found = [v for v in error.value.violations if "control character" in v]
    assert [v.split(":")[0] for v in found] == ["model_name", "neutone_parameters.p1.description"]


def test_tab_and_newline_are_text(metadata):
    validate_metadata(dict(metadata, model_long_description="two\nlines\tand a tab"))
