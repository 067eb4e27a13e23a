"""The realtime catalogue: every check of a realtime `.nm`, in the order the suite runs them.

A new check is a function `check_<name>(ctx: CheckContext) -> CheckResult` in the module of its
subject (contract, signal, delay, speed) and one `Check` line here.
"""

from typing import List

from neutone_export.suite.context import CheckContext
from neutone_export.suite.contract import (
    check_consistency,
    check_contract,
    check_metadata,
    check_origin,
    check_plugin_load,
)
from neutone_export.suite.delay import check_delay, check_delay_breakdown, check_streaming
from neutone_export.suite.runner import Check
from neutone_export.suite.signal import (
    check_determinism,
    check_eager,
    check_finite,
    check_reset,
    check_shapes,
)
from neutone_export.suite.speed import check_realtime

DELAYS = ("calc_buffering_delay_samples", "calc_model_delay_samples")

REALTIME_CHECKS: List[Check[CheckContext]] = [
    Check("origin", check_origin, blocks_submission=False),
    Check("plugin_load", check_plugin_load),
    Check("contract", check_contract),
    Check("metadata", check_metadata),
    Check("consistency", check_consistency),
    Check("shapes", check_shapes, ("forward", "set_daw_sample_rate_and_buffer_size")),
    Check("finite", check_finite, ("forward", "reset", "get_default_param_values")),
    Check("determinism", check_determinism, ("forward",)),
    Check("reset", check_reset, ("forward", "reset")),
    Check("streaming", check_streaming, ("forward", "forward_offline")),
    Check("delay", check_delay, ("forward", "reset", *DELAYS)),
    Check(
        "delay_breakdown",
        check_delay_breakdown,
        ("get_delay_breakdown",),
        skip_note=" (files written by the Neutone SDK 1.5 lack it)",
    ),
    Check("eager", check_eager, ("forward",)),
    Check("realtime", check_realtime, ("forward",), blocks_submission=False),
]
