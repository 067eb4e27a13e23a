"""The one reader of a `.nm`'s kind: the attribute `realtime`, which the plugin reads first.

Example:
    >>> class GenFile:
    ...     realtime = False
    >>> realtime_flag(GenFile()), realtime_flag(object())
    (False, None)
"""

from typing import Any


def realtime_flag(module: object) -> Any:
    """The module's `realtime` attribute as the plugin reads it; None when it has none."""
    return getattr(module, "realtime", None)
