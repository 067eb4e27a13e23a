"""neutone_core: model API and realtime adapter to run a PyTorch audio model in the Neutone plugin.

Modules:
    parameters: knobs (`NeutoneParameter` / `ContinuousNeutoneParameter`,
        `CategoricalNeutoneParameter`), `TextNeutoneParameter` and
        `DiscreteTokensNeutoneParameter` (non-realtime), list checks.
    metadata: the metadata dictionary of the `.nm` contract, `validate_metadata`, `MetadataError`.
    description: `ModelDescription`, the model and metadata getters both base classes share.
    model: `WaveformToWaveformBase`, the class a researcher subclasses.
    stateful: `StatefulModule`, the base a module with state between calls subclasses so the
        adapters' ``reset()`` resets it.
    limits: the one set of limits on host rates, buffer sizes and durations (`LimitError`).
    kaiser: Kaiser window and windowed-sinc design formulas.
    resample: `StreamingResampler`, a stateful polyphase windowed-sinc sample-rate converter.
    fifo: `SampleFifo`, the preallocated sample queue of the adapter.
    delay_plan: choice of native settings and the exact delay arithmetic.
    channels: `ChannelConverter`, host <-> model channel counts (adapter stage).
    block_queue: `BlockQueue`, native-rate input cut into look-behind + block + look-ahead windows.
    knob_stream: `KnobStream`, knob queue, sample-and-hold, mapping and mean (adapter stage).
    adapter: `RealtimeAdapter`, the scripted module saved in a `.nm`; wires the stages.
    non_realtime: `NonRealtimeBase` (whole clips in, whole clips out), `NonRealtimeTokenizerBase`,
        `TokenizerType`.
    non_realtime_adapter: `NonRealtimeAdapter`, the scripted module saved in a non-realtime `.nm`.
"""

from neutone_core.__about__ import __version__
from neutone_core.adapter import RealtimeAdapter
from neutone_core.limits import LimitError
from neutone_core.metadata import (
    MetadataError,
    build_metadata,
    build_non_realtime_metadata,
    validate_metadata,
)
from neutone_core.model import WaveformToWaveformBase
from neutone_core.non_realtime import NonRealtimeBase, NonRealtimeTokenizerBase, TokenizerType
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_core.parameters import (
    CategoricalNeutoneParameter,
    ContinuousNeutoneParameter,
    DiscreteTokensNeutoneParameter,
    NeutoneParameter,
    TextNeutoneParameter,
)
from neutone_core.resample import StreamingResampler
from neutone_core.stateful import StatefulModule

__all__ = [
    "CategoricalNeutoneParameter",
    "ContinuousNeutoneParameter",
    "DiscreteTokensNeutoneParameter",
    "LimitError",
    "MetadataError",
    "NeutoneParameter",
    "NonRealtimeAdapter",
    "NonRealtimeBase",
    "NonRealtimeTokenizerBase",
    "RealtimeAdapter",
    "StatefulModule",
    "StreamingResampler",
    "TextNeutoneParameter",
    "TokenizerType",
    "WaveformToWaveformBase",
    "__version__",
    "build_metadata",
    "build_non_realtime_metadata",
    "validate_metadata",
]
