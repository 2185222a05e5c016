"""Interventions on the gates of the gated cells, for the experiments of chapters 5 and 6.

- :class:`FixedGateGRUCell` and :class:`FixedGateGRU`: a GRU whose update gate ``z_t`` or reset gate
  ``r_t`` is held at a constant instead of computed (chapter "The GRU": what breaks when a gate is fixed).
- :func:`set_forget_bias`: start an LSTM with a chosen forget-gate bias (chapter "The LSTM").
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F

from .cells import GRUCell
from .layers import LSTM, Recurrent

__all__ = ["FixedGateGRU", "FixedGateGRUCell", "set_forget_bias"]


def _check_gate_value(owner: str, name: str, value) -> float | None:
    if value is None:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name} must be None (learned) or a number in [0, 1], got {value!r}")
    return float(value)


class FixedGateGRUCell(GRUCell):
    r"""A :class:`~rnntutor.GRUCell` whose update gate, reset gate or both are held at constants.

    With ``z`` given, :math:`z_t = z` at every step and for every unit; with ``r`` given,
    :math:`r_t = r`. A gate left at ``None`` is computed as usual, so with neither given the cell is the
    GRU itself. The rows of the fixed gate stay in ``weight_ih`` and ``weight_hh`` (a state dict still
    loads both ways) but receive no gradient.

    .. math::

        r_t &= r \quad\text{or}\quad \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= z \quad\text{or}\quad \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    ``z = 0`` makes every step overwrite the state, ``h_t = n_t``; ``z = 0`` with ``r = 1`` is the plain
    recurrent neuron :math:`h_t = \tanh(W_{in} x_t + b_{in} + W_{hn} h_{t-1} + b_{hn})`; ``z = 1`` never
    changes the state. Chapter "The GRU".
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
                 z: float | None = None, r: float | None = None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.z = _check_gate_value(type(self).__name__, "z", z)
        self.r = _check_gate_value(type(self).__name__, "r", r)

    def extra_repr(self) -> str:
        fixed = "".join(f", {name}={getattr(self, name)}" for name in ("z", "r") if getattr(self, name) is not None)
        return super().extra_repr() + fixed

    def step(self, x_proj: torch.Tensor, h_prev: torch.Tensor):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``h_{t-1}``; returns ``h_t, gates``."""
        Wx_r, Wx_z, Wx_n = x_proj.chunk(3, dim=-1)
        Wh_r, Wh_z, Wh_n = F.linear(h_prev, self.weight_hh, self.bias_hh).chunk(3, dim=-1)
        r_t = torch.sigmoid(Wx_r + Wh_r) if self.r is None else torch.full_like(Wh_r, self.r)
        z_t = torch.sigmoid(Wx_z + Wh_z) if self.z is None else torch.full_like(Wh_z, self.z)
        n_t = torch.tanh(Wx_n + r_t * Wh_n)
        h_t = (1 - z_t) * n_t + z_t * h_prev
        return h_t, {"r": r_t, "z": z_t, "n": n_t, "h": h_t}


class FixedGateGRU(Recurrent):
    """GRU layers over a sequence with a gate held fixed: :class:`FixedGateGRUCell` in every layer and
    direction. Arguments as :class:`~rnntutor.GRU`, plus ``z`` and ``r`` (``None``: learned). The state
    dict keys are torch's, so ``fixed.load_state_dict(gru.state_dict())`` works. Chapter "The GRU"."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        z: float | None = None,
        r: float | None = None,
        device=None,
        dtype=None,
    ):
        owner = type(self).__name__
        self.z = _check_gate_value(owner, "z", z)
        self.r = _check_gate_value(owner, "r", r)
        super().__init__(FixedGateGRUCell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, z=z, r=r)

    def extra_repr(self) -> str:
        fixed = "".join(f", {name}={getattr(self, name)}" for name in ("z", "r") if getattr(self, name) is not None)
        return super().extra_repr() + fixed


def set_forget_bias(lstm: LSTM, value: float) -> LSTM:
    r"""Set the forget-gate bias of every layer and direction of ``lstm`` to ``value``, in place.

    The forget gate's pre-activation has two biases, :math:`b_{if} + b_{hf}` (rows ``hidden_size`` to
    ``2 * hidden_size`` of ``bias_ih`` and ``bias_hh``, the second of the blocks i, f, g, o). This sets
    :math:`b_{if} = \text{value}` and :math:`b_{hf} = 0`, so that with small weights the gate starts near
    :math:`f_t \approx \sigma(\text{value})`: 0.50 for 0, 0.73 for 1. Works on :class:`~rnntutor.LSTM`
    and ``torch.nn.LSTM`` alike (same parameter names). Returns ``lstm``. Chapter "The LSTM".
    """
    if not isinstance(lstm, (LSTM, torch.nn.LSTM)):
        raise TypeError(f"set_forget_bias expects an rnntutor.LSTM or torch.nn.LSTM layer, got {type(lstm).__name__}")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"set_forget_bias: value must be a real number, got {value!r}")
    if not lstm.bias:
        raise ValueError("set_forget_bias: this LSTM was built with bias=False, so it has no forget-gate bias")
    H = lstm.hidden_size
    with torch.no_grad():
        for name, parameter in lstm.named_parameters():
            if name.startswith("bias_ih"):
                parameter[H:2 * H] = value
            elif name.startswith("bias_hh"):
                parameter[H:2 * H] = 0.0
    return lstm
