"""`measure_speed` on a stand-in adapter whose slow calls are known in advance."""

import time

import pytest
import torch
from torch import Tensor, nn

from neutone_bench.speed import calls_per_repetition, measure_speed


class StallingAdapter(nn.Module):
    """Returns its input; every `every`-th call (counted from reset) sleeps `stall` seconds."""

    def __init__(self, every: int, stall: float) -> None:
        super().__init__()
        self.every, self.stall = every, stall
        self.calls = 0
        self.resets = 0
        self.settings: list[tuple[int, int]] = []

    def set_daw_sample_rate_and_buffer_size(
        self, sr: int, bs: int, model_sr: int | None = None, model_bs: int | None = None
    ) -> int:
        self.settings.append((sr, bs))
        self.calls = 0
        return bs

    def reset(self) -> None:
        self.resets += 1
        self.calls = 0

    def forward(self, x: Tensor, params: Tensor | None = None) -> Tensor:
        assert x.shape[0] == 2 and params is not None and params.shape == (4, x.shape[1])
        assert float(params.min()) >= 0.0 and float(params.max()) < 1.0
        self.calls += 1
        if self.calls % self.every == 0:
            time.sleep(self.stall)  # sleep never returns early: a sure deadline miss
        return x


def test_calls_per_repetition() -> None:
    assert calls_per_repetition(48000, 128, 1.0) == 375
    assert calls_per_repetition(44100, 128, 1.0) == 345  # 344.5 rounded up
    assert calls_per_repetition(48000, 2048, 0.001) == 1


def test_slow_calls_are_misses_and_slow_and_the_floor_spans_the_run() -> None:
    sample_rate, buffer_size = 48000, 2048  # deadline 42.7 ms
    adapter = StallingAdapter(every=10, stall=0.1)
    counted: list[int] = []
    result = measure_speed(
        adapter,
        sample_rate,
        buffer_size,
        duration=0.5,
        repetitions=2,
        warmup=3,
        seed=0,
        on_calls=counted.append,
    )
    per_run = calls_per_repetition(sample_rate, buffer_size, 0.5)  # 12
    s = result.summary
    assert adapter.settings == [(sample_rate, buffer_size)]
    assert adapter.resets == 2
    assert len(result.warmup_times) == 3
    assert s.num_calls == 2 * per_run
    assert sum(counted) == 3 + 2 * per_run + 2 * per_run  # warm-up, model, floor
    stalled = [9, per_run + 9]  # the 10th call of each run
    assert all(result.times[i] >= 0.1 for i in stalled)
    assert s.deadline_misses >= len(stalled) and s.slow_calls >= len(stalled)
    assert s.cause == "model"  # a no-op loop over the same 0.2 s does not stall for 100 ms
    assert s.max_s >= 0.1
    assert s.deadline_s == pytest.approx(buffer_size / sample_rate)
    assert len(result.times) == len(result.floor) == s.num_calls
    assert 0.0 < s.floor_max_s < 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": 0.0}, "duration must be a finite number of seconds > 0, got 0.0"),
        ({"duration": float("inf")}, "duration must be a finite number of seconds > 0, got inf"),
        ({"repetitions": 0}, "repetitions must be >= 1, got 0"),
        ({"warmup": -1}, "warmup must be >= 0 calls, got -1"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"duration": 0.01, "repetitions": 1, "warmup": 0, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        measure_speed(StallingAdapter(2, 0.0), 48000, 128, **args)


def test_the_same_seed_sends_the_same_audio() -> None:
    seen: list[Tensor] = []

    class Recorder(StallingAdapter):
        def forward(self, x: Tensor, params: Tensor | None = None) -> Tensor:
            seen.append(x.clone())
            return x

    for _ in range(2):
        measure_speed(Recorder(1, 0.0), 48000, 64, 0.01, 1, 0, seed=5)
    half = len(seen) // 2
    assert all(torch.equal(a, b) for a, b in zip(seen[:half], seen[half:], strict=True))
    assert float(torch.stack(seen).abs().max()) <= 1.0
