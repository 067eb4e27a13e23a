"""Scripting errors teach: each planted mistake names the method, the line and the usual fix."""

import inspect
from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import MetadataError, WaveformToWaveformBase
from neutone_export import ScriptingError, script_neutone_model


class TestModel(WaveformToWaveformBase):
    """Valid metadata and layout; each subclass below plants one mistake in do_forward_pass."""

    __test__ = False

    def get_model_name(self) -> str:
        return "export.planted"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "A model with a planted mistake."

    def is_input_mono(self) -> bool:
        return False

    def is_output_mono(self) -> bool:
        return False

    def get_native_sample_rates(self) -> List[int]:
        return []

    def get_native_buffer_sizes(self) -> List[int]:
        return []


def planted_line(cls: type) -> int:
    """Line number of the `# PLANTED` mistake in `cls`'s source."""
    lines, start = inspect.getsourcelines(cls)
    return start + next(i for i, line in enumerate(lines) if "# PLANTED" in line)


class MissingAnnotation(TestModel):
    def _scale(self, x: Tensor, gain) -> Tensor:
        return x * gain

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self._scale(x, 0.5)  # PLANTED


class UsesLambda(TestModel):
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        double = lambda y: y * 2.0  # noqa: E731  # PLANTED
        return double(x)


class UsesTry(TestModel):
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        try:  # PLANTED
            return x * 2.0
        except RuntimeError:
            return x


class IgnoredHelper(TestModel):
    @torch.jit.ignore
    def helper(self, x: Tensor) -> Tensor:
        return x * 0.5

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.helper(x)  # PLANTED


class Inner(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x

    def process(self, x: Tensor) -> Tensor:
        return x * 0.5


class CallsTracedInner(TestModel):
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model.process(x)  # PLANTED


class Config:
    gain = 0.5


class InnerWithConfig(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.config = Config()


class ReadsInnerConfig(TestModel):
    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * self.model.config.gain  # PLANTED


CASES = [
    (MissingAnnotation, nn.Identity, "annotation", ["argument `gain`", "annotate", "gain: float"]),
    (UsesLambda, nn.Identity, "unsupported", ["Lambda", "instead of lambdas"]),
    (UsesTry, nn.Identity, "unsupported", ["try", "no try/except"]),
    (IgnoredHelper, nn.Identity, "python-call", ["`helper`", "@torch.jit.ignore", "decorator"]),
    (
        CallsTracedInner,
        lambda: torch.jit.trace(Inner(), torch.zeros(2, 8)),
        "not-exported",
        ["`process`", "@torch.jit.export"],
    ),
    (ReadsInnerConfig, InnerWithConfig, "not-visible", ["`gain`", "class attribute", "__init__"]),
]


@pytest.mark.parametrize(
    ("cls", "inner", "cause", "phrases"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_planted_mistake_is_explained(cls: type, inner: object, cause: str, phrases: list) -> None:
    with pytest.raises(ScriptingError) as caught:
        script_neutone_model(cls(inner()))
    error = caught.value
    message = str(error)
    line = planted_line(cls)
    assert error.cause == cause, message
    assert error.method == f"{cls.__name__}.do_forward_pass", message
    assert error.lineno == line, message
    assert error.filename == __file__
    assert f"{cls.__name__}.do_forward_pass (test_scripting.py, line {line})" in message
    assert "# PLANTED" in message  # the user's own line is quoted
    for phrase in phrases:
        assert phrase in message, (phrase, message)
    assert isinstance(error, ValueError)
    assert not error.traceable  # the mistake is in the wrapper, which is never traced
    if error.module_path is not None:
        assert error.module_path == "self"
        assert "Tracing: the failing code is not inside self.model" in message


def test_good_model_scripts_with_contract_methods(models) -> None:
    scripted = script_neutone_model(models.Gain(nn.Identity()))
    assert isinstance(scripted, torch.jit.ScriptModule)
    for name in ("forward", "forward_offline", "set_daw_sample_rate_and_buffer_size", "reset"):
        assert scripted._c._has_method(name)


@pytest.mark.parametrize("option", ["freeze", "optimize"])
def test_freeze_and_optimize_keep_the_contract(models, option: str) -> None:
    model = models.Gain(nn.Identity())
    scripted = script_neutone_model(model, **{option: True})
    for name in scripted.get_preserved_attributes():
        assert hasattr(scripted, name), name
    scripted.set_daw_sample_rate_and_buffer_size(48000, 256)
    x = torch.rand(2, 256) - 0.5
    assert torch.allclose(scripted.forward(x, None), x)  # default gain 0.5 -> unity


def test_bad_metadata_is_refused_before_scripting(models) -> None:
    with pytest.raises(MetadataError, match="tags"):
        script_neutone_model(models.LongTags(nn.Identity()))


def test_not_a_model_is_refused() -> None:
    with pytest.raises(ValueError, match="model: must be a WaveformToWaveformBase, got Linear"):
        script_neutone_model(nn.Linear(2, 2))
