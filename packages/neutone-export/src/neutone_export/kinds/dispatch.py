"""The one dispatch point on the model kind: every caller that would branch on realtime versus
non-realtime asks `kind_of_model` (a researcher's Python model) or `kind_of_module` (a loaded or
scripted `.nm`) and calls the kind.

Example:
    >>> kind_of_module(nn.Identity()).name
    'realtime'
"""

from typing import List

from torch import nn

from neutone_export.kinds.flag import realtime_flag
from neutone_export.kinds.gen import GEN
from neutone_export.kinds.kind import ModelKind
from neutone_export.kinds.realtime import REALTIME

KINDS: List[ModelKind] = [REALTIME, GEN]


def kind_of_model(model: object) -> ModelKind:
    """The kind of a researcher's model: non-realtime for a `NonRealtimeBase`, else realtime
    (whose scripting explains what a model that is neither lacks)."""
    return GEN if GEN.owns(model) else REALTIME


def kind_of_module(module: nn.Module) -> ModelKind:
    """The kind of a loaded or scripted `.nm` module: non-realtime when `realtime` is False."""
    return GEN if realtime_flag(module) is False else REALTIME
