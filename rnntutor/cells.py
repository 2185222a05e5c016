"""The recurrent cells, written from their equations: one line of code per line of math.

Each cell computes one time step. Parameter names, shapes, gate order and initialisation are those of
``torch.nn.RNNCell``, ``torch.nn.GRUCell`` and ``torch.nn.LSTMCell``, so a state dict loads both ways and
the two can be compared number for number.

Every cell splits its step in two: :meth:`~RNNCell.project_input` computes the input terms
``W_ih x_t + b_ih`` (one matrix product, which a layer does for all time steps at once), and ``step``
holds the equations of the chapter, with the book's symbols as names. In ``step``, ``Wx_r`` stands for
``W_ir x_t + b_ir``, ``Wh_r`` for ``W_hr h_{t-1} + b_hr``, and ``a_i`` for their sum, the pre-activation
``W_ii x_t + b_ii + W_hi h_{t-1} + b_hi`` of a gate (the same for every gate).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .validate import check_positive_ints

__all__ = ["Cell", "ChoGRUCell", "GRUCell", "LSTMCell", "PeepholeLSTMCell", "RNNCell"]


def affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``W x + b`` for every row of ``x``, as ``torch.nn.functional.linear``. With a leading axis of copies,
    ``weight`` (copies, out, in), ``bias`` (copies, out) and ``x`` (copies, rows, in), each copy's rows meet
    its own weights: so the cells' equations also run many copies at once (:class:`rnntutor.Ensemble`)."""
    if weight.dim() == 2:
        return F.linear(x, weight, bias)
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


def _expect_tensor(owner: str, name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{owner}: {name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def _expect_like(owner: str, name: str, value: torch.Tensor, reference: torch.Tensor) -> None:
    """Raise unless ``value`` has the dtype and device of the parameter ``reference``."""
    if value.dtype != reference.dtype:
        raise TypeError(
            f"{owner}: {name} has dtype {value.dtype}, but the parameters are {reference.dtype}; "
            f"convert one of them, e.g. {name}.to({reference.dtype})"
        )
    if value.device != reference.device:
        raise ValueError(
            f"{owner}: {name} is on device {value.device}, but the parameters are on {reference.device}; "
            f"move one of them, e.g. {name}.to('{reference.device}')"
        )


def _check_state(owner: str, hx, names: tuple[str, ...], shape: tuple[int, ...], reference: torch.Tensor):
    """Return ``hx`` as a tuple of one tensor per name in ``names`` ("h", or "h", "c"), each checked to have
    exactly ``shape`` and the dtype and device of the parameter ``reference``."""
    if len(names) == 1:
        labels, values = ("hx",), (hx,)
    elif isinstance(hx, (tuple, list)) and len(hx) == len(names):
        labels, values = tuple(f"hx[{k}] ({name}_0)" for k, name in enumerate(names)), tuple(hx)
    else:
        got = type(hx).__name__ + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else "")
        raise TypeError(f"{owner}: hx must be a tuple (h_0, c_0) of two tensors, got {got}")
    for label, value in zip(labels, values, strict=True):
        _expect_tensor(owner, label, value)
        if tuple(value.shape) != shape:
            raise ValueError(f"{owner}: expected {label} of shape {shape}, got {tuple(value.shape)}")
        _expect_like(owner, label, value, reference)
    return values


class Cell(nn.Module):
    """What every cell shares: torch's parameters and initialisation, the input checks, and ``forward``,
    which checks its input and runs the ``step`` of the subclass, where the equations are."""

    num_gates = 1  # blocks of hidden_size rows stacked in weight_ih and weight_hh
    state_names = ("h",)  # the tensors of the recurrent state: h, or (h, c) for the LSTM

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        check_positive_ints(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = self.num_gates * hidden_size
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(rows, **factory))
            self.bias_hh = nn.Parameter(torch.empty(rows, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(H), 1/sqrt(H)), in torch's order (same seed, same numbers)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        """The arguments that differ from their defaults, as torch prints them."""
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``W_ih x + b_ih`` for every gate at once: shape (..., num_gates * hidden_size)."""
        return F.linear(x, self.weight_ih, self.bias_ih)

    def forward(self, input: torch.Tensor, hx=None, return_gates: bool = False):
        """Run one time step.

        Parameters
        ----------
        input : Tensor
            ``x_t``, (batch, input_size), or (input_size,) unbatched.
        hx : Tensor or tuple of Tensor, optional
            The previous state, shaped like the return value: ``h_{t-1}``, or ``(h_{t-1}, c_{t-1})`` for
            the LSTM; zeros when omitted.
        return_gates : bool
            Also return the gates, see below.

        Returns
        -------
        Tensor or tuple of Tensor
            ``h_t``, or ``(h_t, c_t)`` for the LSTM: (batch, hidden_size), or (hidden_size,) unbatched.
        gates : dict, only with ``return_gates=True``
            Then the return value is ``(usual, gates)``; ``gates`` maps each symbol of the step's
            equations (see the class: ``"i"``, ``"f"``, ...) to its value at this step, shaped like ``h_t``.
        """
        x, state, unbatched = self._prepare(input, hx)
        state, gates = self.step(self.project_input(x), state)
        if unbatched:
            state = tuple(s.squeeze(0) for s in state) if isinstance(state, tuple) else state.squeeze(0)
            gates = {name: value.squeeze(0) for name, value in gates.items()}
        return (state, gates) if return_gates else state

    def _prepare(self, input, hx):
        """Check ``input`` and ``hx``; return the input as (batch, input_size), the state as ``step`` takes
        it, and whether the input was unbatched."""
        owner = type(self).__name__
        x = _expect_tensor(owner, "input", input)
        if x.dim() not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{owner}: expected input of shape (batch, {self.input_size}) or unbatched "
                f"({self.input_size},), got a {x.dim()}-D tensor of shape {tuple(x.shape)}"
            )
        _expect_like(owner, "input", x, self.weight_ih)
        unbatched = x.dim() == 1
        x = x.unsqueeze(0) if unbatched else x
        if hx is None:
            state = tuple(x.new_zeros(x.shape[0], self.hidden_size) for _ in self.state_names)
        else:
            shape = (self.hidden_size,) if unbatched else (x.shape[0], self.hidden_size)
            state = _check_state(owner, hx, self.state_names, shape, self.weight_ih)
            state = tuple(s.unsqueeze(0) for s in state) if unbatched else state
        return x, state if len(state) > 1 else state[0], unbatched


class RNNCell(Cell):
    r"""The recurrent neuron (chapter "The recurrent neuron"), equal to ``torch.nn.RNNCell``.

    .. math::

        a_t &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\
        h_t &= \tanh(a_t) \quad\text{(or } \operatorname{relu}(a_t)\text{)}

    ``weight_ih`` is (hidden_size, input_size), ``weight_hh`` (hidden_size, hidden_size). ``forward(input,
    hx=None, return_gates=False)`` returns ``h_t``; the gates are ``{"a": a_t, "h": h_t}``.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t``.
    bias : bool
        Whether ``b_ih`` and ``b_hh`` exist.
    nonlinearity : {"tanh", "relu"}
        The activation of ``h_t``.
    device, dtype
        Where and in which precision the parameters live.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")

    def step(self, x_proj: torch.Tensor, h_prev: torch.Tensor):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``h_{t-1}``; returns ``h_t, gates``.

        ``a_t`` is the pre-activation ``W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``.
        """
        a_t = x_proj + affine(h_prev, self.weight_hh, self.bias_hh)
        h_t = torch.tanh(a_t) if self.nonlinearity == "tanh" else torch.relu(a_t)
        return h_t, {"a": a_t, "h": h_t}


class GRUCell(Cell):
    r"""The gated recurrent unit (chapter "The GRU"), equal to ``torch.nn.GRUCell``.

    Torch's (and cuDNN's) reset-after form: the reset gate scales ``W_hn h_{t-1} + b_hn`` after the
    matrix product. The update gate ``z_t`` keeps the old state, ``1 - z_t`` lets the candidate in.

    .. math::

        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    ``weight_ih`` stacks ``W_ir, W_iz, W_in`` (3 * hidden_size, input_size), ``weight_hh`` stacks
    ``W_hr, W_hz, W_hn``. ``forward(input, hx=None, return_gates=False)`` returns ``h_t``; the gates are
    ``{"r", "z", "n", "h"}``. :class:`ChoGRUCell` is the reset-before form of Cho et al. (2014).

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t``.
    bias : bool
        Whether ``b_ih`` and ``b_hh`` exist.
    device, dtype
        Where and in which precision the parameters live.
    """

    num_gates = 3

    def step(self, x_proj: torch.Tensor, h_prev: torch.Tensor):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``h_{t-1}``; returns ``h_t, gates``.

        ``Wx_r`` is ``W_ir x_t + b_ir`` and ``Wh_r`` is ``W_hr h_{t-1} + b_hr``; likewise for z and n.
        """
        Wx_r, Wx_z, Wx_n = x_proj.chunk(3, dim=-1)
        Wh_r, Wh_z, Wh_n = affine(h_prev, self.weight_hh, self.bias_hh).chunk(3, dim=-1)
        r_t = torch.sigmoid(Wx_r + Wh_r)
        z_t = torch.sigmoid(Wx_z + Wh_z)
        n_t = torch.tanh(Wx_n + r_t * Wh_n)
        h_t = (1 - z_t) * n_t + z_t * h_prev
        return h_t, {"r": r_t, "z": z_t, "n": n_t, "h": h_t}


class ChoGRUCell(GRUCell):
    r"""The GRU as Cho et al. (2014) wrote it (chapter "The GRU"): the reset gate acts before the product.

    Same parameters as :class:`GRUCell` (so the same state dict loads into both); only the candidate
    differs. As in Cho et al. and in torch, ``z_t`` keeps the old state and ``1 - z_t`` lets the candidate
    in (some texts, e.g. Chung et al. 2014, swap the two).

    .. math::

        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
    """

    def step(self, x_proj: torch.Tensor, h_prev: torch.Tensor):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``h_{t-1}``; returns ``h_t, gates``.

        ``Wx_r`` is ``W_ir x_t + b_ir``; ``W_hr`` and ``b_hr`` are the rows of ``weight_hh`` and ``bias_hh``
        that belong to r; likewise for z and n.
        """
        W_hr, W_hz, W_hn = self.weight_hh.chunk(3)
        b_hr, b_hz, b_hn = self.bias_hh.chunk(3) if self.bias else (None, None, None)
        Wx_r, Wx_z, Wx_n = x_proj.chunk(3, dim=-1)
        r_t = torch.sigmoid(Wx_r + F.linear(h_prev, W_hr, b_hr))
        z_t = torch.sigmoid(Wx_z + F.linear(h_prev, W_hz, b_hz))
        n_t = torch.tanh(Wx_n + F.linear(r_t * h_prev, W_hn, b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_prev
        return h_t, {"r": r_t, "z": z_t, "n": n_t, "h": h_t}


class LSTMCell(Cell):
    r"""The long short-term memory cell (chapter "The LSTM"), equal to ``torch.nn.LSTMCell``.

    .. math::

        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)

    ``weight_ih`` stacks ``W_ii, W_if, W_ig, W_io`` (4 * hidden_size, input_size), ``weight_hh`` stacks
    ``W_hi, W_hf, W_hg, W_ho``. ``forward(input, hx=None, return_gates=False)`` takes and returns the
    state ``(h_t, c_t)``; the gates are ``{"i", "f", "g", "o", "c", "h"}``.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t`` and ``c_t``.
    bias : bool
        Whether ``b_ih`` and ``b_hh`` exist.
    device, dtype
        Where and in which precision the parameters live.
    """

    num_gates = 4
    state_names = ("h", "c")

    def step(self, x_proj: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``(h_{t-1}, c_{t-1})``.

        Returns ``(h_t, c_t), gates``. ``a_i`` is the pre-activation ``W_ii x_t + b_ii + W_hi h_{t-1} + b_hi``
        of the input gate; likewise for f, g and o.
        """
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = (x_proj + affine(h_prev, self.weight_hh, self.bias_hh)).chunk(4, dim=-1)
        i_t = torch.sigmoid(a_i)
        f_t = torch.sigmoid(a_f)
        g_t = torch.tanh(a_g)
        o_t = torch.sigmoid(a_o)
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * torch.tanh(c_t)
        return (h_t, c_t), {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t, "h": h_t}


class PeepholeLSTMCell(LSTMCell):
    r"""The LSTM with Gers and Schmidhuber's (2000) peephole connections (chapter "The LSTM").

    Each gate also sees the cell state, through one weight per unit (a diagonal matrix): the input and
    forget gates see :math:`c_{t-1}`, the output gate sees the new :math:`c_t`.

    .. math::

        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi} + w_{ci} \odot c_{t-1}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + w_{cf} \odot c_{t-1}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + w_{co} \odot c_t) \\
        h_t &= o_t \odot \tanh(c_t)

    The parameters are :class:`LSTMCell`'s, drawn as torch draws them, plus ``weight_ci``, ``weight_cf``
    and ``weight_co`` (hidden_size,) each, which start at 0: a new cell computes what an ``LSTMCell`` with
    the same seed computes, and training decides how much each gate looks at the cell.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        factory = {"device": device, "dtype": dtype}
        self.weight_ci = nn.Parameter(torch.zeros(hidden_size, **factory))
        self.weight_cf = nn.Parameter(torch.zeros(hidden_size, **factory))
        self.weight_co = nn.Parameter(torch.zeros(hidden_size, **factory))

    def reset_parameters(self) -> None:
        """Draw the LSTM's parameters as torch does; set the peephole weights, once they exist, to 0."""
        super().reset_parameters()
        with torch.no_grad():
            for name in ("weight_ci", "weight_cf", "weight_co"):
                if hasattr(self, name):  # reset_parameters runs once in LSTMCell.__init__, before they exist
                    getattr(self, name).zero_()

    def step(self, x_proj: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """One time step from ``x_proj = W_ih x_t + b_ih`` and ``(h_{t-1}, c_{t-1})``.

        Returns ``(h_t, c_t), gates``; ``a_i`` is the pre-activation of the input gate without its peephole
        term; likewise for f, g and o.
        """
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = (x_proj + affine(h_prev, self.weight_hh, self.bias_hh)).chunk(4, dim=-1)
        i_t = torch.sigmoid(a_i + self.weight_ci * c_prev)
        f_t = torch.sigmoid(a_f + self.weight_cf * c_prev)
        g_t = torch.tanh(a_g)
        c_t = f_t * c_prev + i_t * g_t
        o_t = torch.sigmoid(a_o + self.weight_co * c_t)
        h_t = o_t * torch.tanh(c_t)
        return (h_t, c_t), {"i": i_t, "f": f_t, "g": g_t, "o": o_t, "c": c_t, "h": h_t}
