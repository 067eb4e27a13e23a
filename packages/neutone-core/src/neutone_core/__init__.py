"""neutone_core: model API and realtime adapter to run a PyTorch audio model in the Neutone plugin.

Modules:
    parameters: `NeutoneParameter` (continuous knob), `CategoricalNeutoneParameter`, list checks.
    metadata: the metadata dictionary of the `.nm` contract, `validate_metadata`, `MetadataError`.
    model: `WaveformToWaveformBase`, the class a researcher subclasses.
    kaiser: Kaiser window and windowed-sinc design formulas.
    resample: `StreamingResampler`, a stateful polyphase windowed-sinc sample-rate converter.
    resample_quality: SINAD, aliasing and impulse-delay measurements of a converter (tests, bench).
    fifo: `SampleFifo`, the preallocated sample queue of the adapter.
    delay_plan: choice of native settings and the exact delay arithmetic.
    channels: `ChannelConverter`, host <-> model channel counts (adapter stage).
    block_queue: `BlockQueue`, native-rate input cut into look-behind + block + look-ahead windows.
    knob_stream: `KnobStream`, knob queue, sample-and-hold, mapping and mean (adapter stage).
    adapter: `RealtimeAdapter`, the scripted module saved in a `.nm`; wires the stages.
"""

from neutone_core.__about__ import __version__
from neutone_core.adapter import RealtimeAdapter
from neutone_core.metadata import MetadataError, build_metadata, validate_metadata
from neutone_core.model import WaveformToWaveformBase
from neutone_core.parameters import (
    CategoricalNeutoneParameter,
    ContinuousNeutoneParameter,
    NeutoneParameter,
)
from neutone_core.resample import StreamingResampler

__all__ = [
    "CategoricalNeutoneParameter",
    "ContinuousNeutoneParameter",
    "MetadataError",
    "NeutoneParameter",
    "RealtimeAdapter",
    "StreamingResampler",
    "WaveformToWaveformBase",
    "__version__",
    "build_metadata",
    "validate_metadata",
]
