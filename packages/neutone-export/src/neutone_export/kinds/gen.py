"""The non-realtime ("Gen") kind: a `NonRealtimeBase` in a `NonRealtimeAdapter`, called once per
whole clip (`forward_non_realtime`).

Its export holds no demo audio (``sample_sound_files`` stays empty, as in the Neutone SDK: a Gen
model's demo depends on prompts and knobs only its author can choose) and its checks are the Gen
catalogue (`suite.non_realtime`).
"""

import io
import warnings
from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_core.limits import check_sample_rate
from neutone_core.non_realtime import NonRealtimeBase
from neutone_core.non_realtime_adapter import NonRealtimeAdapter
from neutone_export.audio.samples import DEFAULT_SAMPLE_RATE
from neutone_export.files.freezing import freeze_for_plugin
from neutone_export.files.scripting import explain_scripting_error
from neutone_export.kinds.kind import Progress, SaveOptions, SuiteSettings
from neutone_export.module_types import as_plugin
from neutone_export.sdk15.porting_notes import PortingWarning
from neutone_export.suite.non_realtime import (
    DEFAULT_SAMPLE_RATES,
    NON_REALTIME_CHECKS,
    NonRealtimeContext,
)
from neutone_export.suite.report import ValidationReport
from neutone_export.suite.runner import Check, run_checks


def require_non_realtime(model: object) -> NonRealtimeBase:
    """`model` if it is a `NonRealtimeBase`; ValueError naming its class otherwise."""
    if not isinstance(model, NonRealtimeBase):
        raise ValueError(f"model: must be a NonRealtimeBase, got {type(model).__name__}")
    return model


def script_non_realtime_model(
    model: NonRealtimeBase, freeze: bool = False, optimize: bool = False
) -> torch.jit.ScriptModule:
    """Build the `NonRealtimeAdapter` around `model` and script it.

    Raises:
        ScriptingError: TorchScript cannot compile the model (where and how to fix it).
        ValueError: the model's getters or parameters break a rule (MetadataError included).
    """
    adapter = NonRealtimeAdapter(require_non_realtime(model)).eval()
    try:
        scripted: torch.jit.ScriptModule = torch.jit.script(adapter)
        torch.jit.save(scripted, io.BytesIO())  # Python calls left in the graph fail only here
    except Exception as error:  # TorchScript raises RuntimeError and frontend errors alike
        raise explain_scripting_error(model, error) from error
    return freeze_for_plugin(scripted, freeze=freeze, optimize=optimize)


def _given(pairs: Sequence[tuple[str, bool]]) -> List[str]:
    return [name for name, value in pairs if value]


class GenKind:
    """A `NonRealtimeBase`, scripted into the non-realtime adapter."""

    name = "non-realtime"
    streams = False
    plugin_methods: Tuple[str, ...] = (
        "forward_non_realtime",
        "set_daw_sample_rate_and_buffer_size",
        "reset",
        "get_progress_percentage",
    )
    checks: Sequence[Check[Any]] = NON_REALTIME_CHECKS

    def owns(self, model: object) -> bool:
        """Whether `model` is a `NonRealtimeBase`."""
        return isinstance(model, NonRealtimeBase)

    def script(
        self, model: nn.Module, *, freeze: bool, optimize: bool, trace: bool
    ) -> torch.jit.ScriptModule:
        """`script_non_realtime_model` (no trace fallback: `check_save_options` refuses it)."""
        return script_non_realtime_model(require_non_realtime(model), freeze, optimize)

    def check_save_options(self, options: SaveOptions) -> SaveOptions:
        """Refuse neutone's realtime-only keywords; warn once about the SDK's keywords that
        change nothing here (an SDK script passes them; refusing them would stop it)."""
        caller = options.caller
        realtime_only = _given(
            [
                ("trace=True", options.trace),
                ("input_samples", options.input_samples is not None),
                ("samples_sample_rate", options.samples_sample_rate != DEFAULT_SAMPLE_RATE),
            ]
        )
        if realtime_only:
            raise ValueError(
                f"{caller}: {', '.join(realtime_only)} apply to realtime models only; a "
                "NonRealtimeBase model is scripted whole and its export holds no demo audio "
                "(it takes freeze, optimize, sample_rates, overwrite_passing, submission and quiet)"
            )
        without_effect = _given(
            [
                ("dump_samples", options.dump_samples is not None),
                ("audio_sample_pairs", options.audio_sample_pairs is not None),
                ("max_n_samples", options.max_n_samples is not None),
                ("speed_benchmark", options.speed_benchmark is not None),
                ("test_offline_mode", options.test_offline_mode is not None),
            ]
        )
        if without_effect:
            warnings.warn(
                f"{caller}: {', '.join(without_effect)} change nothing for a non-realtime model: "
                "its export holds no demo audio, and the non-realtime checks have no realtime or "
                "streaming check to skip",
                PortingWarning,
                stacklevel=3,
            )
        options.sample_rates = [
            check_sample_rate(rate, f"{caller}: sample_rates") for rate in options.sample_rates
        ]
        return options

    def porting_notes(self, model: nn.Module, options: SaveOptions) -> List[str]:
        """None: the porting notes are about realtime models."""
        return []

    def demo_sound_files(
        self,
        scripted: torch.jit.ScriptModule,
        options: SaveOptions,
        samples_dir: Any,
        progress: Progress,
    ) -> List[Dict[str, str]]:
        """None, as in the Neutone SDK."""
        return []

    def validate(
        self, module: nn.Module, metadata: Dict[str, Any] | None, settings: SuiteSettings
    ) -> ValidationReport:
        """The Gen catalogue on `module` at 48000, 44100 Hz and `settings.sample_rates` (the
        realtime-only settings, such as buffer sizes and the eager model, do not apply)."""
        metadata = dict(as_plugin(module).to_metadata()) if metadata is None else metadata
        rates = list(dict.fromkeys([*DEFAULT_SAMPLE_RATES, *settings.sample_rates]))
        context = NonRealtimeContext(module=module, metadata=metadata, sample_rates=rates)
        report = ValidationReport(
            source=type(module).__name__,
            settings={
                "sample_rates": rates,
                "realtime": False,
                "torch_threads": settings.num_threads or torch.get_num_threads(),
            },
        )
        report.checks = run_checks(
            self.checks,
            context,
            skip=settings.skip,
            num_threads=settings.num_threads,
            on_check=settings.on_check,
        )
        return report

    def render(
        self, module: nn.Module, audio: Tensor, sample_rate: int, buffer_size: int = 512
    ) -> List[Tensor]:
        """The output tracks of one run on `audio` at the host's settings, default knobs."""
        plugin = as_plugin(module)
        plugin.set_daw_sample_rate_and_buffer_size(sample_rate, buffer_size, None, None)
        return list(plugin.forward_non_realtime([audio], None, None, None))


GEN = GenKind()
