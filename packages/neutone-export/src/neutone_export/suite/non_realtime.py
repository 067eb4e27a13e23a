"""The validation suite of a non-realtime ("Gen") `.nm` file: one function per check.

Each check drives the scripted wrapper as the Gen plugin does (settings, ``forward_non_realtime``,
progress polling, cancel requests) and returns a `CheckResult` with the
figure it measured. `validate_non_realtime_model` runs them all and returns the same
`ValidationReport` as the realtime suite. Files made by the Neutone SDK 1.5 run through the same
checks; where they differ from ours (outputs left at the model's rate), the check says so.

Checks: contract (``realtime`` is False, preserved names present), metadata, outputs (track count,
channels and length per input at several host rates), finite (knob extremes, empty and
longest text), determinism, reset, cancel (before a run, and within one block of a request made
while it runs), progress (0 to 100, never backwards), round_trip (a run at a host rate that needs
conversion matches the run at the native rate, converted).
"""

import itertools
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from neutone_core import MetadataError, validate_metadata
from neutone_core.non_realtime_adapter import REFERENCE_PRESERVED_ATTRIBUTES
from neutone_core.resample import resample
from neutone_export.errors import one_line
from neutone_export.files.reference_knobs import reference_loader_refusals
from neutone_export.kinds.flag import realtime_flag
from neutone_export.module_types import PluginModule, as_plugin
from neutone_export.suite.compare import run_from_same_rng
from neutone_export.suite.realtime import DETERMINISM_FIX, RESET_FIX
from neutone_export.suite.report import CheckResult
from neutone_export.suite.runner import Check

DEFAULT_SAMPLE_RATES = (48000, 44100)
CLIP_SECONDS = 1.0
ROUND_TRIP_MIN_SNR_DB = 30.0
"""Two conversions of a band-limited clip by the high-quality resampler keep ~60 dB; 30 dB leaves
room for models whose blocks start one native sample apart in the two runs."""
MAX_TEXT_PROBE = 256
"""Longest text tried for a prompt without a limit."""
POLL_SECONDS = 0.0005


@dataclass
class NonRealtimeContext:
    """What every check needs: the module and what is known about it."""

    module: nn.Module
    metadata: Dict[str, Any]
    sample_rates: Sequence[int]

    def has(self, name: str) -> bool:
        """Whether the module offers the method or attribute `name`."""
        return hasattr(self.module, name)

    @property
    def plugin(self) -> PluginModule:
        """The module, typed as the plugin calls it."""
        return as_plugin(self.module)

    @property
    def in_channels(self) -> List[int]:
        return [int(c) for c in self.metadata.get("audio_in_channels", [])]

    @property
    def out_channels(self) -> List[int]:
        return [int(c) for c in self.metadata.get("audio_out_channels", [])]

    @property
    def native_rate(self) -> int:
        rates = list(self.metadata.get("native_sample_rates", []))
        return int(rates[0]) if rates else 48000

    def parameters(self, kind: str) -> List[Dict[str, Any]]:
        """The metadata entries of one parameter type, in slot order."""
        slots = self.metadata.get("neutone_parameters", {})
        return [p for _, p in sorted(slots.items()) if p.get("type") == kind]

    @property
    def n_numerical(self) -> int:
        return len(self.parameters("continuous")) + len(self.parameters("categorical"))


def _clip(seconds: float, sample_rate: int, channels: int, seed: int) -> Tensor:
    """A band-limited test clip: three tones below 5 kHz with seeded phases, a slow swell."""
    n = max(1, round(seconds * sample_rate))
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    y = torch.zeros(channels, n, dtype=torch.float64)
    for freq, amp in ((220.0, 0.3), (1000.0, 0.2), (4500.0, 0.1)):
        phase = torch.rand(channels, 1, generator=g, dtype=torch.float64) * 2 * math.pi
        y += amp * torch.sin(2 * math.pi * freq * t + phase)
    swell = 0.6 + 0.4 * torch.sin(2 * math.pi * 1.5 * t)
    return (y * swell).float()


def _inputs(
    ctx: NonRealtimeContext, sample_rate: int, seconds: float = CLIP_SECONDS
) -> List[Tensor]:
    return [_clip(seconds, sample_rate, c, seed=i) for i, c in enumerate(ctx.in_channels)]


def _run(
    ctx: NonRealtimeContext,
    sample_rate: int,
    inputs: List[Tensor] | None = None,
    params: Tensor | None = None,
    text: List[str] | None = None,
    tokens: List[List[int]] | None = None,
    reset: bool = True,
) -> List[Tensor]:
    module = ctx.plugin
    if reset:
        module.set_daw_sample_rate_and_buffer_size(sample_rate, 2048, None, None)
    audio = _inputs(ctx, sample_rate) if inputs is None else inputs
    with torch.no_grad():
        return list(module.forward_non_realtime(audio, params, text, tokens))


def _snr_db(reference: Tensor, other: Tensor) -> float:
    """Signal-to-difference ratio in dB; inf for identical signals, -inf for a silent reference."""
    noise = float((reference - other).double().pow(2).sum())
    signal = float(reference.double().pow(2).sum())
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 10 * math.log10(signal / noise)


def _finite_or_none(value: float) -> float | None:
    """A figure for the report: None when nothing finite was measured."""
    return value if math.isfinite(value) else None


def _finite_problem(outputs: List[Tensor]) -> str:
    for i, y in enumerate(outputs):
        bad = int((~torch.isfinite(y)).sum())
        if bad:
            return f"output track {i} has {bad} NaN/inf samples"
    return ""


# -- the checks -----------------------------------------------------------------------------------
def check_contract(ctx: NonRealtimeContext) -> CheckResult:
    """The Gen plugin's loader: ``realtime`` False, every preserved name present; a warning
    names a knob the Neutone SDK 1.5.2 loader refuses (any type but continuous)."""
    module = ctx.module
    problems: List[str] = []
    realtime = realtime_flag(module)
    if realtime is not False:
        problems.append(f"realtime must be False for a non-realtime model, got {realtime!r}")
    names = list(REFERENCE_PRESERVED_ATTRIBUTES)
    if hasattr(module, "get_preserved_attributes"):
        names += [n for n in ctx.plugin.get_preserved_attributes() if n not in names]
    missing = [n for n in names if not hasattr(module, n)]
    if not hasattr(module, "forward_non_realtime"):
        missing.append("forward_non_realtime")
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
    if problems:
        return CheckResult("contract", False, float(len(problems)), "; ".join(problems))
    refusals = reference_loader_refusals(ctx.metadata)
    if refusals:
        # Neutone's plugin loads it; only the reference SDK's Python loader refuses it.
        message = "; ".join(refusals)
        return CheckResult("contract", True, float(len(names)), message, "names", warning=True)
    return CheckResult("contract", True, float(len(names)), f"{len(names)} names present", "names")


def check_metadata(ctx: NonRealtimeContext) -> CheckResult:
    """The metadata passes our offline validation (categorical, text and tokens included)."""
    try:
        validate_metadata(ctx.metadata, realtime=False)
    except MetadataError as error:
        return CheckResult("metadata", False, float(len(error.violations)), str(error))
    n = len(ctx.metadata.get("neutone_parameters", {}))
    return CheckResult("metadata", True, float(n), f"valid, {n} parameter(s)", "parameters")


def _expected_lengths(ctx: NonRealtimeContext) -> Tuple[List[int], int]:
    """Output lengths at the native rate, and the input length there (0 for a generator)."""
    rate = ctx.native_rate
    outputs = _run(ctx, rate)
    n_in = round(CLIP_SECONDS * rate) if ctx.in_channels else 0
    return [y.size(-1) for y in outputs], n_in


def check_outputs(ctx: NonRealtimeContext) -> CheckResult:
    """Track count, channels per track and length at each host rate.

    A model that returns as many samples as it gets must do so at every host rate; a generator's
    clip of ``m`` native samples lasts ``ceil(m * host / native)`` host samples.
    """
    native_lengths, native_in = _expected_lengths(ctx)
    problems: List[str] = []
    for rate in ctx.sample_rates:
        outputs = _run(ctx, rate)
        if len(outputs) != len(ctx.out_channels):
            problems.append(f"{rate} Hz: {len(outputs)} tracks, expected {len(ctx.out_channels)}")
            continue
        n_in = round(CLIP_SECONDS * rate) if ctx.in_channels else 0
        for t, (y, ch) in enumerate(zip(outputs, ctx.out_channels, strict=True)):
            m = native_lengths[t] if t < len(native_lengths) else -1
            expected = n_in if native_in and m == native_in else -(-m * rate // ctx.native_rate)
            if y.dim() != 2 or y.size(0) != ch:
                problems.append(f"{rate} Hz track {t}: shape {list(y.shape)}, expected ({ch}, n)")
            elif y.size(1) != expected:
                problems.append(
                    f"{rate} Hz track {t}: {y.size(1)} samples, expected {expected} "
                    f"(outputs must come back at the host rate)"
                )
    if problems:
        return CheckResult("outputs", False, float(len(problems)), "; ".join(problems))
    rates = ", ".join(str(r) for r in ctx.sample_rates)
    return CheckResult(
        "outputs",
        True,
        float(len(ctx.out_channels)),
        f"{len(ctx.out_channels)} track(s), channels and lengths right at {rates} Hz",
        "tracks",
    )


def _prompt_cases(
    ctx: NonRealtimeContext,
) -> List[Tuple[str, List[str] | None, List[List[int]] | None]]:
    """Defaults, then empty and longest text and token lists."""
    texts = ctx.parameters("text")
    tokens = ctx.parameters("tokens")
    cases: List[Tuple[str, List[str] | None, List[List[int]] | None]] = [("defaults", None, None)]
    if texts:
        longest = [
            "a" * (p["max_n_chars"] if p["max_n_chars"] > 0 else MAX_TEXT_PROBE) for p in texts
        ]
        cases += [("empty text", [""] * len(texts), None), ("longest text", longest, None)]
    if tokens:
        longest_tokens = [
            [0] * (p["max_n_tokens"] if p["max_n_tokens"] > 0 else 64) for p in tokens
        ]
        cases += [("no tokens", None, [[] for _ in tokens]), ("most tokens", None, longest_tokens)]
    return cases


def check_finite(ctx: NonRealtimeContext) -> CheckResult:
    """No NaN or inf at the knob extremes (all 0, all 1) and with empty and longest prompts."""
    rate = ctx.native_rate
    n = round(CLIP_SECONDS * rate)
    knob_cases: List[Tuple[str, Tensor | None]] = [("default knobs", None)]
    if ctx.n_numerical:
        knob_cases += [
            ("knobs at 0", torch.zeros(ctx.n_numerical, n)),
            ("knobs at 1", torch.ones(ctx.n_numerical, n)),
        ]
    runs = 0
    for label, params in knob_cases:
        for prompt_label, text, tokens in _prompt_cases(ctx):
            outputs = _run(ctx, rate, params=params, text=text, tokens=tokens)
            runs += 1
            problem = _finite_problem(outputs)
            if problem:
                return CheckResult("finite", False, None, f"{label}, {prompt_label}: {problem}")
    return CheckResult("finite", True, float(runs), f"{runs} runs, all outputs finite", "runs")


def _max_diff(a: List[Tensor], b: List[Tensor]) -> float:
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b, strict=True)):
        return math.inf
    return max(
        (float((x - y).abs().max()) for x, y in zip(a, b, strict=True) if x.numel()), default=0.0
    )


def check_determinism(ctx: NonRealtimeContext) -> CheckResult:
    """The same clip and settings render the same output twice."""
    first, second = run_from_same_rng(
        lambda: _run(ctx, ctx.native_rate), lambda: _run(ctx, ctx.native_rate)
    )
    diff = _max_diff(first, second)
    passed = diff <= 1e-6
    message = "identical renders" if passed else "two renders of the same clip differ"
    return CheckResult("determinism", passed, _finite_or_none(diff), message, "max abs diff")


def check_reset(ctx: NonRealtimeContext) -> CheckResult:
    """After another clip and ``reset()``, a clip renders as it did first."""
    rate = ctx.native_rate
    (first,) = run_from_same_rng(lambda: _run(ctx, rate))
    other = [_clip(CLIP_SECONDS, rate, c, seed=99 + i) for i, c in enumerate(ctx.in_channels)]
    _run(ctx, rate, inputs=other, reset=False)
    ctx.plugin.reset()
    (again,) = run_from_same_rng(lambda: _run(ctx, rate, reset=False))
    diff = _max_diff(first, again)
    passed = diff <= 1e-6
    message = "reset restores the first render" if passed else "state survives reset()"
    return CheckResult("reset", passed, _finite_or_none(diff), message, "max abs diff")


@dataclass
class _Observed:
    """What a watcher thread saw of a run: progress values and where a cancel was requested."""

    progress: List[float]
    requested_at: float = -1.0
    result: List[Tensor] | None = None
    error: str = ""


def _watch(ctx: NonRealtimeContext, seconds: float, cancel: bool) -> Tuple[_Observed, float]:
    """Run a clip in a thread while polling progress (and cancelling once it moved).

    Returns what was seen and the share of progress one block is worth.
    """
    module = ctx.plugin
    rate = ctx.native_rate
    module.set_daw_sample_rate_and_buffer_size(rate, 2048, None, None)
    inputs = _inputs(ctx, rate, seconds)
    n = inputs[0].size(1) if inputs else round(seconds * rate)
    params = torch.full((ctx.n_numerical, n), 0.5) if ctx.n_numerical else None
    seen = _Observed(progress=[])

    def run() -> None:
        try:
            with torch.no_grad():
                seen.result = list(module.forward_non_realtime(inputs, params, None, None))
        except Exception as error:  # noqa: BLE001  # reported by the check
            seen.error = one_line(error)

    one_shot = bool(ctx.metadata.get("is_one_shot_model", False))
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        value = float(module.get_progress_percentage())
        seen.progress.append(value)
        # A block model's progress moves block by block; a one-shot model's may not move at all,
        # so its (only) block is cancelled as soon as the run is under way.
        running = 0.0 < value < 100.0 or (one_shot and len(seen.progress) > 1)
        if cancel and seen.requested_at < 0 and running:
            module.request_cancel_forward_pass()
            seen.requested_at = float(module.get_progress_percentage())
        time.sleep(POLL_SECONDS)
    worker.join()
    seen.progress.append(float(module.get_progress_percentage()))
    block = int(module.get_current_model_buffer_size())
    delay = (
        int(module.calc_model_delay_samples()) if hasattr(module, "calc_model_delay_samples") else 0
    )
    blocks = 1 if one_shot else max(1, -(-(n + delay) // max(1, block)))
    return seen, 100.0 / blocks


def check_cancel(ctx: NonRealtimeContext) -> CheckResult:
    """A cancel before a run returns []; one made during a run stops it within one block."""
    module = ctx.plugin
    module.set_daw_sample_rate_and_buffer_size(ctx.native_rate, 2048, None, None)
    module.request_cancel_forward_pass()
    early = _run(ctx, ctx.native_rate, reset=False)
    if early:
        return CheckResult("cancel", False, None, "a cancel requested before the run was ignored")
    seconds = 2.0
    for _ in range(4):
        seen, share = _watch(ctx, seconds, cancel=True)
        if seen.error:
            return CheckResult("cancel", False, None, f"run failed: {seen.error}")
        # A request that lands in the last block may rightly let the run finish; only one made
        # earlier proves anything, so a watcher that was too late tries a longer clip.
        in_last_block = bool(seen.result) and seen.requested_at >= 100.0 - share - 1e-6
        if seen.requested_at >= 0 and not in_last_block:
            break
        seconds *= 4  # the run ended before the watcher saw progress: try a longer clip
    else:
        return CheckResult(
            "cancel", True, None, "runs end before progress can be polled", skipped=True
        )
    if seen.result:
        return CheckResult("cancel", False, None, "a cancel requested during the run was ignored")
    stopped = seen.progress[-1]
    blocks_after = (stopped - seen.requested_at) / share
    module.reset()
    after_reset = _run(ctx, ctx.native_rate, reset=False)
    if not after_reset:
        return CheckResult("cancel", False, None, "reset() did not clear the cancel request")
    passed = blocks_after <= 1.0 + 1e-6
    message = (
        f"stopped {blocks_after:.2f} block(s) after the request"
        if passed
        else f"ran {blocks_after:.2f} blocks after the request (at most 1 allowed)"
    )
    return CheckResult("cancel", passed, blocks_after, message, "blocks")


def check_progress(ctx: NonRealtimeContext) -> CheckResult:
    """Progress stays in [0, 100], never goes back, ends at 100; reset() zeroes it."""
    seen, _ = _watch(ctx, 2.0, cancel=False)
    if seen.error:
        return CheckResult("progress", False, None, f"run failed: {seen.error}")
    values = seen.progress
    ctx.plugin.reset()
    after_reset = float(ctx.plugin.get_progress_percentage())
    problems: List[str] = []
    if any(not (0.0 <= v <= 100.0) for v in values):
        problems.append(f"outside [0, 100]: {min(values)} .. {max(values)}")
    if any(b < a - 1e-9 for a, b in itertools.pairwise(values)):
        problems.append("went backwards during the run")
    if values[-1] != 100.0:
        problems.append(f"ended at {values[-1]}, not 100")
    if after_reset != 0.0:
        problems.append(f"{after_reset} after reset(), not 0")
    if problems:
        return CheckResult("progress", False, values[-1], "; ".join(problems), "%")
    return CheckResult("progress", True, float(len(values)), "0 to 100, monotonic", "polls")


def check_round_trip(ctx: NonRealtimeContext) -> CheckResult:
    """At a host rate that needs conversion, the output is the native-rate output, converted.

    The clip is rendered at the native rate, and again at another host rate from the same clip
    converted there; the second output must match the first one converted to that rate.
    """
    native = ctx.native_rate
    if not ctx.metadata.get("native_sample_rates"):
        return CheckResult(
            "round_trip", True, None, "the model takes any rate: no conversion", skipped=True
        )
    host = 44100 if native != 44100 else 48000
    clip = _inputs(ctx, native)
    converted_in = [resample(x, native, host) for x in clip]
    reference, outputs = run_from_same_rng(
        lambda: _run(ctx, native, inputs=clip), lambda: _run(ctx, host, inputs=converted_in)
    )
    if len(reference) != len(outputs):
        return CheckResult("round_trip", False, None, "the track count depends on the host rate")
    worst = math.inf
    for t, (y0, y1) in enumerate(zip(reference, outputs, strict=True)):
        expected = resample(y0, native, host)
        if y1.shape != expected.shape:
            return CheckResult(
                "round_trip",
                False,
                None,
                f"track {t}: {list(y1.shape)} at {host} Hz, expected {list(expected.shape)} "
                f"(the native output converted back to the host rate)",
            )
        edge = expected.size(1) // 20
        inner = slice(edge, expected.size(1) - edge)
        worst = min(worst, _snr_db(expected[:, inner], y1[:, inner]))
    passed = worst >= ROUND_TRIP_MIN_SNR_DB
    if math.isinf(worst) and worst > 0:
        return CheckResult(
            "round_trip", True, None, f"{host} Hz run equals the {native} Hz run, converted"
        )
    message = f"{host} Hz run vs {native} Hz run converted: {worst:.1f} dB"
    if not passed:
        message += f" (at least {ROUND_TRIP_MIN_SNR_DB:.0f} dB required)"
    return CheckResult("round_trip", passed, worst, message, "dB")


NON_REALTIME_CHECKS: List[Check[NonRealtimeContext]] = [
    Check("contract", check_contract),
    Check("metadata", check_metadata),
    Check("outputs", check_outputs),
    Check("finite", check_finite),
    Check("determinism", check_determinism, blocks_submission=False, fix=DETERMINISM_FIX),
    Check("reset", check_reset, blocks_submission=False, fix=RESET_FIX),
    Check(
        "cancel",
        check_cancel,
        blocks_submission=False,
        fix="let do_forward_pass return between blocks (the adapter checks the cancel request "
        "there)",
    ),
    Check(
        "progress",
        check_progress,
        blocks_submission=False,
        fix="report progress from 0 to 100, never backwards",
    ),
    Check(
        "round_trip",
        check_round_trip,
        blocks_submission=False,
        fix="compute at the native sample rate only and let the adapter convert",
    ),
]
"""The non-realtime ("Gen") catalogue, in the order the suite runs it. A check that raises fails
(a module without `forward_non_realtime` fails `contract` by name and every check that runs it).
A submission is refused for contract, metadata, outputs and finite; the others are quality
findings, warnings unless `strict=True`."""
