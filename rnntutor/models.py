"""Small whole models built from the package's layers: a recurrent model, a fixed-window model, a convolutional
model with global pooling, and a recurrent model with its own weights at every step.

Chapter 1 ("Why recurrent networks") sets them against each other; later chapters reuse them.
"""

from __future__ import annotations

import torch
from torch import nn

from .cells import RNNCell
from .layers import GRU, LSTM, RNN
from .validate import check_positive_ints

RECURRENT_LAYERS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}


class SequenceModel(nn.Module):
    """A recurrent layer read at its last step, then a linear head: ``y = W_hy h_T + b_y``.

    ``kind`` is ``"rnn"``, ``"gru"`` or ``"lstm"``; inputs are batch-first ``(batch, length, input_size)``
    and may have any length: the same parameters serve every step.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int, num_layers: int = 1):
        super().__init__()
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
        self.kind = kind
        self.recurrent = RECURRENT_LAYERS[kind](input_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.recurrent(x)
        return self.head(outputs[:, -1])


class WindowModel(nn.Module):
    """A feed-forward network that sees only the last ``window`` steps: ``y = MLP(x_{T-w+1}, ..., x_T)``.

    Shorter sequences are padded with zeros on the left; longer ones are cut, and what lies before the
    window is lost to the model. This is the limit of any fixed-window model, and of a convolutional model
    whose answer reads one receptive field (:class:`PooledConvModel` pools over all of them instead).
    """

    def __init__(self, window: int, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        if not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive int, got {window!r}")
        self.window = window
        self.net = nn.Sequential(
            nn.Linear(window * input_size, hidden_size), nn.Tanh(), nn.Linear(hidden_size, output_size)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(f"expected input of shape (batch, length, features), got {tuple(x.shape)}")
        missing = self.window - x.shape[1]
        last = nn.functional.pad(x, (0, 0, missing, 0)) if missing > 0 else x[:, -self.window :]
        return self.net(last.flatten(1))


class PooledConvModel(nn.Module):
    """A convolution slid along the whole sequence, then the maximum over time: ``y = W_y max_t relu(W s_t + b) + b_y``.

    ``s_t`` is the stretch of ``kernel_size`` steps that ends at step ``t``, flattened: the same small linear
    layer ``W`` (one row per filter) reads every stretch, which is what a 1-d convolution computes. The
    sequence is padded with ``kernel_size - 1`` zero steps on both sides, so the filters also see where it
    starts and ends. Every step can change the answer, whatever the length: global pooling sees every
    position. What it loses is order beyond one stretch: the pooled features say which patterns of
    ``kernel_size`` steps occurred, not where or in which order.
    """

    def __init__(self, input_size: int, channels: int, kernel_size: int, output_size: int):
        super().__init__()
        check_positive_ints(input_size=input_size, channels=channels, kernel_size=kernel_size,
                            output_size=output_size)
        self.kernel_size = kernel_size
        self.filters = nn.Linear(kernel_size * input_size, channels)
        self.head = nn.Linear(channels, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3:
            raise ValueError(f"expected input of shape (batch, length, features), got {tuple(x.shape)}")
        edge = self.kernel_size - 1
        padded = nn.functional.pad(x, (0, 0, edge, edge))                  # zero steps before and after
        stretches = padded.unfold(1, self.kernel_size, 1).transpose(2, 3)  # (batch, positions, k, features)
        features = torch.relu(self.filters(stretches.flatten(2)))          # (batch, positions, channels)
        return self.head(features.amax(dim=1))                             # each filter's largest value


class UnsharedRNN(nn.Module):
    r"""A recurrent network with its own weights at every step (chapter 3, "Parameter sharing").

    Step :math:`t` has its own cell, :math:`h_t = \tanh(W_{ih}^{(t)} x_t + b_{ih}^{(t)} + W_{hh}^{(t)} h_{t-1}
    + b_{hh}^{(t)})`, and the answer is read at the last step, :math:`y = W_{hy} h_T + b_y`, as in
    :class:`SequenceModel`. Its size grows with ``length``, and it runs only on sequences of exactly
    ``length`` steps: there are no weights for any other step. With the same weights at every step it is
    ``SequenceModel("rnn", ...)``.
    """

    def __init__(self, length: int, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        check_positive_ints(length=length)
        self.length = length
        self.input_size = input_size
        self.cells = nn.ModuleList(RNNCell(input_size, hidden_size) for _ in range(length))
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"expected input of shape (batch, {self.length}, {self.input_size}), got {got}")
        if x.shape[1] != self.length:
            raise ValueError(
                f"UnsharedRNN has weights for exactly {self.length} steps and cannot run on a sequence of "
                f"{x.shape[1]} steps; a model that shares its weights across steps (SequenceModel) runs on any length"
            )
        h = None
        for x_t, cell in zip(x.unbind(1), self.cells, strict=True):
            h = cell(x_t, h)
        return self.head(h)
