"""Export small models with the reference Neutone SDK 1.5.2, for the compatibility tests.

Our tools must read `.nm` files the reference writes. Such files embed the paths of the machine
that wrote them, so none is committed: the compat tests run this script at test time, in the
`compat` environment where `neutone-sdk==1.5.2` is installed::

    hatch run compat:python compat/make_reference_models.py OUT_DIR [NAME ...]

writes `OUT_DIR/NAME/model.nm` for each model (all by default). The reference sets process-wide
thread settings on export and cannot export twice in one process, so each model is exported in a
process of its own: a fork of this one, which has imported torch and the reference once and run
nothing yet.
"""

import sys
import traceback
from pathlib import Path
from typing import Dict, List

import torch
from neutone_sdk import ContinuousNeutoneParameter, NeutoneParameter, WaveformToWaveformBase
from neutone_sdk.utils import save_neutone_model
from reference_forkserver import fork_and_wait
from torch import Tensor, nn


class HardClip(nn.Module):
    """Clip to +-threshold after a gain, then mix with the dry signal."""

    def forward(self, x: Tensor, threshold: Tensor, gain: Tensor, mix: Tensor) -> Tensor:
        wet = torch.clamp(x * gain, min=-threshold, max=threshold)
        return mix * wet + (1.0 - mix) * x


class Described(WaveformToWaveformBase):
    """Metadata shared by the reference models (no technical links: the reference fetches
    every link while validating, and the tests run offline)."""

    def get_model_authors(self) -> List[str]:
        return ["neutone compat tests"]

    def get_model_long_description(self) -> str:
        return "Made by the Neutone SDK 1.5.2 for neutone's compatibility tests."

    def get_technical_description(self) -> str:
        return "A test model."

    def get_technical_links(self) -> Dict[str, str]:
        return {}

    def get_tags(self) -> List[str]:
        return ["test"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def is_experimental(self) -> bool:
        return True


class SdkClipper(Described):
    """Stereo hard clipper, any rate and buffer size, three knobs (one outside [0, 1])."""

    def get_model_name(self) -> str:
        return "sdk15.clipper"

    def get_model_short_description(self) -> str:
        return "Hard clipper written with the Neutone SDK 1.5.2."

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


class Halve(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return 0.5 * x


class SdkMonoBlocks(Described):
    """Mono in and out, native blocks of 256 samples at any rate: buffering delay, no knobs."""

    def get_model_name(self) -> str:
        return "sdk15.monoblocks"

    def get_model_short_description(self) -> str:
        return "Mono half gain in blocks of 256, written with the Neutone SDK 1.5.2."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return []

    @torch.jit.export
    def is_input_mono(self) -> bool:
        return True

    @torch.jit.export
    def is_output_mono(self) -> bool:
        return True

    @torch.jit.export
    def get_native_sample_rates(self) -> List[int]:
        return []

    @torch.jit.export
    def get_native_buffer_sizes(self) -> List[int]:
        return [256]

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x)


MODELS = {
    "clipper": lambda: SdkClipper(HardClip()),
    "monoblocks": lambda: SdkMonoBlocks(Halve()),
}


def export_one(name: str, out_dir: Path) -> Path:
    """Export the model `name` with the reference into `out_dir/name/`; returns its `model.nm`."""
    root = out_dir / name
    save_neutone_model(
        MODELS[name](),
        root,
        dump_samples=False,
        submission=False,
        speed_benchmark=False,
    )
    return root / "model.nm"


def export_in_a_fork(name: str, out_dir: Path) -> None:
    """`export_one` in a forked child, so the export leaves nothing behind in this process."""

    def child() -> int:
        try:
            print(export_one(name, out_dir))
            return 0
        except BaseException:  # noqa: BLE001  (reported here, then the exit code says it)
            traceback.print_exc()
            return 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()

    code = fork_and_wait(child)
    if code != 0:
        raise RuntimeError(f"{name}: the export exited {code}")


def main(argv: List[str]) -> None:
    """`OUT_DIR [NAME ...]`: each model (all by default) exported in a process of its own."""
    out_dir = Path(argv[0])
    for name in argv[1:] or list(MODELS):
        export_in_a_fork(name, out_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
