"""What a model kind is: the `ModelKind` protocol that realtime and non-realtime ("Gen") models
implement, so that saving, checking, rendering and timing ask the kind instead of branching.

A `.nm` says its kind with the attribute `realtime` (`kinds.flag.realtime_flag` reads it); a
researcher's model says it with its base class.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Protocol, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_export.audio.samples import DEFAULT_SAMPLE_RATE
from neutone_export.suite.context import DEFAULT_BUFFER_SIZES, DEFAULT_SAMPLE_RATES
from neutone_export.suite.report import CheckResult, ValidationReport
from neutone_export.suite.runner import Check


@dataclass
class SaveOptions:
    """`save_neutone_model`'s keywords, checked by the kind before any work."""

    caller: str
    freeze: bool = False
    optimize: bool = False
    trace: bool = False
    sample_rates: Sequence[int] = ()
    submission: bool | None = None
    dump_samples: bool | None = None
    audio_sample_pairs: Sequence[Any] | None = None
    max_n_samples: int | None = None
    speed_benchmark: bool | None = None
    test_offline_mode: bool | None = None
    input_samples: Sequence[Tensor] | None = None
    samples_sample_rate: int = DEFAULT_SAMPLE_RATE
    strict: bool = False
    reference_loader_knobs: bool = False
    formats: Tuple[str, ...] = ("nm",)
    skip: Dict[str, str] = field(default_factory=dict)

    @property
    def reference_call(self) -> bool:
        """Whether a Neutone SDK-only keyword was given (not None): a ported script."""
        sdk_only = (
            self.dump_samples,
            self.submission,
            self.audio_sample_pairs,
            self.max_n_samples,
            self.speed_benchmark,
            self.test_offline_mode,
        )
        return any(value is not None for value in sdk_only)


OnCheck = Callable[[CheckResult], None]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SuiteSettings:
    """How a kind's catalogue runs (`validate_neutone_model`'s options, already checked).

    `eager_model` is the Python model to compare with (None skips `eager`); `sample_rates` and
    `buffer_sizes` are the host settings tested; `seconds` the test signals' length; `seed` that
    of every random signal; `num_threads` the intra-op threads (None keeps them); `skip` check
    name -> reason; `on_check` is called with each result as it is known; `package_dir` is the
    pt2 package written beside the module (its checks run too), None when none was.
    """

    eager_model: nn.Module | None = None
    sample_rates: Sequence[int] = DEFAULT_SAMPLE_RATES
    buffer_sizes: Sequence[int] = DEFAULT_BUFFER_SIZES
    seconds: float = 0.5
    seed: int = 0
    num_threads: int | None = 1
    skip: Mapping[str, str] = field(default_factory=dict)
    on_check: OnCheck | None = None
    package_dir: Path | None = None


class ModelKind(Protocol):
    """What one kind of model scripts, saves, checks, renders and times.

    `name` ("realtime" or "non-realtime") is what reports say; `streams` is True for a kind the
    host calls per buffer (it has a stream delay and a per-buffer speed), False for one it calls
    per whole clip; `plugin_methods` are the methods a loaded file of the kind must offer to be
    benchmarked; `checks` is its catalogue for the one runner (`suite.runner.run_checks`).
    """

    name: str
    streams: bool
    plugin_methods: Tuple[str, ...]
    checks: Sequence[Check[Any]]

    def owns(self, model: object) -> bool:
        """Whether `model` (a researcher's Python model) is of this kind."""

    def script(
        self, model: nn.Module, *, freeze: bool, optimize: bool, trace: bool
    ) -> torch.jit.ScriptModule:
        """The scripted adapter around `model`, as a `.nm` holds it."""

    def check_save_options(self, options: SaveOptions) -> SaveOptions:
        """`options` checked for this kind (ValueError naming a keyword it refuses)."""

    def porting_notes(self, model: nn.Module, options: SaveOptions) -> List[str]:
        """The porting notes of a model saved with `options` (warned about once)."""

    def demo_sound_files(
        self,
        scripted: torch.jit.ScriptModule,
        options: SaveOptions,
        samples_dir: Any,
        progress: Progress,
    ) -> List[Dict[str, str]]:
        """The metadata's `sample_sound_files` (and the demo files under `samples_dir`)."""

    def validate(
        self, module: nn.Module, metadata: Dict[str, Any] | None, settings: SuiteSettings
    ) -> ValidationReport:
        """Run the kind's catalogue on a loaded (or scripted) module."""

    def render(
        self, module: nn.Module, audio: Tensor, sample_rate: int, buffer_size: int = 512
    ) -> List[Tensor]:
        """What the plugin puts out for `audio` `(ch, n)` at the host's settings: the
        delay-compensated stream (realtime) or the output tracks of one run (non-realtime)."""
