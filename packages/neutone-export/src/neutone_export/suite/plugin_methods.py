"""The methods the Neutone plugin calls on a `.nm` module, with their exact TorchScript signatures.

Each entry is `(arguments, return type)`; an argument is `(name, type, has_default)`. Types are
written as `torch._C.Argument.type` prints them. `OPTIONAL_METHODS` are neutone's additions: a file
from the Neutone SDK 1.5 lacks them, and checks that need one are skipped there, not failed.
"""

from typing import Dict, List, Tuple

Signature = Tuple[List[Tuple[str, str, bool]], str]

_AUDIO_ARGS = [("x", "Tensor", False), ("params", "Optional[Tensor]", True)]

REQUIRED_METHODS: Dict[str, Signature] = {
    "forward": (_AUDIO_ARGS, "Tensor"),
    "forward_bt": (_AUDIO_ARGS, "Optional[Tensor]"),
    "forward_offline": (_AUDIO_ARGS, "Tensor"),
    "set_daw_sample_rate_and_buffer_size": (
        [
            ("daw_sr", "int", False),
            ("daw_bs", "int", False),
            ("model_sr", "Optional[int]", True),
            ("model_bs", "Optional[int]", True),
        ],
        "int",
    ),
    "reset": ([], "NoneType"),
    "is_input_mono": ([], "bool"),
    "is_output_mono": ([], "bool"),
    "get_native_sample_rates": ([], "List[int]"),
    "get_native_buffer_sizes": ([], "List[int]"),
    "is_resampling": ([], "bool"),
    "calc_buffering_delay_samples": ([], "int"),
    "calc_model_delay_samples": ([], "int"),
    "get_preserved_attributes": ([], "List[str]"),
    "to_metadata": ([], "Dict[str, Any]"),
    "get_metadata_json": ([], "str"),
    "get_wet_default_value": ([], "float"),
    "get_dry_default_value": ([], "float"),
    "get_input_gain_default_value": ([], "float"),
    "get_output_gain_default_value": ([], "float"),
    "get_default_param_values": ([], "Tensor"),
}

OPTIONAL_METHODS: Dict[str, Signature] = {
    "get_delay_breakdown": ([], "Dict[str, int]"),
    "get_look_ahead_samples": ([], "int"),
}

DEFAULT_VALUE_GETTERS = (
    "get_wet_default_value",
    "get_dry_default_value",
    "get_input_gain_default_value",
    "get_output_gain_default_value",
)
