"""Freeze and optimize a scripted adapter without losing what the plugin calls.

`torch.jit.freeze` folds away every method and attribute it is not told to keep, and
`torch.jit.optimize_for_inference` rewrites only `forward` unless given the others: both are
told the adapter's `get_preserved_attributes()` (and any attribute named in `keep`, such as
`realtime`, which the plugin reads first).
"""

from typing import Sequence

import torch

from neutone_export.module_types import as_plugin


def freeze_for_plugin(
    scripted: torch.jit.ScriptModule,
    *,
    freeze: bool,
    optimize: bool,
    keep: Sequence[str] = (),
) -> torch.jit.ScriptModule:
    """`scripted` frozen when `freeze` or `optimize`, then optimized for inference when
    `optimize`, keeping its preserved attributes and `keep`; unchanged when neither."""
    preserved = list(as_plugin(scripted).get_preserved_attributes())
    if freeze or optimize:
        scripted = torch.jit.freeze(scripted, preserved_attrs=[*preserved, *keep])
    if optimize:
        others = [name for name in preserved if scripted._c._has_method(name) and name != "forward"]
        scripted = torch.jit.optimize_for_inference(scripted, other_methods=others)
    return scripted
