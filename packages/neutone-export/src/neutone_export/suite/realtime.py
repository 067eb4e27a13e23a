"""The realtime catalogue: every check of a realtime `.nm`, in the order the suite runs them.

A new check is a function `check_<name>(ctx: CheckContext) -> CheckResult` in the module of its
subject (contract, signal, delay, speed) and one `Check` line here.

A submission is refused for what would break in the plugin: plugin_load, contract, metadata,
consistency, shapes, finite, delay, delay_breakdown. The quality findings (dc, determinism,
reset, streaming, eager, realtime, origin) are reported as warnings with their fix; `strict=True`
refuses for them too, except realtime (it times the machine) and origin (it never fails).
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
    check_dc,
    check_determinism,
    check_eager,
    check_finite,
    check_reset,
    check_shapes,
)
from neutone_export.suite.speed import check_realtime

DELAYS = ("calc_buffering_delay_samples", "calc_model_delay_samples")
DC_FIX = (
    "remove the offset: end do_forward_pass with a DC blocker, e.g. neutone_filters "
    "SOSFilter(butterworth('highpass', 1, 10.0, sample_rate)), or drop the bias that makes it"
)
DETERMINISM_FIX = (
    "make the output depend only on the input, the knobs and the state (random draws from torch's "
    "default generator are fine: the checks seed it; a generator of its own or uninitialised "
    "buffers are not)"
)
RESET_FIX = (
    "clear every buffer in reset_model(), or make the module holding it a neutone_core "
    "StatefulModule (the adapter resets those)"
)

REALTIME_CHECKS: List[Check[CheckContext]] = [
    Check("origin", check_origin, blocks_submission=False, blocks_strict=False),
    Check("plugin_load", check_plugin_load),
    Check("contract", check_contract),
    Check("metadata", check_metadata),
    Check("consistency", check_consistency),
    Check("shapes", check_shapes, ("forward", "set_daw_sample_rate_and_buffer_size")),
    Check("finite", check_finite, ("forward", "reset", "get_default_param_values")),
    Check("dc", check_dc, ("forward", "reset"), blocks_submission=False, fix=DC_FIX),
    Check(
        "determinism",
        check_determinism,
        ("forward",),
        blocks_submission=False,
        fix=DETERMINISM_FIX,
    ),
    Check("reset", check_reset, ("forward", "reset"), blocks_submission=False, fix=RESET_FIX),
    Check(
        "streaming",
        check_streaming,
        ("forward", "forward_offline"),
        blocks_submission=False,
        fix="make the output independent of the host buffer size: keep state across calls and "
        "report every sample of delay the model adds",
    ),
    Check("delay", check_delay, ("forward", "reset", *DELAYS)),
    Check(
        "delay_breakdown",
        check_delay_breakdown,
        ("get_delay_breakdown",),
        skip_note=" (files written by the Neutone SDK 1.5 lack it)",
    ),
    Check(
        "eager",
        check_eager,
        ("forward",),
        blocks_submission=False,
        fix="make the scripted model compute what the Python one does: look for Python-only "
        "behaviour in do_forward_pass (globals, attributes changed outside forward)",
    ),
    Check(
        "realtime",
        check_realtime,
        ("forward",),
        blocks_submission=False,
        blocks_strict=False,
        fix="make do_forward_pass faster, or process larger native buffers",
    ),
]
