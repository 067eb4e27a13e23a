"""What every realtime check works on: the module under test, its metadata and the suite's
settings (`CheckContext`), and the settings the catalogue shares.

Every check works on fresh copies of the module (`CheckContext.fresh`), so no check sees another's
state. Signals are short (`CheckContext.seconds`, 0.5 s by default) so a simple model validates in
seconds on one core.
"""

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence

import torch
from torch import nn

from neutone_export.files.copying import copy_script_module, deep_copy_is_faithful
from neutone_export.module_types import as_plugin, has_compiled_method

DEFAULT_SAMPLE_RATES = (44100, 48000)
DEFAULT_BUFFER_SIZES = (32, 64, 128, 256, 512, 1024, 2048)
BASE_SAMPLE_RATE = 48000
BASE_BUFFER_SIZE = 512
# Below this normalised cross-correlation the output is unrelated to the input and no delay can be
# read.
MIN_CORRELATION = 0.3
MAX_LISTED = 4


@dataclass
class CheckContext:
    """What every check needs: the module under test, its metadata and the suite's settings;
    `package_dir` is the pt2 package written beside it (None when none was)."""

    module: nn.Module
    metadata: Dict[str, Any] | None = None
    eager_model: nn.Module | None = None
    sample_rates: Sequence[int] = DEFAULT_SAMPLE_RATES
    buffer_sizes: Sequence[int] = DEFAULT_BUFFER_SIZES
    seconds: float = 0.5
    seed: int = 0
    made_by_reference: bool = False
    package_dir: Path | None = None
    is_script: bool = field(init=False, default=False)
    deep_copies: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.is_script = isinstance(self.module, torch.jit.ScriptModule)
        if self.is_script:  # decided once: it costs a save of the user's model
            self.deep_copies = deep_copy_is_faithful(self.script_module())

    def has(self, name: str) -> bool:
        """Whether the module offers the method `name` (compiled, for a scripted module)."""
        if self.is_script:
            return has_compiled_method(self.module, name)
        return callable(getattr(self.module, name, None))

    def fresh(self) -> nn.Module:
        """An independent copy of the module with its own state (`files.copying` says how)."""
        if isinstance(self.module, torch.jit.ScriptModule):
            return copy_script_module(self.module, deep=self.deep_copies)
        return copy.deepcopy(self.module)

    def n_samples(self, sample_rate: int) -> int:
        """Length of the test signals at `sample_rate`."""
        return max(1, round(self.seconds * sample_rate))

    def metadata_or_module(self) -> Dict[str, Any]:
        """The metadata given (the file's `metadata.json`), else the module's `to_metadata()`."""
        if self.metadata is not None:
            return self.metadata
        return dict(as_plugin(self.module).to_metadata())

    def script_module(self) -> torch.jit.ScriptModule:
        """The module under test as the scripted module it is (TypeError for an eager one)."""
        if not isinstance(self.module, torch.jit.ScriptModule):
            raise TypeError(f"the module under test is not scripted: {type(self.module).__name__}")
        return self.module


def listed(items: List[str]) -> str:
    """At most MAX_LISTED items joined, with a count of the rest.

    Example:
        >>> listed(["a", "b", "c", "d", "e", "f"])
        'a; b; c; d; and 2 more'
    """
    shown = "; ".join(items[:MAX_LISTED])
    rest = len(items) - MAX_LISTED
    return shown + (f"; and {rest} more" if rest > 0 else "")
