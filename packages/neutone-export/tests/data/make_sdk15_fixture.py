"""Write `sdk15_clipper.nm`, a `.nm` file made by the reference Neutone SDK 1.5.2.

The loader and the validation suite must read files made by the SDK, so the tests keep one small
file written by the real SDK. This script is the only place that imports `neutone_sdk`; it never
runs in the test suite.

Rerun it in a throwaway environment (the SDK pins nothing; torch 2.14.1 and torchaudio 2.11.0
install with it)::

    uv venv /tmp/sdkenv --python 3.11
    VIRTUAL_ENV=/tmp/sdkenv uv pip install "neutone-sdk==1.5.2" "torch==2.14.1" "torchaudio==2.11.0"
    /tmp/sdkenv/bin/python packages/neutone-export/tests/data/make_sdk15_fixture.py

The model is a stereo hard clipper with three knobs (threshold, gain, mix); the file has no audio
samples so it stays a few tens of kilobytes.
"""

import shutil
import tempfile
from pathlib import Path
from typing import Dict, List

import torch
from neutone_sdk import ContinuousNeutoneParameter, NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.utils import save_neutone_model
from torch import Tensor, nn

OUT_PATH = Path(__file__).with_name("sdk15_clipper.nm")


class HardClip(nn.Module):
    """Clip to +-threshold after a gain, then mix with the dry signal."""

    def forward(self, x: Tensor, threshold: Tensor, gain: Tensor, mix: Tensor) -> Tensor:
        wet = torch.clamp(x * gain, min=-threshold, max=threshold)
        return mix * wet + (1.0 - mix) * x


class SdkClipper(WaveformToWaveformBase):
    def get_model_name(self) -> str:
        return "sdk15.clipper"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_short_description(self) -> str:
        return "Hard clipper written with the Neutone SDK 1.5.2."

    def get_model_long_description(self) -> str:
        return "Test fixture: a stereo hard clipper with threshold, gain and mix knobs."

    def get_technical_description(self) -> str:
        return "clamp(gain * x, -threshold, threshold), mixed with the dry input."

    def get_technical_links(self) -> Dict[str, str]:
        return {"Code": "https://github.com/QosmoInc/neutone_sdk"}

    def get_tags(self) -> List[str]:
        return ["clipper", "test"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return True

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [
            ContinuousNeutoneParameter("threshold", "clip level", default_value=0.5),
            ContinuousNeutoneParameter("gain", "input gain", default_value=0.5, max_value=4.0),
            ContinuousNeutoneParameter("mix", "wet share", default_value=1.0),
        ]

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return False

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return False

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return []

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["threshold"], params["gain"], params["mix"])


def main() -> None:
    """Export the clipper with the SDK and copy its `model.nm` next to this script."""
    with tempfile.TemporaryDirectory() as tmp:
        save_neutone_model(
            SdkClipper(HardClip()),
            Path(tmp),
            dump_samples=False,
            submission=False,
            speed_benchmark=False,
        )
        shutil.copyfile(Path(tmp) / "model.nm", OUT_PATH)
    print(f"wrote {OUT_PATH} ({OUT_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
