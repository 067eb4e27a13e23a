"""`WaveformToWaveformBase`: the class a researcher subclasses to describe and run a model.

It holds no streaming logic: the `RealtimeAdapter` (``neutone_core.adapter``) calls
``do_forward_pass`` with blocks at the model's native sample rate and buffer size. Names follow the
Neutone SDK, so a model written for it ports by changing its imports. Nothing is read from the
subclass in ``__init__``; the adapter reads and validates the getters when it is built.
"""

from typing import Any, Dict, List, Sequence

import torch
from torch import Tensor

from neutone_core.description import ModelDescription
from neutone_core.metadata import build_metadata
from neutone_core.parameters import NumericalParameter


class WaveformToWaveformBase(ModelDescription):
    """Base class of a waveform-to-waveform model.

    Override the metadata getters (``get_model_name`` ... ``get_citation``), the channel layout
    (``is_input_mono``, ``is_output_mono``), the native settings and ``do_forward_pass``. The
    getters with a default below need no override.

    Args:
        model: the network; kept as ``self.model``.
        use_debug_mode: accepted for Neutone SDK compatibility (``prepare_for_inference`` turns
            it off); the adapter checks shapes either way.
    """

    def get_neutone_parameters(self) -> Sequence[NumericalParameter]:
        """Knobs, at most 4, continuous or categorical; names key ``do_forward_pass``'s dict."""
        return []

    # -- plugin defaults (all in [0, 1]) ----------------------------------------------------------
    def get_wet_default_value(self) -> float:
        return 1.0

    def get_dry_default_value(self) -> float:
        return 0.0

    def get_input_gain_default_value(self) -> float:
        return 1.0

    def get_output_gain_default_value(self) -> float:
        return 1.0

    # -- audio layout and timing -----------------------------------------------------------------
    def is_input_mono(self) -> bool:
        """True: ``do_forward_pass`` gets one channel (host stereo is averaged); False: two."""
        raise NotImplementedError("override is_input_mono() -> bool")

    def is_output_mono(self) -> bool:
        """True: ``do_forward_pass`` returns one channel (duplicated for a stereo host)."""
        raise NotImplementedError("override is_output_mono() -> bool")

    def get_native_sample_rates(self) -> List[int]:
        """Sample rates (Hz) the model runs at; empty means any."""
        raise NotImplementedError("override get_native_sample_rates() -> List[int]")

    def get_native_buffer_sizes(self) -> List[int]:
        """Block sizes (samples) the model runs at; empty means any (blocks of varying length)."""
        raise NotImplementedError("override get_native_buffer_sizes() -> List[int]")

    def calc_model_delay_samples(self) -> int:
        """Delay of the model's own output, in native samples (>= 0)."""
        return 0

    def get_look_behind_samples(self) -> int:
        """Past samples prepended to every block (>= 0)."""
        return 0

    def get_look_ahead_samples(self) -> int:
        """Future samples appended to every block (>= 0); the adapter delays the output as much."""
        return 0

    # -- runtime hooks ----------------------------------------------------------------------------
    def aggregate_params(self, params: Tensor) -> Tensor:
        """Reduce every knob's block of values at once (the Neutone SDK's hook).

        Args:
            params: ``(4, native_bs)``, one row per knob slot: the mapped values of the model's
                knobs (min/max applied, categorical knobs rounded), then the plugin's positions
                of the unused slots. A scratch buffer of the adapter, valid during the call only.

        Returns:
            ``(4, m)``: row ``i`` is what knob ``i`` receives (``m`` 1 for one value per block,
            ``native_bs`` to keep the sample-level values: return ``params`` itself).

        The default is the mean over the block, ``(4, 1)``; the adapter computes it without
        allocating. Override this or ``aggregate_param``, not both. (The Neutone SDK 1.5 hands
        this hook the plugin's positions in [0, 1], ignoring min/max; ours are mapped.)
        """
        return torch.mean(params, dim=1, keepdim=True)

    def aggregate_param(self, param: Tensor) -> Tensor:
        """Reduce one knob's block of values, shape ``(native_bs,)``, to what the model receives.

        The default is the mean over the block, shape ``(1,)`` (the adapter computes it without
        allocating and rounds it for categorical knobs). Return ``param`` itself to keep the
        sample-level values; it is a scratch buffer of the adapter, valid during the call only.
        Override this or ``aggregate_params``, not both.
        """
        return torch.mean(param, dim=0, keepdim=True)

    def reset_model(self) -> bool:
        """Clear the model's own streaming state; called by the adapter's ``reset()``."""
        return True

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        """Called with the chosen native sample rate (Hz) and the largest block size (samples)."""
        return True

    # -- outside the audio path (plain Python, not scripted) --------------------------------------
    def prepare_for_inference(self) -> None:
        """Put the wrapper and its model in evaluation mode and turn debug mode off."""
        self.use_debug_mode = False
        self.model.eval()
        self.eval()

    def get_neutone_parameters_metadata(self) -> Dict[str, Dict[str, Any]]:
        """The ``neutone_parameters`` entry of the metadata: ``p1``.. for each knob slot."""
        return dict(build_metadata(self)["neutone_parameters"])

    def to_metadata(self) -> Dict[str, Any]:
        """The metadata dictionary of the model (``sample_sound_files`` empty)."""
        return build_metadata(self)

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        """Process one block.

        Args:
            x: ``(in_ch, look_behind + native_bs + look_ahead)`` at the native rate, in a buffer
                of the adapter valid during the call. Writing into it is allowed: it is never the
                host's buffer, and the next block's look-behind and look-ahead come from the input.
            params: knob name -> mapped value(s) (see ``aggregate_params`` and
                ``aggregate_param``).

        Returns:
            ``(out_ch, native_bs)``: the block's samples ``look_behind .. look_behind + native_bs``,
            delayed by ``calc_model_delay_samples()``.
        """
        raise NotImplementedError("override do_forward_pass(x, params) -> Tensor")
