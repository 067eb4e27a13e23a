"""Load `.nm` files with the reference Neutone SDK 1.5.2's loader; print one JSON verdict each.

    hatch run compat:python compat/reference_judge.py FILE [FILE ...]

The compat tests run this once per file. The reference's `validate_metadata` rewrites its
module-level schema when it validates a realtime file and never restores it, so a verdict from a
process that loaded another file first would depend on that file (docs/compatibility.md). Several
files in one call load in order in one process: that is how the tests show the leak itself.

A verdict says whether `load_neutone_model` accepted the file, and if not, the first line of its
refusal and whether the same metadata with every knob typed `continuous` passes its
`validate_metadata` (its schema knows no other knob type). Then, loaded or not, the file runs as
the plugin drives it; `problems` lists what went wrong there (empty: nothing).
"""

import copy
import json
import sys
import warnings
from typing import Any, Dict, List

import requests
import torch
from jsonschema.exceptions import ValidationError
from neutone_sdk.metadata import validate_metadata
from neutone_sdk.utils import check_for_preserved_attributes, load_neutone_model

SAMPLE_RATES = (44100, 48000, 96000)
BUFFER_SIZES = (64, 128, 256, 512, 1024, 2048)
N_KNOBS = 4
GEN_RATE = 44100  # the host rate a non-realtime file is run at, one second of audio per input


def _unreachable(url: str, **kwargs: object) -> None:
    """The reference fetches every technical link while validating; the judge runs offline, so a
    fetch fails at once as an unreachable host would (the reference logs it and goes on)."""
    raise requests.exceptions.ConnectionError(f"offline: {url}")


def run_realtime(model: torch.jit.ScriptModule, metadata: Dict[str, Any]) -> List[str]:
    """The plugin's calls at three host rates and six buffer sizes: what went wrong, if anything."""
    problems = []
    channels = 1 if metadata["is_input_mono"] else 2
    generator = torch.Generator().manual_seed(0)
    for sample_rate in SAMPLE_RATES:
        for buffer_size in BUFFER_SIZES:
            case = f"{sample_rate} Hz, {buffer_size} samples"
            if model.set_daw_sample_rate_and_buffer_size(sample_rate, buffer_size) < buffer_size:
                problems.append(f"{case}: answered a buffer size below the host's")
            for _ in range(2):
                x = torch.rand(channels, buffer_size, generator=generator) - 0.5
                knobs = torch.rand(N_KNOBS, buffer_size, generator=generator)
                y = model.forward(x, knobs)
                if tuple(y.shape) != (channels, buffer_size):
                    problems.append(f"{case}: output shape {tuple(y.shape)}")
                if not bool(torch.isfinite(y).all()):
                    problems.append(f"{case}: output not finite")
            if model.calc_buffering_delay_samples() < 0 or model.calc_model_delay_samples() < 0:
                problems.append(f"{case}: negative delay")
            model.reset()
    return problems


def run_non_realtime(model: torch.jit.ScriptModule, verdict: Dict[str, Any]) -> List[str]:
    """One `forward_non_realtime` on a second of noise per input, default knobs, at 44.1 kHz."""
    generator = torch.Generator().manual_seed(0)
    model.set_daw_sample_rate_and_buffer_size(GEN_RATE, 512)
    clips = [
        0.3 * torch.randn(channels, GEN_RATE, generator=generator)
        for channels in model.get_audio_in_channels()
    ]
    outputs = model.forward_non_realtime(clips, None, None, None)
    verdict["shapes"] = [list(y.shape) for y in outputs]
    return [f"output {i} not finite" for i, y in enumerate(outputs) if not torch.isfinite(y).all()]


def judge(path: str) -> Dict[str, Any]:
    """The reference's verdict on one file (see the module docstring)."""
    extra = {"metadata.json": ""}
    model = torch.jit.load(path, _extra_files=extra)
    metadata = json.loads(extra["metadata.json"])
    verdict: Dict[str, Any] = {"file": path, "realtime": bool(model.realtime)}
    try:
        model, metadata = load_neutone_model(path)
        verdict.update(loaded=True, refusal=None, accepted_as_continuous=None)
    except ValidationError as error:  # anything else is no verdict: the traceback says why
        verdict.update(loaded=False, refusal=str(error).splitlines()[0])
        as_continuous = copy.deepcopy(metadata)
        for slot in as_continuous.get("neutone_parameters", {}).values():
            slot["type"] = "continuous"
        try:
            verdict["accepted_as_continuous"] = validate_metadata(as_continuous, model.realtime)
        except ValidationError:
            verdict["accepted_as_continuous"] = False
    check_for_preserved_attributes(model, model.get_preserved_attributes())
    if model.realtime:
        verdict["problems"] = run_realtime(model, metadata)
    else:
        verdict["problems"] = run_non_realtime(model, verdict)
    return verdict


def main(paths: List[str]) -> None:
    """Judge each path in order, in this process; one JSON line per file on stdout."""
    warnings.filterwarnings("ignore", r"`torch\.jit\.[a-z_]+` is deprecated", FutureWarning)
    torch.set_num_threads(1)
    requests.head = _unreachable
    for path in paths:
        print(json.dumps(judge(path)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
