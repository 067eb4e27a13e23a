"""The C++ runtime streams a pt2 package as the plugin streams the `.nm` written beside it.

One package per session, shared by the xdist workers (an AOTInductor compile takes tens of
seconds), of a small stateful model that exercises every stage: mono in, stereo out, a native rate
and block size (resampling and re-buffering at other host rates), look-behind and look-ahead, a
model delay, a knob, and a cache kept in a buffer updated in place. The C++ driver is built once
into the native cache every test environment shares (hatch.toml's `NEUTONE_CACHE_DIR`).
"""

import dataclasses
import re
import shutil
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, RealtimeAdapter, WaveformToWaveformBase
from neutone_core.resample import design_filter, polyphase_bank
from neutone_export import script_neutone_model
from neutone_export.audio.host import configure, fixed_sizes, impulse, reported_delay
from neutone_export.native.build import NativeHostError, NativeProgram, run_program
from neutone_export.pt2.native_runtime import (
    PROGRAM,
    HostSession,
    load_package_native,
    stream_package_native,
    stream_sessions_native,
    time_package_native,
)
from neutone_export.pt2.plan import (
    SUPPORTED_HOST_RATES,
    decode_plan,
    encode_plan,
    runtime_plan,
    write_runtime_plan,
)
from neutone_export.suite.context import CheckContext
from neutone_export.suite.pt2_native import (
    PT2_NATIVE_CHECKS,
    PT2_TOLERANCE,
    SESSION_RATES,
    SESSIONS,
    compare_session,
    compare_sessions,
    session,
)
from neutone_export.suite.runner import run_checks

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "pt2_embed.cpp"
needs_compiler = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("c++", "g++", "clang++")),
    reason="no C++ compiler on this machine: the runtime (and the package) cannot be built",
)


class _Echoish(WaveformToWaveformBase):
    """Mono in, stereo out, native 48 kHz / 64, look-behind 3, look-ahead 2, model delay 1 (its
    largest tap), one knob, and a 4-sample cache kept in a buffer updated in place."""

    def __init__(self) -> None:
        super().__init__(nn.Identity())
        self.register_buffer("cache", torch.zeros(1, 4))

    def get_model_name(self) -> str:
        return "pt2.native.test"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model made by the pt2 native runtime tests."

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "gain", default_value=0.25, min_value=0.0, max_value=2.0)]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return [64]

    def get_look_behind_samples(self) -> int:
        return 3

    def get_look_ahead_samples(self) -> int:
        return 2

    def calc_model_delay_samples(self) -> int:
        return 1

    def reset_model(self) -> bool:
        self.cache.zero_()
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        n = x.size(1) - 5
        current = x[:, 3 : 3 + n]
        full = torch.cat([self.cache, current], 1)
        fir = 0.6 * full[:, 3 : 3 + n] + 0.3 * full[:, :n]  # one sample late: the model delay
        self.cache.copy_(full[:, n:])
        context = 0.1 * x[:, :n] + 0.1 * x[:, 5:]
        return torch.cat([fir * params["gain"] + context, fir - context], 0)


def write_echoish(folder: Path) -> None:
    """The package of `_Echoish` and its `.nm` beside it, in `folder`."""
    from neutone_export.pt2.package import write_package

    wrapper = _Echoish()
    write_package(wrapper, folder)
    module = script_neutone_model(wrapper)
    path = folder / "model.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})


@pytest.fixture(scope="module")
def exported(made_once: Callable[[str, Callable[[Path], object]], Path]) -> CheckContext:
    """The `.nm` (loaded back) and the package of `_Echoish`, as a check context; written once
    per session (both xdist workers use it)."""
    from neutone_export.pt2.package import package_path

    folder = made_once("pt2-native-echoish", write_echoish)
    return CheckContext(torch.jit.load(str(folder / "model.nm")), package_dir=package_path(folder))


def test_the_plan_holds_what_core_designs_for_every_host_rate() -> None:
    plan = decode_plan(encode_plan(runtime_plan(_Echoish(), "high")))
    assert tuple(plan["model.host_rates"]) == SUPPORTED_HOST_RATES
    adapter = RealtimeAdapter(_Echoish(), "high")
    for rate in SUPPORTED_HOST_RATES:
        adapter.set_daw_sample_rate_and_buffer_size(rate, 512)
        assert plan[f"rate.{rate}.priming"] == [adapter.priming]
        assert plan[f"rate.{rate}.delays"][-1] == adapter.delays["total"]
        assert plan[f"rate.{rate}.resampling"] == [int(rate != 48000)]
    adapter.set_daw_sample_rate_and_buffer_size(44100, 512)
    resampler = adapter.resampler_out
    _, _, beta = design_filter(resampler.in_rate, resampler.out_rate, "high")
    bank = polyphase_bank(resampler.up, resampler.half_width, resampler.cutoff, beta).float()
    assert plan["rate.44100.out.bank"] == bank.double().view(-1).tolist()
    assert plan["rate.44100.out.extra_delay"] == [resampler.extra_delay]


def test_the_plan_file_is_written_in_place_and_reads_back(tmp_path: Path) -> None:
    wrapper = _Echoish()
    write_runtime_plan(wrapper, tmp_path, "fast")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.bin"]
    plan = decode_plan((tmp_path / "plan.bin").read_bytes())
    assert plan == decode_plan(encode_plan(runtime_plan(wrapper, "fast")))
    assert plan["model.channels"] == [1, 2] and plan["model.context"] == [3, 2]
    assert float(wrapper.cache.abs().sum()) == 0.0  # planning ran a copy, not the wrapper


@needs_compiler
def test_the_package_loads_in_cpp(exported: CheckContext) -> None:
    info = load_package_native(exported.package_dir)
    assert (info["in_channels"], info["out_channels"]) == (1, 2)
    assert tuple(info["host_rates"]) == SUPPORTED_HOST_RATES


@needs_compiler
def test_cpp_streaming_equals_the_nm_over_random_host_sessions(exported: CheckContext) -> None:
    rates = set()
    compared = compare_sessions(exported, exported.package_dir, list(range(SESSIONS)))
    for index, (difference, problem, native_delay, delay) in enumerate(compared):
        assert native_delay == delay, f"session {index}"
        assert problem == "" and difference <= PT2_TOLERANCE, f"session {index}: {problem}"
        rates.add(SESSION_RATES[index % len(SESSION_RATES)])
    assert rates == {44100, 48000, 96000}


@needs_compiler
def test_sessions_in_one_process_equal_one_process_each(exported: CheckContext) -> None:
    # The checks stream many sessions through one driver process (starting one loads libtorch);
    # each session still gets a fresh runtime, reset where asked, as its own process gives.
    sessions = [session(index, 0.05) for index in range(3)]
    batch = [HostSession(x, rate, sizes, knobs) for rate, x, knobs, sizes in sessions]
    batch.append(HostSession(batch[1].x, batch[1].sample_rate, batch[1].sizes, reset_at=2))
    together = stream_sessions_native(exported.package_dir, batch)
    for index, request in enumerate(batch):
        alone = stream_package_native(
            exported.package_dir, request.x, request.sample_rate, request.sizes,
            request.params, reset_at=request.reset_at,
        )  # fmt: skip
        assert together[index][1] == alone[1], f"session {index}"
        assert torch.equal(together[index][0], alone[0]), f"session {index}"
    assert not torch.equal(together[1][0], together[3][0])  # the reset took effect


@needs_compiler
def test_compare_session_is_one_of_compare_sessions(exported: CheckContext) -> None:
    assert (
        compare_session(exported, exported.package_dir, 4)
        == compare_sessions(exported, exported.package_dir, [3, 4])[1]
    )


@needs_compiler
@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_the_reported_delay_is_the_impulse_delay(exported: CheckContext, rate: int) -> None:
    module = exported.fresh()
    configure(module, rate, 128)
    delay = reported_delay(module)
    total = 128 * ((delay + 200) // 128 + 1)
    x = impulse(total, 7, channels=1)
    y, native_delay = stream_package_native(exported.package_dir, x, rate, fixed_sizes(total, 128))
    assert native_delay == delay > 0
    peak = int(torch.argmax(y[0].abs()))
    assert peak - 7 == delay


@needs_compiler
def test_reset_clears_the_state(exported: CheckContext) -> None:
    x = torch.rand(1, 4000) - 0.5
    sizes = [500] * 8
    knobs = torch.full((4, 4000), 0.5)
    plain, _ = stream_package_native(exported.package_dir, x, 44100, sizes, knobs)
    reset, _ = stream_package_native(exported.package_dir, x, 44100, sizes, knobs, reset_at=4)
    fresh, _ = stream_package_native(
        exported.package_dir, x[:, 2000:], 44100, sizes[4:], knobs[:, 2000:]
    )
    assert torch.allclose(reset[:, 2000:], fresh, atol=1e-6)
    assert not torch.allclose(plain[:, 2000:], fresh, atol=1e-3)  # the state did matter


@needs_compiler
def test_a_timed_run_reports_every_call(exported: CheckContext) -> None:
    timing = time_package_native(exported.package_dir, 48000, 128, calls=30, warmup=3)
    assert len(timing.times_s) == len(timing.allocations) == len(timing.allocated_bytes) == 30
    assert len(timing.warmup_s) == 3 and all(t > 0 for t in timing.times_s)
    assert timing.threads == 1
    module = exported.fresh()
    configure(module, 48000, 128)
    assert timing.reported_delay == reported_delay(module)
    # Two native blocks of 64 per host buffer of 128, each run allocating its output at least.
    assert min(timing.allocations) >= 1


@needs_compiler
def test_the_suite_checks_pass(exported: CheckContext) -> None:
    short = dataclasses.replace(exported, seconds=0.1)  # the sessions are proven above at 0.5 s
    results = run_checks(PT2_NATIVE_CHECKS, short, num_threads=None)
    assert [r.name for r in results] == [
        "pt2_native_load",
        "pt2_native_streaming",
        "pt2_native_delay",
        "pt2_native_reset",
    ]
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed or r.skipped]
    assert failed == []


def test_without_a_package_the_checks_are_skipped() -> None:
    context = CheckContext(nn.Identity())
    results = run_checks(PT2_NATIVE_CHECKS, context, num_threads=None)
    assert all(r.skipped and "no pt2 package" in r.message for r in results)


def test_without_a_compiler_the_checks_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no compiler on it
    monkeypatch.delenv("CXX", raising=False)
    context = CheckContext(nn.Identity(), package_dir=tmp_path)
    results = run_checks(PT2_NATIVE_CHECKS, context, num_threads=None)
    assert all(r.skipped and "no C++ compiler" in r.message for r in results)
    assert not any(check.blocks_submission for check in PT2_NATIVE_CHECKS)


@needs_compiler
def test_an_unplanned_host_rate_is_one_line(exported: CheckContext) -> None:
    with pytest.raises(NativeHostError) as error:
        stream_package_native(exported.package_dir, torch.zeros(1, 64), 12345, [64])
    message = str(error.value)
    assert "\n" not in message
    assert "host rate 12345 Hz is not planned in this package (planned: 22050, " in message


@needs_compiler
def test_the_documented_embedding_example_builds_and_runs(exported: CheckContext) -> None:
    example = NativeProgram(
        "pt2_embed", (str(EXAMPLE), "pt2_runtime.cpp"), ("pt2_runtime.h",), PROGRAM.libraries
    )
    result = run_program(example, [str(exported.package_dir)])
    assert result.returncode == 0, result.stderr
    module = exported.fresh()
    configure(module, 44100, 256)
    found = re.fullmatch(r"delay (\d+) samples, output rms (\S+)\n", result.stdout)
    assert found is not None, result.stdout
    assert int(found.group(1)) == reported_delay(module)
    assert 0.05 < float(found.group(2)) < 1.0
