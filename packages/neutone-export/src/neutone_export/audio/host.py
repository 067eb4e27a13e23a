"""Drive a `.nm` module the way the plugin does: settings first, then one host buffer per call.

The validation suite and the demo renders both go through these functions, so what is checked is
what a host would hear. Signals are made here too, from fixed seeds, at full scale (|x| <= 1).
"""

import math
from typing import List

import torch
from torch import Tensor, nn

from neutone_core.parameters import MAX_REALTIME_PARAMETERS
from neutone_export.module_types import as_plugin

N_KNOBS = MAX_REALTIME_PARAMETERS  # the knob rows of `forward(x, params)`: one constant, in core


def configure(module: nn.Module, sample_rate: int, buffer_size: int) -> int:
    """Tell the module the host's settings, as the plugin does before audio flows."""
    return int(as_plugin(module).set_daw_sample_rate_and_buffer_size(sample_rate, buffer_size))


def reported_delay(module: nn.Module) -> int:
    """Delay the host compensates, in host samples: buffering (and resampling) plus model."""
    plugin = as_plugin(module)
    return int(plugin.calc_buffering_delay_samples()) + int(plugin.calc_model_delay_samples())


def stream(module: nn.Module, x: Tensor, sizes: List[int], params: Tensor | None = None) -> Tensor:
    """Feed `x` through `module.forward` in consecutive host buffers of the given sizes.

    Shapes: `x` is `(host_ch, n)`, `params` `(4, n)` or None, `sum(sizes) == n`; the result is the
    concatenation of the outputs, `(out_ch, n)`. Each output is copied, since a module may return a
    view into a buffer it reuses. Raises ValueError when a call returns another number of samples
    than it was given.
    """
    outputs = []
    start = 0
    with torch.no_grad():
        for call, size in enumerate(sizes):
            chunk = x[:, start : start + size]
            knobs = None if params is None else params[:, start : start + size]
            y = module.forward(chunk, knobs)
            if y.dim() != 2 or y.size(1) != size:
                raise ValueError(
                    f"forward returned shape {tuple(y.shape)} for a host buffer of {size} samples "
                    f"(call {call} of a sequence starting {sizes[:4]})"
                )
            outputs.append(y.clone())
            start += size
    return torch.cat(outputs, dim=1)


def fixed_sizes(n: int, buffer_size: int) -> List[int]:
    """One fixed buffer size covering `n` samples; the caller pads the last buffer."""
    return [buffer_size] * math.ceil(n / buffer_size)


def random_sizes(n: int, max_size: int, generator: torch.Generator) -> List[int]:
    """Random host buffer sizes in `0..max_size` summing to `n`, as a variable-size host sends."""
    sizes: List[int] = []
    total = 0
    while total < n:
        size = int(torch.randint(0, max_size + 1, (1,), generator=generator))
        size = min(size, n - total)
        sizes.append(size)
        total += size
    return sizes


def pad_to(x: Tensor, n: int) -> Tensor:
    """Zero-pad the time axis of `(ch, m)` to length `n >= m`."""
    return torch.nn.functional.pad(x, (0, n - x.size(1)))


def knob_rows(values: Tensor, n: int) -> Tensor:
    """Constant knob signal `(4, n)` from 4 values in [0, 1]."""
    return values.reshape(N_KNOBS, 1).to(torch.float32).expand(N_KNOBS, n).contiguous()


def silence(n: int, channels: int = 2) -> Tensor:
    """All zeros, `(channels, n)`."""
    return torch.zeros(channels, n)


def noise(n: int, seed: int, channels: int = 2, amplitude: float = 1.0) -> Tensor:
    """Uniform noise in [-amplitude, amplitude], same on every channel, `(channels, n)`."""
    generator = torch.Generator().manual_seed(seed)
    mono = (torch.rand(1, n, generator=generator) * 2.0 - 1.0) * amplitude
    return mono.expand(channels, n).contiguous()


def sine_sweep(n: int, sample_rate: int, channels: int = 2) -> Tensor:
    """Full-scale exponential sweep, 20 Hz to 0.45 * sample_rate, `(channels, n)`."""
    f0, f1 = 20.0, 0.45 * sample_rate
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    duration = max(n / sample_rate, 1e-9)
    rate = math.log(f1 / f0) / duration
    phase = 2.0 * math.pi * f0 * (torch.exp(rate * t) - 1.0) / rate
    return torch.sin(phase).to(torch.float32).reshape(1, n).expand(channels, n).contiguous()


def impulse(n: int, position: int, channels: int = 2) -> Tensor:
    """A unit impulse at `position`, `(channels, n)`."""
    x = torch.zeros(channels, n)
    x[:, position] = 1.0
    return x
