"""The trace fallback: inner models TorchScript refuses export when their trace is proven equal.

Each inner model below is refused by TorchScript (a nested function, as in Neural Amp Modeler's
WaveNet); the trace must keep what the Python model does, block after block, or be refused with
the reason.
"""

from typing import Dict, List

import pytest
import torch
from torch import Tensor, nn

from neutone_core import NeutoneParameter, WaveformToWaveformBase
from neutone_export import ScriptingError, script_neutone_model, validate_neutone_model
from neutone_export.files.tracing import TRACE_BUFFER_SIZE, TracingError, trace_inner_model

ECHO = 7
"""Samples between a sample and its echo in the stateful models."""


class Echo(nn.Module):
    """Adds an echo ``ECHO`` samples late; the last samples wait in a registered buffer.

    ``forward`` defines a nested function, which TorchScript refuses and a trace records.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("history", torch.zeros(1, ECHO))

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        def echo(signal: Tensor) -> Tensor:
            return signal[:, :-ECHO] * 0.5

        full = torch.cat([self.history, x * gain], dim=1)
        self.history.copy_(full[:, -ECHO:])
        return full[:, ECHO:] + echo(full)

    def reset(self) -> None:
        self.history.zero_()


class EchoInAttribute(Echo):
    """The same echo with its history in a plain attribute, which a trace freezes."""

    def __init__(self) -> None:
        super().__init__()
        self.tail = torch.zeros(1, ECHO)

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        def echo(signal: Tensor) -> Tensor:
            return signal[:, :-ECHO] * 0.5

        full = torch.cat([self.tail, x * gain], dim=1)
        self.tail = full[:, -ECHO:].clone()
        return full[:, ECHO:] + echo(full)

    def reset(self) -> None:
        self.tail = torch.zeros(1, ECHO)


class SignSwitch(nn.Module):
    """Inverts the signal when the gain is above 1: control flow on a value, which a trace freezes
    at the branch its example took."""

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        def scaled(signal: Tensor) -> Tensor:
            return signal * gain

        if bool(gain > 1.0):
            return -scaled(x)
        return scaled(x)


class Layers(nn.Module):
    """An unscriptable module deep inside the inner model, as in a real network."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Identity(), Echo()])

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        return self.layers[1](self.layers[0](x), gain)


class Scale(nn.Module):
    """Scriptable: applies the gain."""

    def forward(self, x: Tensor, gain: Tensor) -> Tensor:
        return x * gain


class EchoWrapper(WaveformToWaveformBase):
    """Mono, one gain knob, any buffer size; ``self.model`` is one of the modules above."""

    def __init__(self, model: nn.Module, buffer_sizes: List[int] | None = None) -> None:
        super().__init__(model)
        self.buffer_sizes = [] if buffer_sizes is None else buffer_sizes

    def get_model_name(self) -> str:
        return "export.traced"

    def get_model_authors(self) -> List[str]:
        return ["neutone tests"]

    def get_model_version(self) -> str:
        return "1.0.0"

    def get_model_short_description(self) -> str:
        return "An echo TorchScript cannot compile."

    def get_tags(self) -> List[str]:
        return ["test"]

    def get_neutone_parameters(self) -> List[NeutoneParameter]:
        return [NeutoneParameter("gain", "input gain", 0.5, min_value=0.0, max_value=2.0)]

    def is_input_mono(self) -> bool:
        return True

    def is_output_mono(self) -> bool:
        return True

    def get_native_sample_rates(self) -> List[int]:
        return [48000]

    def get_native_buffer_sizes(self) -> List[int]:
        return self.buffer_sizes

    def reset_model(self) -> bool:
        self.model.history.zero_()  # a traced module keeps its buffers, not its methods
        return True

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return self.model(x, params["gain"])


class PlainStateWrapper(EchoWrapper):
    """Resets the plain attribute in Python: the eager side of the proof, never scripted."""

    def reset_model(self) -> bool:
        self.model.reset()
        return True


class StatelessWrapper(EchoWrapper):
    def reset_model(self) -> bool:
        return True


def test_unscriptable_inner_model_is_explained_with_its_path() -> None:
    with pytest.raises(ScriptingError) as caught:
        script_neutone_model(StatelessWrapper(Layers()))
    error = caught.value
    assert error.module_path == "self.model.layers[1]", str(error)
    assert error.traceable
    assert "In: self.model.layers[1] (Echo)" in str(error)
    assert "Tracing: the failing code is inside self.model" in str(error)
    assert "trace=True" in str(error)


def test_failure_outside_the_inner_model_says_tracing_does_not_apply() -> None:
    class NestedInWrapper(StatelessWrapper):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            def twice(signal: Tensor) -> Tensor:
                return signal * 2.0

            return twice(self.model(x, params["gain"]))

    with pytest.raises(ScriptingError) as caught:
        script_neutone_model(NestedInWrapper(Scale()))
    assert caught.value.module_path == "self"
    assert not caught.value.traceable
    assert "tracing cannot replace it" in str(caught.value)


def test_traced_stateful_model_streams_as_offline_and_any_size_becomes_512() -> None:
    wrapper = EchoWrapper(Echo())
    scripted = script_neutone_model(wrapper, trace=True)
    report = scripted.trace_report
    assert report.chosen_buffer_size == TRACE_BUFFER_SIZE == 512
    assert report.native_buffer_sizes == [512]
    assert report.input_shapes == [[1, 512]]
    assert report.max_difference <= 1e-6
    assert "native buffer size 512 chosen for tracing" in report.summary()
    assert report.to_dict()["chosen_buffer_size"] == 512
    assert list(scripted.get_native_buffer_sizes()) == [512]
    result = validate_neutone_model(
        scripted, eager_model=wrapper, seconds=0.25, buffer_sizes=(32, 128, 512, 2048)
    )
    assert result.passed, result.to_json()


def test_trace_carries_state_between_blocks_like_the_python_model() -> None:
    """Echoes cross block boundaries: the traced model's output equals the Python model's."""
    eager = Echo()
    wrapper = EchoWrapper(Echo(), buffer_sizes=[64])
    trace_inner_model(wrapper)
    wrapper.reset_model()
    x = torch.rand(1, 64 * 5) - 0.5
    gain = torch.tensor([0.8])
    expected = eager(x, gain)
    got = torch.cat([wrapper.model(x[:, i : i + 64], gain) for i in range(0, 320, 64)], dim=1)
    assert torch.allclose(got, expected, atol=1e-6)
    assert isinstance(wrapper.model, torch.jit.ScriptModule)


def test_several_native_sizes_are_each_proven() -> None:
    report = trace_inner_model(EchoWrapper(Echo(), buffer_sizes=[128, 256]))
    assert report.chosen_buffer_size is None
    assert report.native_buffer_sizes == [128, 256]
    assert report.blocks_compared == 8
    assert "chosen" not in report.summary()


def test_state_in_a_plain_attribute_is_refused_saying_so() -> None:
    wrapper = PlainStateWrapper(EchoInAttribute())
    with pytest.raises(TracingError) as caught:
        trace_inner_model(wrapper)
    message = str(caught.value)
    assert "state carried between calls is frozen" in message
    assert "register_buffer" in message
    assert isinstance(wrapper.model, EchoInAttribute)  # the Python model is kept on failure


def test_data_dependent_control_flow_is_refused_saying_why() -> None:
    wrapper = StatelessWrapper(SignSwitch())
    with pytest.raises(TracingError) as caught:
        script_neutone_model(wrapper, trace=True)
    message = str(caught.value)
    assert "control flow that depends on the input's values" in message
    assert "Converting a tensor to a Python boolean" in message  # the tracer's own warning
    assert list(wrapper.get_native_buffer_sizes()) == []  # the wrapper is left as it was


def test_keyword_arguments_are_refused() -> None:
    class ByKeyword(EchoWrapper):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return self.model(x, gain=params["gain"])

    with pytest.raises(TracingError, match="keyword arguments \\['gain'\\]"):
        trace_inner_model(ByKeyword(Echo()))
