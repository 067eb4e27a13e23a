"""The argument check every constructor here makes on a count or a size.

A bool is an int in Python; no constructor takes ``True`` for a number of samples.
"""

from typing import TypeGuard


def is_int_at_least(value: object, low: int) -> TypeGuard[int]:
    """Whether `value` is an int, not a bool, and ``>= low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low
