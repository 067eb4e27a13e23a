"""`NonRealtimeBase`: the class a researcher subclasses for a whole-clip ("Gen") model.

A non-realtime model takes whole clips (or nothing: a generator) and returns whole clips, with up
to four numerical knobs, one text prompt and one token list, several labelled audio inputs and
outputs, progress reporting and cancellation. Names follow the Neutone SDK 1.5, so a Gen model
written for it ports by changing its imports. As with `WaveformToWaveformBase`, nothing is read
from the subclass in ``__init__``; `NonRealtimeAdapter` (``neutone_core.non_realtime_adapter``)
reads and validates the getters, resamples, cuts the clip into native blocks and calls
``do_forward_pass``.

What lives here is the model's own run-time state that ``do_forward_pass`` may touch: its progress
within the current block (``set_progress_percentage``) and the cancel request
(``should_cancel_forward_pass``), so that a long one-shot model can report progress and stop early.
"""

from enum import Enum
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor, nn

from neutone_core.description import ModelDescription
from neutone_core.parameters import AnyParameter


class TokenizerType(Enum):
    """Formats of the tokenizer a `NonRealtimeTokenizerBase` ships (Neutone SDK values)."""

    JSON = "JSON"  # a Hugging Face tokenizer.json
    SENTENCEPIECE = "SentencePiece"
    RWKVWORLD = "RWKVWorld"


class NonRealtimeBase(ModelDescription):
    """Base class of a non-realtime model.

    Override the metadata getters (``get_model_name`` ... ``get_citation``), the audio layout
    (``get_audio_in_channels``, ``get_audio_out_channels``), the native settings,
    ``is_one_shot_model`` and ``do_forward_pass``. The getters with a default need no override.

    Args:
        model: the network; kept as ``self.model``.
        use_debug_mode: kept for Neutone SDK compatibility; the adapter always checks shapes.
    """

    def __init__(self, model: nn.Module, use_debug_mode: bool = True) -> None:
        super().__init__(model, use_debug_mode)
        self.progress_percentage = 0.0
        self.cancel_forward_pass_requested = False

    def get_neutone_parameters(self) -> Sequence[AnyParameter]:
        """Up to four continuous or categorical knobs, one `TextNeutoneParameter` and one
        `DiscreteTokensNeutoneParameter`; knob names key ``do_forward_pass``'s dict."""
        return []

    def get_wet_default_value(self) -> float:
        return 1.0

    def get_dry_default_value(self) -> float:
        return 0.0

    def get_input_gain_default_value(self) -> float:
        return 0.5

    def get_output_gain_default_value(self) -> float:
        return 0.5

    # -- audio layout -----------------------------------------------------------------------------
    def get_audio_in_channels(self) -> List[int]:
        """Channels (1 or 2) of each input track; empty for a generator."""
        raise NotImplementedError("override get_audio_in_channels() -> List[int]")

    def get_audio_out_channels(self) -> List[int]:
        """Channels (1 or 2) of each output track; at least one track."""
        raise NotImplementedError("override get_audio_out_channels() -> List[int]")

    def get_audio_in_labels(self) -> List[str]:
        """Names the plugin shows for the input tracks: one per track, or none."""
        return []

    def get_audio_out_labels(self) -> List[str]:
        """Names the plugin shows for the output tracks: one per track, or none."""
        return []

    def get_native_sample_rates(self) -> List[int]:
        """Sample rates (Hz) the model runs at; empty means any."""
        raise NotImplementedError("override get_native_sample_rates() -> List[int]")

    def get_native_buffer_sizes(self) -> List[int]:
        """Block sizes (samples) the model runs at; empty means any. Ignored by a one-shot model."""
        raise NotImplementedError("override get_native_buffer_sizes() -> List[int]")

    def is_one_shot_model(self) -> bool:
        """True: the whole clip in one call; False: the clip in blocks of the native size."""
        raise NotImplementedError("override is_one_shot_model() -> bool")

    def get_model_bpm(self) -> Optional[int]:
        """Tempo the model was trained at, if it has one."""
        return None

    def has_progress_percentage(self) -> bool:
        """Whether ``do_forward_pass`` reports its progress with ``set_progress_percentage``."""
        return True

    def calc_model_delay_samples(self) -> int:
        """Delay of the model's own output, in native samples (>= 0); the adapter removes it."""
        return 0

    def get_tokenizer_str(self) -> str:
        """The tokenizer the plugin runs to make token lists (base64); empty without one."""
        return ""

    def get_tokenizer_type(self) -> Optional[str]:
        """`TokenizerType` value of ``get_tokenizer_str()``, or None."""
        return None

    # -- runtime hooks ----------------------------------------------------------------------------
    def aggregate_numerical_params_0to1(self, numerical_params_0to1: Tensor) -> Tensor:
        """Reduce the knob positions of one block, ``(n_knobs, n)`` in [0, 1], before mapping.

        The default is the mean over the block, ``(n_knobs, 1)``; return the input for
        sample-level control.
        """
        return torch.mean(numerical_params_0to1, dim=1, keepdim=True)

    def reset_model(self) -> bool:
        """Clear the model's own state; called by the adapter's ``reset()``."""
        return True

    def set_model_sample_rate_and_buffer_size(self, sample_rate: int, n_samples: int) -> bool:
        """Called with the chosen native sample rate (Hz) and block size (samples)."""
        return True

    def set_progress_percentage(self, progress_percentage: float) -> None:
        """Report progress within the current call of ``do_forward_pass``, 0 to 100."""
        if not 0.0 <= progress_percentage <= 100.0:
            raise ValueError(
                f"set_progress_percentage: progress must be in [0, 100], got {progress_percentage}"
            )
        self.progress_percentage = progress_percentage

    def get_progress_percentage(self) -> float:
        """Progress within the current call of ``do_forward_pass``, 0 to 100."""
        return self.progress_percentage

    def should_cancel_forward_pass(self) -> bool:
        """True once a cancel was requested; a long ``do_forward_pass`` may poll it, return []."""
        return self.cancel_forward_pass_requested

    def request_cancel_forward_pass(self) -> None:
        """Ask the run in progress to stop; ``reset()`` of the adapter clears the request."""
        self.cancel_forward_pass_requested = True

    def do_forward_pass(
        self,
        curr_block_idx: int,
        audio_in: List[Tensor],
        numerical_params: Dict[str, Tensor],
        text_params: List[str],
        tokens_params: List[List[int]],
    ) -> List[Tensor]:
        """Process one block (the whole clip for a one-shot model).

        Args:
            curr_block_idx: index of the block in the clip (0 for a one-shot model).
            audio_in: one ``(channels, n)`` tensor per input track at the native sample rate;
                read-only. ``n`` is the native block size unless the model is one-shot.
            numerical_params: knob name -> mapped value(s), see
                ``aggregate_numerical_params_0to1``.
            text_params: the text of the text parameter, if any (``[]`` otherwise).
            tokens_params: the token list of the tokens parameter, if any.

        Returns:
            one ``(channels, m)`` tensor per output track at the native rate; for a block model
            with inputs, ``m`` equals ``n``.
        """
        raise NotImplementedError("override do_forward_pass(...) -> List[Tensor]")


class NonRealtimeTokenizerBase(NonRealtimeBase):
    """A `NonRealtimeBase` that ships its tokenizer, for models with a tokens parameter.

    Args:
        model: the network.
        tokenizer_str: the tokenizer file, base64-encoded; the plugin runs it on the user's text.
        tokenizer_type: its format.
        use_debug_mode: kept for Neutone SDK compatibility.
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer_str: str,
        tokenizer_type: TokenizerType,
        use_debug_mode: bool = True,
    ) -> None:
        super().__init__(model, use_debug_mode)
        if not isinstance(tokenizer_str, str):
            raise ValueError(
                f"NonRealtimeTokenizerBase: tokenizer_str must be a base64 str, "
                f"got {type(tokenizer_str).__name__}"
            )
        if not isinstance(tokenizer_type, TokenizerType):
            raise ValueError(
                f"NonRealtimeTokenizerBase: tokenizer_type must be one of "
                f"{[t.name for t in TokenizerType]} (a TokenizerType), got {tokenizer_type!r}"
            )
        self.tokenizer_str = tokenizer_str
        self.tokenizer_type = tokenizer_type.value

    def get_tokenizer_str(self) -> str:
        return self.tokenizer_str

    def get_tokenizer_type(self) -> Optional[str]:
        return self.tokenizer_type
