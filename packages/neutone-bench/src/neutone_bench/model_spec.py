"""What a MODEL argument names, told without importing torch: a file path or a model name.

The command lines answer a MODEL file that is not there at once, before torch loads (seconds);
`neutone_bench.models` resolves the argument itself.
"""

from __future__ import annotations

import os
from pathlib import Path


def looks_like_path(spec: str) -> bool:
    """Whether MODEL `spec` is a file path (a name has no separator, no `.nm`, and no file).

    Example:
        >>> looks_like_path("clipper"), looks_like_path("exports/clipper"), looks_like_path("x.nm")
        (False, True, True)
    """
    return (
        spec.endswith(".nm")
        or "/" in spec
        or os.sep in spec
        or (os.altsep is not None and os.altsep in spec)
        or Path(spec).exists()
    )


def missing_model_file(spec: str | None) -> str | None:
    """The loader's one line for a MODEL path that does not exist, else None.

    Example:
        >>> missing_model_file("no/such/model.nm"), missing_model_file("clipper")
        ('no/such/model.nm: no such file', None)
    """
    if spec is None or not looks_like_path(spec) or Path(spec).exists():
        return None
    return f"{Path(spec)}: no such file"
