"""Metadata: built from the getters, validated offline, violations listed with key and limit."""

import copy
import json
import socket

import pytest
import torch

from neutone_core import MetadataError, NeutoneParameter, build_metadata, validate_metadata
from neutone_core.metadata import ScriptedMetadata


@pytest.fixture()
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
        "native_sample_rates[0]: an int in [1, 96000], got 192000",
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
