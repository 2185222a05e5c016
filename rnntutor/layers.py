"""Recurrent layers over whole sequences, stacked from the cells: ``RNN``, ``GRU``, ``LSTM``.

Signature, return values and state dict keys are those of ``torch.nn.RNN``, ``torch.nn.GRU`` and
``torch.nn.LSTM`` (``weight_ih_l0``, ``weight_hh_l1_reverse``, ...), so a state dict loads both ways. The
equations are the cells' own: each layer and direction owns one cell, whose parameters the layer
registers under torch's names, and runs its ``step`` along the sequence.

With ``forward(..., return_gates=True)`` a layer also records every gate at every step of every layer and
direction, for the heat-maps of the chapters; see :meth:`Recurrent.forward`.

A ``torch.nn.utils.rnn.PackedSequence`` is accepted as torch accepts it (chapter "Real batches"): step
``t`` runs only the sequences that are longer than ``t``, so each sequence's final state is the state at
its own last step, and the reverse direction starts there.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .cells import (
    ChoGRUCell,
    GRUCell,
    LSTMCell,
    RNNCell,
    _check_state,
    _expect_like,
    _expect_tensor,
)
from .validate import check_positive_ints

__all__ = ["GRU", "LSTM", "RNN", "Recurrent"]


class Recurrent(nn.Module):
    """What :class:`RNN`, :class:`GRU` and :class:`LSTM` share: ``num_layers`` layers, each running one
    ``cell_class`` per direction along the sequence (the other arguments are those of :class:`RNN`)."""

    def __init__(
        self,
        cell_class: type,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        dropout: float,
        bidirectional: bool,
        device,
        dtype,
        **cell_options,
    ):
        super().__init__()
        owner = type(self).__name__
        check_positive_ints(owner, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{owner}: dropout acts between layers, so dropout={dropout} does nothing with num_layers=1",
                stacklevel=3,
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self._suffixes = ("", "_reverse") if bidirectional else ("",)
        self._cells = []  # (cell, "l0" or "l0_reverse"); a plain list: the layer registers the parameters
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * len(self._suffixes)
            for suffix in self._suffixes:
                cell = cell_class(layer_input, hidden_size, bias, device=device, dtype=dtype, **cell_options)
                key = f"l{layer}{suffix}"
                for name, parameter in cell.named_parameters():
                    self.register_parameter(f"{name}_{key}", parameter)  # weight_ih_l0, bias_hh_l1_reverse
                self._cells.append((cell, key))

    def forward(self, input: torch.Tensor, hx=None, return_gates: bool = False):
        """Run the stack over a whole sequence.

        Parameters
        ----------
        input : Tensor or PackedSequence
            (seq, batch, input_size), or (batch, seq, input_size) with ``batch_first``, or unbatched
            (seq, input_size); or a ``PackedSequence`` (from ``pack_padded_sequence``), for which
            ``output`` is a ``PackedSequence`` too, as in torch.
        hx : Tensor or tuple of Tensor, optional
            Initial state: (num_layers * directions, batch, hidden_size), or (num_layers * directions,
            hidden_size) for unbatched input; a tuple ``(h_0, c_0)`` of two such tensors for the LSTM.
            Zeros when omitted. Row ``layer * directions + direction`` belongs to that layer and direction.
        return_gates : bool
            Also return every gate at every step, see below.

        Returns
        -------
        output, h_n
            As torch: ``output`` holds ``h_t`` of the last layer at every step, (seq, batch, directions *
            hidden_size) (batch first with ``batch_first``; no batch axis for unbatched input), forward
            direction first; ``h_n`` (``(h_n, c_n)`` for the LSTM) is the last state, laid out like ``hx``.
        gates : dict, only with ``return_gates=True``
            Then the return value is ``((output, h_n), gates)``. ``gates`` has one entry per layer and
            direction, keyed ``"l0"``, ``"l0_reverse"``, ``"l1"``, ...; each maps the symbols of the cell's
            equations to a tensor (seq, batch, hidden_size), laid out like ``output`` (batch first with
            ``batch_first``, no batch axis for unbatched input). Step ``t`` is always input position ``t``,
            also in the reverse direction, which computes it after position ``t + 1``. The symbols are
            ``"a", "h"`` (RNN), ``"r", "z", "n", "h"`` (GRU) and ``"i", "f", "g", "o", "c", "h"`` (LSTM).
            The tensors are part of the autograd graph: detach them, or run under ``torch.no_grad()``.
            Not offered for packed input.
        """
        if isinstance(input, PackedSequence):
            if return_gates:
                raise ValueError(f"{type(self).__name__}: return_gates=True needs a padded tensor as input, "
                                 "got a PackedSequence; unpack it with pad_packed_sequence first")
            return self._forward_packed(input, hx)
        x, state, unbatched = self._prepare(input, hx)
        x, final, gates = self._stack(
            x, state, lambda cell, x, start, reverse: self._scan(cell, x, start, reverse, return_gates)
        )
        final = tuple(s.squeeze(1) for s in final) if unbatched else final
        result = (self._layout(x, unbatched), final if len(final) > 1 else final[0])
        if not return_gates:
            return result
        layout = {key: {name: self._layout(value, unbatched) for name, value in record.items()}
                  for key, record in gates.items()}
        return result, layout

    def _forward_packed(self, packed: PackedSequence, hx):
        """:meth:`forward` on a ``PackedSequence``: the stack runs on ``packed.data``, in which step ``t``
        holds the ``batch_sizes[t]`` sequences longer than ``t`` (longest first, ``sorted_indices``); the
        final states return in the user's order (``unsorted_indices``)."""
        x, state = self._prepare_packed(packed, hx)
        sizes = packed.batch_sizes.tolist()
        x, final, _ = self._stack(
            x, state, lambda cell, x, start, reverse: (*self._scan_packed(cell, x, sizes, start, reverse), None)
        )
        if packed.unsorted_indices is not None:
            final = tuple(s.index_select(1, packed.unsorted_indices) for s in final)
        output = PackedSequence(x, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return output, final if len(final) > 1 else final[0]

    def _stack(self, x: torch.Tensor, state: tuple[torch.Tensor, ...], scan):
        """Run every layer and direction: ``scan(cell, x, start, reverse)`` runs one cell along ``x`` and
        returns its outputs, last state and recorded gates; layer ``l`` reads the outputs of layer ``l - 1``
        (both directions side by side), with dropout between layers when training. Returns the last layer's
        outputs, the final states stacked ``(rows, batch, hidden)`` and the gates keyed ``"l0"``, ..."""
        directions = len(self._suffixes)
        last_states, gates = [], {}
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, training=True)
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                start = tuple(s[index] for s in state)
                output, last, recorded = scan(self._cell(index), x, start, direction == 1)
                outputs.append(output)
                last_states.append(last)
                if recorded is not None:
                    gates[self._cells[index][1]] = recorded
            x = torch.cat(outputs, dim=-1) if directions > 1 else outputs[0]
        return x, tuple(torch.stack(s) for s in zip(*last_states, strict=True)), gates

    @staticmethod
    def _scan_packed(cell, x: torch.Tensor, sizes: list[int], state: tuple[torch.Tensor, ...], reverse: bool):
        """Run ``cell`` along packed data ``x`` (sum(sizes), features), whose step ``t`` holds the first
        ``sizes[t]`` sequences of the batch; the others keep their state. Forward, a finished sequence keeps
        its last state; in reverse, a sequence keeps its initial state until its own last step. Return the
        outputs ``h_t``, packed like ``x``, and the last state of every sequence."""
        inputs = cell.project_input(x).split(sizes)  # W_ih x_t + b_ih for every t, in one matrix product
        times = range(len(inputs) - 1, -1, -1) if reverse else range(len(inputs))
        outputs = [None] * len(inputs)
        for t in times:
            running = tuple(s[: sizes[t]] for s in state)
            new_state, step_gates = cell.step(inputs[t], running if len(running) > 1 else running[0])
            new_state = new_state if isinstance(new_state, tuple) else (new_state,)
            state = tuple(torch.cat((new, old[sizes[t]:])) for new, old in zip(new_state, state, strict=True))
            outputs[t] = step_gates["h"]
        return torch.cat(outputs), state

    def extra_repr(self) -> str:
        """The arguments that differ from their defaults, as torch prints them."""
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text

    def _cell(self, index: int):
        """The cell of layer ``index // directions`` and direction ``index % directions``, holding this
        module's current parameters (``load_state_dict(assign=True)``, for one, replaces them)."""
        cell, key = self._cells[index]
        for name in [name for name, value in cell._parameters.items() if value is not None]:
            cell._parameters[name] = getattr(self, f"{name}_{key}")
        return cell

    def reset_parameters(self) -> None:
        """Draw every parameter again from U(-1/sqrt(H), 1/sqrt(H)), in torch's order."""
        for index in range(len(self._cells)):
            self._cell(index).reset_parameters()

    @staticmethod
    def _scan(cell, x: torch.Tensor, state: tuple[torch.Tensor, ...], reverse: bool, record: bool):
        """Run ``cell`` along ``x`` (seq, batch, features) from ``state``; return the outputs ``h_t``
        (seq, batch, hidden), the last state and, if ``record``, the gates stacked over time."""
        inputs = cell.project_input(x).unbind(0)  # W_ih x_t + b_ih for every t, in one matrix product
        times = range(len(inputs) - 1, -1, -1) if reverse else range(len(inputs))
        state = state if len(state) > 1 else state[0]
        outputs, history = [None] * len(inputs), [None] * len(inputs)
        for t in times:
            state, step_gates = cell.step(inputs[t], state)
            outputs[t] = step_gates["h"]
            history[t] = step_gates
        recorded = {name: torch.stack([g[name] for g in history]) for name in history[0]} if record else None
        return torch.stack(outputs), (state if isinstance(state, tuple) else (state,)), recorded

    def _layout(self, value: torch.Tensor, unbatched: bool) -> torch.Tensor:
        """From (seq, batch, ...) to the user's layout: batch first, or no batch axis."""
        if unbatched:
            return value.squeeze(1)
        return value.transpose(0, 1) if self.batch_first else value

    def _prepare(self, input, hx):
        """Check ``input`` and ``hx``; return the input as (seq, batch, features), the initial state as a
        tuple of (num_layers * directions, batch, hidden) tensors, and whether the input was unbatched."""
        owner = type(self).__name__
        x = _expect_tensor(owner, "input", input)
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(batch, seq, {0})" if self.batch_first else "(seq, batch, {0})"
            raise ValueError(
                f"{owner}: expected input of shape {layout.format(self.input_size)} or unbatched "
                f"(seq, {self.input_size}), got a {x.dim()}-D tensor of shape {tuple(x.shape)}"
            )
        _expect_like(owner, "input", x, self.weight_ih_l0)
        unbatched = x.dim() == 2
        x = x.unsqueeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        if x.shape[0] == 0:
            shape = tuple(input.shape)
            raise ValueError(f"{owner}: expected at least one time step, got input of shape {shape}")
        rows = self.num_layers * len(self._suffixes)
        names = self._cells[0][0].state_names
        if hx is None:
            return x, tuple(x.new_zeros(rows, x.shape[1], self.hidden_size) for _ in names), unbatched
        shape = (rows, self.hidden_size) if unbatched else (rows, x.shape[1], self.hidden_size)
        state = _check_state(owner, hx, names, shape, self.weight_ih_l0)
        return x, tuple(s.unsqueeze(1) for s in state) if unbatched else state, unbatched


    def _prepare_packed(self, packed: PackedSequence, hx):
        """Check ``packed`` and ``hx``; return the packed data and the initial state as a tuple of
        (num_layers * directions, batch, hidden) tensors, its batch in the packed order."""
        owner = type(self).__name__
        x = packed.data
        if x.dim() != 2 or x.shape[-1] != self.input_size:
            raise ValueError(f"{owner}: expected a PackedSequence of {self.input_size} features, got data of "
                             f"shape {tuple(x.shape)}")
        _expect_like(owner, "input", x, self.weight_ih_l0)
        rows, batch = self.num_layers * len(self._suffixes), int(packed.batch_sizes[0])
        names = self._cells[0][0].state_names
        if hx is None:
            return x, tuple(x.new_zeros(rows, batch, self.hidden_size) for _ in names)
        state = _check_state(owner, hx, names, (rows, batch, self.hidden_size), self.weight_ih_l0)
        if packed.sorted_indices is None:
            return x, state
        return x, tuple(s.index_select(1, packed.sorted_indices) for s in state)


class RNN(Recurrent):
    r"""Elman recurrent layers over a sequence (chapter "The recurrent neuron"), equal to ``torch.nn.RNN``.

    Each layer and direction runs :class:`~rnntutor.cells.RNNCell`:
    ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu); layer ``l > 0`` reads the outputs of
    layer ``l - 1`` (both directions, concatenated), with dropout between layers while training.

    Call it as ``output, h_n = rnn(input, hx=None)``; :meth:`Recurrent.forward` tells more, and how to
    record the gates.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t``.
    num_layers : int
        Layers stacked on top of each other.
    nonlinearity : {"tanh", "relu"}
        The activation of ``h_t``.
    bias : bool
        Whether the biases ``b_ih`` and ``b_hh`` exist.
    batch_first : bool
        Input and output are (batch, seq, features) instead of (seq, batch, features).
    dropout : float
        Probability of zeroing an output of every layer but the last, while training.
    bidirectional : bool
        Also run each layer from the last step to the first, with its own parameters (``..._reverse``).
    device, dtype
        Where and in which precision the parameters live.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        device=None,
        dtype=None,
    ):
        self.nonlinearity = nonlinearity
        super().__init__(RNNCell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype, nonlinearity=nonlinearity)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")


class GRU(Recurrent):
    r"""Gated recurrent unit layers over a sequence (chapter "The GRU"), equal to ``torch.nn.GRU``.

    Each layer and direction runs :class:`~rnntutor.cells.GRUCell` (torch's reset-after form), or
    :class:`~rnntutor.cells.ChoGRUCell` (Cho et al.'s reset-before form) with ``reset_after=False``.
    Layer ``l > 0`` reads the outputs of layer ``l - 1``, with dropout between layers while training.

    Call it as ``output, h_n = gru(input, hx=None)``; :meth:`Recurrent.forward` tells more, and how to
    record the gates.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t``.
    num_layers : int
        Layers stacked on top of each other.
    bias : bool
        Whether the biases ``b_ih`` and ``b_hh`` exist.
    batch_first : bool
        Input and output are (batch, seq, features) instead of (seq, batch, features).
    dropout : float
        Probability of zeroing an output of every layer but the last, while training.
    bidirectional : bool
        Also run each layer from the last step to the first, with its own parameters (``..._reverse``).
    reset_after : bool
        ``True`` (torch): ``n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))``; ``False`` (Cho et
        al.): ``n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)``. Same parameters either way.
    device, dtype
        Where and in which precision the parameters live.
    """

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
        reset_after: bool = True,
        device=None,
        dtype=None,
    ):
        self.reset_after = reset_after
        super().__init__(GRUCell if reset_after else ChoGRUCell, input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.reset_after else ", reset_after=False")


class LSTM(Recurrent):
    r"""Long short-term memory layers over a sequence (chapter "The LSTM"), equal to ``torch.nn.LSTM``.

    Each layer and direction runs :class:`~rnntutor.cells.LSTMCell`; layer ``l > 0`` reads the outputs
    ``h_t`` of layer ``l - 1``, with dropout between layers while training. The state is ``(h, c)``.

    Call it as ``output, (h_n, c_n) = lstm(input, hx=None)`` with ``hx = (h_0, c_0)``;
    :meth:`Recurrent.forward` tells more, and how to record the gates. torch's ``proj_size`` is not offered.

    Parameters
    ----------
    input_size, hidden_size : int
        Features of ``x_t`` and of ``h_t`` and ``c_t``.
    num_layers : int
        Layers stacked on top of each other.
    bias : bool
        Whether the biases ``b_ih`` and ``b_hh`` exist.
    batch_first : bool
        Input and output are (batch, seq, features) instead of (seq, batch, features).
    dropout : float
        Probability of zeroing an output of every layer but the last, while training.
    bidirectional : bool
        Also run each layer from the last step to the first, with its own parameters (``..._reverse``).
    device, dtype
        Where and in which precision the parameters live.
    """

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
        device=None,
        dtype=None,
    ):
        super().__init__(LSTMCell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
