"""Streaming DSP for neutone models: every processor keeps its state between buffers of any size,
reports its delay (`get_delay_samples`), resets (`reset`: a `neutone_core.StatefulModule`, so the
adapters reset it inside any wrapper) and scripts with TorchScript. State is
allocated on the first call, zeroed if the channel (or batch) count changes, and detached from
autograd between calls. Nothing scripted here calls torchaudio's compiled ops, which the Neutone
plugin (plain libtorch) cannot load.

Modules:
    biquad: audio-EQ cookbook biquads and Butterworth cascades (designs, as second-order sections).
    sos_filter: `SOSFilter`, a stateful cascade of second-order sections solved block-wise.
    state_variable: `StateVariableFilter`, a knob-driven TPT state-variable filter.
    fir: `design_fir` (Kaiser windowed sinc), `FIRFilter` (streaming direct or FFT convolution,
        also built from the Neutone SDK's `FilterType`), `FilterType`.
    stft: `RealtimeSTFT`, causal STFT, per-frame spectral hook and weighted overlap-add.
    block_stft: `BlockSTFT`, the Neutone SDK's `RealtimeSTFT` interface (spectrogram in and out).
    film: `FiLM`, feature-wise linear modulation by a conditioning vector.
    iir: `IIRFilter`, `IIRSVF`, the Neutone SDK's IIR filters on `StateVariableFilter`.
    padding: `PaddingCached`, the Neutone SDK's cached left padding for streaming convolutions.
    conv_general: `Conv1dGeneral`, the Neutone SDK's offline-or-cached 1-D convolution.
    mel: `CachedMelSpec`, the Neutone SDK's streaming mel spectrogram; `mel_filterbank`.
    tcn: `TCN1D`, `TCN1DBlock`, the Neutone SDK's offline (stateless) temporal conv network.
    gcn: `GCN1D`, `GCN1DBlock`, the Neutone SDK's gated conv network with temporal FiLM.
    cached_conv: `CachedConv1d`, `StreamingDelay`, `TCNBlock`, `CachedTCN` for streaming conv nets.
    checks: `is_int_at_least`, the argument check the constructors share.
"""

from neutone_filters.__about__ import __version__
from neutone_filters.biquad import butterworth, cookbook_biquad
from neutone_filters.block_stft import BlockSTFT
from neutone_filters.cached_conv import CachedConv1d, CachedTCN, StreamingDelay, TCNBlock
from neutone_filters.conv_general import Conv1dGeneral
from neutone_filters.film import FiLM
from neutone_filters.fir import FilterType, FIRFilter, design_fir
from neutone_filters.gcn import GCN1D, GCN1DBlock
from neutone_filters.iir import IIRSVF, IIRFilter
from neutone_filters.mel import CachedMelSpec
from neutone_filters.padding import PaddingCached
from neutone_filters.sos_filter import SOSFilter
from neutone_filters.state_variable import StateVariableFilter
from neutone_filters.stft import RealtimeSTFT
from neutone_filters.tcn import TCN1D, TCN1DBlock

__all__ = [
    "GCN1D",
    "IIRSVF",
    "TCN1D",
    "BlockSTFT",
    "CachedConv1d",
    "CachedMelSpec",
    "CachedTCN",
    "Conv1dGeneral",
    "FIRFilter",
    "FiLM",
    "FilterType",
    "GCN1DBlock",
    "IIRFilter",
    "PaddingCached",
    "RealtimeSTFT",
    "SOSFilter",
    "StateVariableFilter",
    "StreamingDelay",
    "TCN1DBlock",
    "TCNBlock",
    "__version__",
    "butterworth",
    "cookbook_biquad",
    "design_fir",
]
