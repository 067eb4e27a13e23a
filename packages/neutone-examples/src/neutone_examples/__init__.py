"""neutone_examples: example neutone models, each a short module to copy as a starting point.

Modules:
    clipper: hard clipper with three knobs, no AI; the smallest complete model.
    clipper_prefilter: the clipper behind a linear-phase FIR low-pass; reports the filter's delay.
    overdrive_random: randomly initialised 1-D conv net (fixed seed) with full submission metadata.
    tcn_effect: residual TCN on cached convolutions, streaming, reporting its padding's delay.
    spectral_filter: band-pass mask on the realtime STFT; reports the framing delay.
    look_behind: echo that reads past samples from the adapter's look-behind window.
    look_ahead: peak limiter that uses future samples; the adapter reports the look-ahead.
    mono_to_stereo: Haas widener, mono in and stereo out, with a delay line reset by the adapter.
    native_rate: ring modulator pinned to 32 kHz and 512-sample blocks (resampling and queueing).
    categorical: waveshaper whose curve is picked by a categorical knob.
    registry: `EXAMPLES` (name -> factory), `build_example`, `example_names`.
    cli: the `neutone-examples` command line; `cli_export`: its `export` command.

The registry's names are imported on first use, so that `neutone-examples --help` does not load
torch.
"""

from typing import TYPE_CHECKING, Any

from neutone_examples.__about__ import __version__

__all__ = ["EXAMPLES", "__version__", "build_example", "example_names"]

if TYPE_CHECKING:
    from neutone_examples.registry import EXAMPLES, build_example, example_names


def __getattr__(name: str) -> Any:
    """Import a name of the registry on first use."""
    if name not in ("EXAMPLES", "build_example", "example_names"):
        raise AttributeError(f"module 'neutone_examples' has no attribute {name!r}")
    from neutone_examples import registry

    value = getattr(registry, name)
    globals()[name] = value
    return value
