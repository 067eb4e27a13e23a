"""Choice of the native settings and the exact delay arithmetic of the adapter (pure functions).

Notation: host rate ``Fh``, native rate ``Fn``, ``up / down = Fn / Fh`` reduced; native block
``B`` (``B = 0``: any size, which behaves as ``B = 1``); look-ahead ``LA`` and model delay ``D`` in
native samples. The host->native resampler (extra delay 0) has produced ``floor(N * up / down)``
native samples after ``N`` host samples; native sample ``k`` sits at host time
``(k * down - S_in) / up``. The model runs a block once ``B + LA`` new native samples are queued.
The native->host resampler, with phase ``S_out = S_out_min + e``, has produced
``floor((J * down + e) / up)`` host samples after ``J`` native ones. Host output ``m`` (before the
output queue) therefore carries input time ``m - (S_in + S_out + D * down) / up``; `extra_phase`
picks ``e`` so that this is a whole number.

The output queue is primed with ``P`` zeros, the largest deficit ``N - produced(N)`` over every
cumulative host count ``N`` (a host with variable buffers reaches them all). With ``nb`` blocks
done, the deficit is largest just before block ``nb + 1`` is ready, at
``N = ceil(((nb + 1) * B + LA) * down / up) - 1``; the deficit is periodic in ``nb`` with period
``up``, so ``P`` is a maximum over ``nb`` in ``[0, up)``. At the same rate this is ``B - 1 + LA``.
Total delay: ``P + (S_in + S_out + D * down) / up`` host samples.

Example:
    >>> plan_delays(1, 1, 512, 0, 0, 0, 0)["total"]
    511
"""

from typing import Dict, List, Tuple

import torch


def reduced_ratio(native_rate: int, host_rate: int) -> Tuple[int, int]:
    """``(up, down)``: ``native_rate / host_rate`` in lowest terms."""
    a = native_rate
    b = host_rate
    while b != 0:
        a, b = b, a % b
    return native_rate // a, host_rate // a


def _ceil_div(a: torch.Tensor, b: int) -> torch.Tensor:
    return torch.div(a + (b - 1), b, rounding_mode="floor")


def priming_samples(up: int, down: int, block: int, look_ahead: int, extra_phase: int) -> int:
    """Zeros ``P`` that keep the output queue from running dry for any host buffer sequence.

    Args:
        up, down: native / host rate ratio, reduced.
        block: native block size (samples); 0 means any size.
        look_ahead: native samples of look-ahead.
        extra_phase: ``e`` of the native->host resampler, in ``[0, up)`` (0 at the same rate).
    """
    b = block if block > 0 else 1
    nb = torch.arange(up, dtype=torch.int64)
    ready = _ceil_div(((nb + 1) * b + look_ahead) * down, up) - 1
    produced = torch.div(nb * (b * down) + extra_phase, up, rounding_mode="floor")
    p = int(torch.max(ready - produced).item())
    return max(0, p)


def extra_phase(up: int, down: int, model_delay: int, s_in: int, s_out_min: int) -> int:
    """Smallest ``e >= 0`` making ``(S_in + S_out_min + e + D * down) / up`` an integer."""
    r = (s_in + s_out_min + model_delay * down) % up
    return (up - r) % up


def plan_delays(
    up: int,
    down: int,
    block: int,
    look_ahead: int,
    model_delay: int,
    s_in: int,
    s_out_min: int,
) -> Dict[str, int]:
    """Delays in host samples for the given settings.

    Args:
        up, down: native / host rate ratio, reduced (1, 1 at the same rate).
        block: native block size; 0 means any.
        look_ahead, model_delay: native samples.
        s_in: ``delay_phase_units()`` of the host->native resampler (0 at the same rate).
        s_out_min: minimal ``delay_phase_units()`` of the native->host resampler (0 at the same
            rate).

    Returns:
        ``extra_phase`` (``e`` for the native->host resampler), ``priming`` (zeros in the output
        queue), and the breakdown ``buffering``, ``resampling``, ``look_ahead``, ``model``,
        ``total`` with ``buffering + resampling + look_ahead + model == total``.
    """
    e = extra_phase(up, down, model_delay, s_in, s_out_min)
    p = priming_samples(up, down, block, look_ahead, e)
    resampled = (s_in + s_out_min + e + model_delay * down) // up
    model = (model_delay * down) // up
    la = (look_ahead * down) // up
    return {
        "extra_phase": e,
        "priming": p,
        "buffering": p - la,
        "resampling": resampled - model,
        "look_ahead": la,
        "model": model,
        "total": p + resampled,
    }


def choose_native_settings(
    daw_sr: int,
    native_srs: List[int],
    native_bss: List[int],
    look_ahead: int,
) -> Tuple[int, int]:
    """Native ``(sample_rate, buffer_size)`` for a host at `daw_sr`; buffer size 0 means any.

    No resampling if the host rate is native (or any rate is); otherwise the native rate and buffer
    size whose output queue needs the fewest zeros (in host samples), first listed on a tie.
    """
    rates = [daw_sr] if len(native_srs) == 0 or daw_sr in native_srs else native_srs
    sizes = native_bss if len(native_bss) > 0 else [0]
    best_sr = rates[0]
    best_bs = sizes[0]
    best = -1
    for sr in rates:
        up, down = reduced_ratio(sr, daw_sr)
        for bs in sizes:
            p = priming_samples(up, down, bs, look_ahead, 0)
            if best < 0 or p < best:
                best = p
                best_sr = sr
                best_bs = bs
    return best_sr, best_bs
