"""Compared passes start from the same RNG state: noise by design passes, leaking state fails."""

from typing import Dict

import torch
from torch import Tensor, nn

from neutone_core.stateful import StatefulModule
from neutone_export import script_neutone_model, validate_neutone_model
from neutone_export.suite.compare import run_from_same_rng

COMPARED = ("determinism", "reset", "eager", "streaming")


class DrawsNoise(nn.Module):
    """Adds a little noise drawn from torch's default generator, one sample at a time."""

    def forward(self, x: Tensor) -> Tensor:
        noise = torch.stack([torch.randn(x.size(0)) for _ in range(x.size(1))], dim=1)
        return x + 0.01 * noise


def test_a_loaded_module_draws_from_the_generator_seeded_in_python() -> None:
    scripted = torch.jit.script(DrawsNoise())
    x = torch.zeros(2, 8)
    first, second = run_from_same_rng(lambda: scripted(x), lambda: scripted(x))
    assert torch.equal(first, second)
    assert not torch.equal(scripted(x), scripted(x))  # unseeded, it really draws noise


def test_the_callers_generator_state_is_restored() -> None:
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    run_from_same_rng(lambda: torch.rand(100))
    assert torch.equal(torch.rand(4), expected)


def wrapped(models, inner: nn.Module) -> nn.Module:
    """`inner` in a test wrapper whose do_forward_pass calls it and whose reset_model does not
    reset it."""

    class Wrapper(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x)

    return Wrapper(inner)


def test_a_model_that_draws_noise_by_design_passes_the_compared_checks(models, quick) -> None:
    model = wrapped(models, DrawsNoise())
    report = validate_neutone_model(script_neutone_model(model), eager_model=model, **quick)
    for name in COMPARED:
        assert report[name].passed, f"{name}: {report[name].message}"


class CountsCalls(nn.Module):
    """Adds the number of blocks seen so far, a counter that reset_model() never clears."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        self.count += 1.0
        return x + 0.001 * self.count


def test_a_model_that_leaks_state_between_runs_still_fails_reset(models, quick) -> None:
    model = wrapped(models, CountsCalls())
    report = validate_neutone_model(script_neutone_model(model), eager_model=model, **quick)
    assert not report["reset"].passed
    assert "reset() leaves state behind" in report["reset"].message


class StatefulCounter(StatefulModule, CountsCalls):
    """The same counter declared stateful: the adapter's reset() clears it."""

    def reset(self) -> None:
        self.count.zero_()


def test_a_stateful_helper_is_reset_without_reset_model(models, quick) -> None:
    model = wrapped(models, StatefulCounter())
    report = validate_neutone_model(script_neutone_model(model), eager_model=model, **quick)
    assert report["reset"].passed, report["reset"].message
