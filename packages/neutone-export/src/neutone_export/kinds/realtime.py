"""The realtime kind: a `WaveformToWaveformBase` in a `RealtimeAdapter`, called per host buffer.

Its export holds demo audio (rendered by the saved file at every knob extreme, or the inputs
given) and its checks are the realtime catalogue (`suite.realtime`).
"""

from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_core import WaveformToWaveformBase
from neutone_core.limits import check_sample_rate
from neutone_export.audio.render import render_aligned
from neutone_export.audio.samples import (
    SamplePair,
    demo_clips,
    encode_mp3,
    render_knob_samples,
    render_samples,
    to_base64,
    write_samples,
)
from neutone_export.errors import one_line
from neutone_export.files.copying import copy_script_module
from neutone_export.files.load import made_by_reference_sdk
from neutone_export.files.scripting import script_neutone_model
from neutone_export.files.staging import ExportError
from neutone_export.kinds.kind import Progress, SaveOptions, SuiteSettings
from neutone_export.sdk15.compat import MAX_SAMPLE_PAIRS, demo_inputs_from_pairs
from neutone_export.sdk15.porting_notes import warn_porting_notes
from neutone_export.suite.context import CheckContext
from neutone_export.suite.pt2 import PT2_CHECKS
from neutone_export.suite.pt2_native import PT2_NATIVE_CHECKS
from neutone_export.suite.realtime import REALTIME_CHECKS
from neutone_export.suite.report import ValidationReport
from neutone_export.suite.runner import Check, run_checks

DEMO_BUFFER_SIZE = 512


def _check_max_n_samples(max_n_samples: object, caller: str) -> int:
    """The number of demo pairs the metadata may embed: `max_n_samples`, 3 when None."""
    if max_n_samples is None:
        return MAX_SAMPLE_PAIRS
    if (
        isinstance(max_n_samples, bool)
        or not isinstance(max_n_samples, int)
        or not 1 <= max_n_samples <= MAX_SAMPLE_PAIRS
    ):
        raise ValueError(
            f"{caller}: max_n_samples must be an int in 1..{MAX_SAMPLE_PAIRS}, got "
            f"{max_n_samples!r}; pass 1, 2 or 3, or None for 3"
        )
    return max_n_samples


def _sound_file(pair: SamplePair) -> Dict[str, str]:
    """A `sample_sound_files` entry: the pair's input and output as base64 MP3."""
    return {
        side: to_base64(encode_mp3(audio, pair.sample_rate))
        for side, audio in (("in", pair.audio_in), ("out", pair.audio_out))
    }


def _require_realtime(model: nn.Module) -> WaveformToWaveformBase:
    """`model` if it is a `WaveformToWaveformBase`; ValueError naming its class otherwise."""
    if not isinstance(model, WaveformToWaveformBase):
        raise ValueError(f"model: must be a WaveformToWaveformBase, got {type(model).__name__}")
    return model


class RealtimeKind:
    """A `WaveformToWaveformBase`, scripted into the realtime adapter."""

    name = "realtime"
    streams = True
    plugin_methods: Tuple[str, ...] = (
        "forward",
        "set_daw_sample_rate_and_buffer_size",
        "reset",
        "calc_buffering_delay_samples",
        "calc_model_delay_samples",
    )
    checks: Sequence[Check[Any]] = REALTIME_CHECKS

    def owns(self, model: object) -> bool:
        """Whether `model` is a `WaveformToWaveformBase`."""
        return isinstance(model, WaveformToWaveformBase)

    def script(
        self, model: nn.Module, *, freeze: bool, optimize: bool, trace: bool
    ) -> torch.jit.ScriptModule:
        """`script_neutone_model` (the realtime adapter, scripted; traced inside if asked)."""
        return script_neutone_model(
            _require_realtime(model), freeze=freeze, optimize=optimize, trace=trace
        )

    def check_save_options(self, options: SaveOptions) -> SaveOptions:
        """Sample rates, demo inputs (the SDK's pairs become inputs) and the skipped checks."""
        caller = options.caller
        options.samples_sample_rate = check_sample_rate(
            options.samples_sample_rate, f"{caller}: samples_sample_rate"
        )
        options.sample_rates = [
            check_sample_rate(rate, f"{caller}: sample_rates") for rate in options.sample_rates
        ]
        options.max_n_samples = _check_max_n_samples(options.max_n_samples, caller)
        if options.audio_sample_pairs is not None:
            if options.input_samples is not None:
                raise ValueError(
                    f"{caller}: got both audio_sample_pairs and input_samples; pass one "
                    "(both give the demo inputs)"
                )
            options.input_samples = demo_inputs_from_pairs(
                options.audio_sample_pairs, options.max_n_samples, options.samples_sample_rate
            )
        if options.input_samples is not None:
            options.input_samples = list(options.input_samples)
            if len(options.input_samples) > MAX_SAMPLE_PAIRS:
                raise ValueError(
                    f"{caller}: input_samples holds at most {MAX_SAMPLE_PAIRS} inputs, "
                    f"got {len(options.input_samples)}; pass fewer"
                )
        if options.speed_benchmark is False:
            options.skip["realtime"] = "skipped: speed_benchmark=False"
        if options.test_offline_mode is False:
            options.skip["streaming"] = "skipped: test_offline_mode=False"
        return options

    def porting_notes(self, model: nn.Module, options: SaveOptions) -> List[str]:
        """What behaves differently from the Neutone SDK, warned once (`sdk15.porting_notes`)."""
        return warn_porting_notes(_require_realtime(model), options.reference_call)

    def demo_sound_files(
        self,
        scripted: torch.jit.ScriptModule,
        options: SaveOptions,
        samples_dir: Path | None,
        progress: Progress,
    ) -> List[Dict[str, str]]:
        """Render the demos through the scripted model, write them as WAV and MP3 into
        `samples_dir` (none when None), and return the base64 MP3s of at most `max_n_samples`
        default-knob pairs. Without inputs, every demo clip is rendered at every knob extreme."""
        inputs = options.input_samples
        rate = options.samples_sample_rate
        what = (
            "the demo clips at every knob extreme" if inputs is None else f"{len(inputs)} input(s)"
        )
        progress(f"rendering {what} at {rate} Hz")
        try:
            if inputs is None:
                pairs = render_knob_samples(copy_script_module(scripted), demo_clips(rate), rate)
            else:
                pairs = render_samples(copy_script_module(scripted), inputs, rate)
        except (torch.jit.Error, RuntimeError, ValueError) as error:
            raise ExportError(
                f"{options.caller}: the model failed while rendering the demo samples at {rate} "
                f"Hz with host buffers of {DEMO_BUFFER_SIZE} samples: {one_line(error)}; fix "
                "do_forward_pass (neutone-export check on a saved file lists every failing "
                "setting)"
            ) from None
        if samples_dir is not None:
            write_samples(pairs, samples_dir)
        defaults = [pair for pair in pairs if pair.label.endswith("default")]
        return [_sound_file(pair) for pair in defaults[: options.max_n_samples]]

    def validate(
        self, module: nn.Module, metadata: Dict[str, Any] | None, settings: SuiteSettings
    ) -> ValidationReport:
        """The realtime catalogue on `module`, compared with `settings.eager_model` when given."""
        context = CheckContext(
            module=module,
            metadata=metadata,
            eager_model=settings.eager_model,
            sample_rates=settings.sample_rates,
            buffer_sizes=settings.buffer_sizes,
            seconds=settings.seconds,
            seed=settings.seed,
            made_by_reference=made_by_reference_sdk(module),
            package_dir=settings.package_dir,
        )
        report = ValidationReport(
            source=getattr(module, "original_name", type(module).__name__),
            settings={
                "sample_rates": list(settings.sample_rates),
                "buffer_sizes": list(settings.buffer_sizes),
                "seconds": settings.seconds,
                "seed": settings.seed,
                "torch_threads": settings.num_threads or torch.get_num_threads(),
            },
        )
        checks = list(self.checks)
        if settings.package_dir is not None:
            checks += [*PT2_CHECKS, *PT2_NATIVE_CHECKS]
        report.checks = run_checks(
            checks,
            context,
            skip=settings.skip,
            num_threads=settings.num_threads,
            on_check=settings.on_check,
        )
        return report

    def render(
        self, module: nn.Module, audio: Tensor, sample_rate: int, buffer_size: int = 512
    ) -> List[Tensor]:
        """The delay-compensated stream in fixed host buffers of `buffer_size`."""
        return [render_aligned(module, audio, sample_rate, buffer_size)]


REALTIME = RealtimeKind()
