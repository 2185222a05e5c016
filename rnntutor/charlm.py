r"""A character-level language model (chapter "Generating text"): predict the next character.

The pieces, one job each:

- :class:`Vocabulary`: the characters of a text, each given an integer id (any script: one character, one
  token).
- :class:`CharRNN`: ids -> one-hot vectors or an embedding -> the book's own :class:`~rnntutor.LSTM` (or
  :class:`~rnntutor.GRU`; ``fused=True`` puts torch's ``nn.LSTM`` in its place, with the same weights) ->
  a linear layer that scores every character of the vocabulary.
- :func:`chunks` and :func:`train`: truncated backpropagation through time. The text is cut into
  ``batch_size`` long streams read side by side, ``seq_len`` characters at a time; the state at the end of
  one chunk starts the next (the network reads on), but it is detached, so gradients stop at the chunk's
  start. :func:`train_copies` trains several seeds at once, in one batched computation.
- :func:`bits_per_char`: the loss on held-out text, in bits, read the same way.
- :func:`sample`: generate text, greedily, with a temperature, and from the top k characters only.
- :func:`save_checkpoint` and :func:`load_checkpoint`: a trained model with its vocabulary, in one file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .layers import GRU, LSTM
from .runtime import seed_everything
from .train import read_numbers
from .truncated import detach_state
from .validate import check_positive_ints

__all__ = ["CharRNN", "Vocabulary", "bits_per_char", "chunks", "load_checkpoint", "next_char_probabilities",
           "sample", "save_checkpoint", "train", "train_copies"]


class Vocabulary:
    """The distinct characters of a text, sorted, each with an id: its position in :attr:`chars`."""

    def __init__(self, chars: str):
        if not isinstance(chars, str) or not chars:
            raise ValueError("a vocabulary needs at least one character")
        if len(set(chars)) != len(chars):
            raise ValueError("the characters of a vocabulary must be distinct")
        self.chars = chars
        self._ids = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The vocabulary of ``text``: every character that occurs in it, in code point order."""
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters: {self.chars[:40]!r}{'...' if len(self) > 40 else ''})"

    def encode(self, text: str) -> torch.Tensor:
        """The ids of the characters of ``text``, a 1-D int64 tensor; ``KeyError`` names an unknown one."""
        try:
            return torch.tensor([self._ids[c] for c in text], dtype=torch.long)
        except KeyError as exc:
            raise KeyError(f"the character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)


def one_hot(ids: torch.Tensor, size: int, dtype=torch.float32) -> torch.Tensor:
    """``x_t``: a vector of ``size`` zeros with a one at the character's id (works under ``vmap`` too)."""
    return (ids.unsqueeze(-1) == torch.arange(size, device=ids.device)).to(dtype)


class CharRNN(nn.Module):
    """Characters in, a score (logit) for every next character out.

    ``ids`` (batch, seq) -> input vectors ``x_t`` (one-hot when ``embedding_size`` is None, else a learned
    embedding) -> recurrent layers -> ``logits = W_hy h_t + b_y`` (batch, seq, vocab_size). ``forward(ids,
    state=None)`` returns ``(logits, state)``, the state that continues the text.

    ``cell`` is "lstm" or "gru"; ``fused=True`` uses torch's ``nn.LSTM`` / ``nn.GRU`` instead of the book's
    layers: the parameter names are the same, so a state dict loads into either.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, *, embedding_size: int | None = None,
                 cell: str = "lstm", num_layers: int = 1, fused: bool = False):
        super().__init__()
        check_positive_ints("CharRNN", vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers)
        if embedding_size is not None:
            check_positive_ints("CharRNN", embedding_size=embedding_size)
        layers = {"lstm": (LSTM, nn.LSTM), "gru": (GRU, nn.GRU)}
        if cell not in layers:
            raise ValueError(f"CharRNN: cell must be 'lstm' or 'gru', got {cell!r}")
        self.vocab_size, self.hidden_size, self.cell, self.fused = vocab_size, hidden_size, cell, fused
        self.embedding = None if embedding_size is None else nn.Embedding(vocab_size, embedding_size)
        inputs = vocab_size if embedding_size is None else embedding_size
        self.rnn = layers[cell][fused](inputs, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def config(self) -> dict:
        """The arguments that rebuild this model: ``CharRNN(**model.config())``."""
        return {"vocab_size": self.vocab_size, "hidden_size": self.hidden_size, "cell": self.cell,
                "num_layers": self.rnn.num_layers,
                "embedding_size": None if self.embedding is None else self.embedding.embedding_dim}

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """The input vectors ``x_t`` of the characters ``ids``."""
        if self.embedding is None:
            return one_hot(ids, self.vocab_size, self.head.weight.dtype)
        return self.embedding(ids)

    def forward(self, ids: torch.Tensor, state=None):
        hidden, state = self.rnn(self.inputs(ids), state)  # h_t for every t: (batch, seq, hidden)
        return self.head(hidden), state


def chunks(ids: torch.Tensor, batch_size: int, seq_len: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Cut ``ids`` into ``batch_size`` contiguous streams and yield ``(x, y)`` chunks of (batch, seq_len),
    in reading order, with ``y`` the next character of every ``x``: chunk k+1 continues chunk k in every
    row, so a state carried from one to the next has read exactly the text before it."""
    check_positive_ints("chunks", batch_size=batch_size, seq_len=seq_len)
    per_stream = (len(ids) - 1) // batch_size
    if per_stream < seq_len:
        raise ValueError(f"a text of {len(ids)} characters is too short for {batch_size} streams of at least "
                         f"{seq_len + 1} characters")
    x = ids[: per_stream * batch_size].view(batch_size, per_stream)
    y = ids[1 : per_stream * batch_size + 1].view(batch_size, per_stream)
    for start in range(0, per_stream - seq_len + 1, seq_len):
        yield x[:, start : start + seq_len], y[:, start : start + seq_len]


def _endless(ids, batch_size, seq_len):
    """(x, y, new_pass): the chunks of ``ids`` again and again; ``new_pass`` marks the first of each pass."""
    while True:
        for k, (x, y) in enumerate(chunks(ids, batch_size, seq_len)):
            yield x, y, k == 0


def _progress_bar(steps: int, progress):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc="training", unit="step", leave=True)


def train(model: CharRNN, ids: torch.Tensor, *, steps: int, batch_size: int = 32, seq_len: int = 64,
          lr: float = 3e-3, clip_norm: float = 1.0, progress: bool = False,
          callback: Callable[[int, CharRNN], None] | None = None) -> list[float]:
    """Train ``model`` for ``steps`` steps of truncated backpropagation through time on the text ``ids``.

    Each step reads one chunk of every stream (see :func:`chunks`) from the state the previous chunk left,
    detached; the loss is the mean cross-entropy of every next character of the chunk (many-to-many), and
    Adam takes a step with the gradient norm clipped to ``clip_norm``. When the streams end they start
    again from a zero state. ``callback(step, model)``, if given, runs after each step. Returns the loss of
    every step, in nats per character.
    """
    check_positive_ints("train", steps=steps)
    device = model.head.weight.device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    data, state, losses = _endless(ids.to(device), batch_size, seq_len), None, []
    bar = _progress_bar(steps, progress)
    model.train()
    for step in range(steps):
        x, y, new_pass = next(data)
        state = None if new_pass else detach_state(state)  # truncated BPTT: the state goes on, its gradient stops
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        opt.step()
        losses.append(loss.detach())  # read once at the end (see rnntutor.train.read_numbers)
        if bar is not None:
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if callback is not None:
            callback(step + 1, model)
    if bar is not None:
        bar.close()
    return read_numbers(losses)


def train_copies(make_model: Callable[[], CharRNN], seeds: Sequence[int], ids: torch.Tensor, *, steps: int,
                 batch_size: int = 32, seq_len: int = 64, lr: float = 3e-3, clip_norm: float = 1.0,
                 device=None) -> tuple[list[CharRNN], torch.Tensor]:
    """Train one copy of ``make_model()`` per seed (copy k built after ``seed_everything(seeds[k])``) as
    :func:`train` trains one, all together in one batched computation (``torch.func.vmap``).

    Every copy reads the same chunks; they differ in their initial weights. Clipping is per copy, and Adam
    acts element by element, so each copy trains as it would alone. Returns the trained copies (ordinary
    modules) and the losses, a (steps, copies) tensor in nats per character.
    """
    check_positive_ints("train_copies", steps=steps)
    models = []
    for seed in seeds:
        seed_everything(seed)
        models.append(make_model().to(device))
    template = models[0]
    params, _ = stack_module_state(models)
    params = {name: nn.Parameter(value) for name, value in params.items()}
    opt = torch.optim.Adam(params.values(), lr=lr)
    n, vocab = len(models), template.vocab_size

    def copy_loss(p, x, y, state):
        logits, state = functional_call(template, p, (x, state))
        return F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1)), state

    batched = vmap(copy_loss, in_dims=(0, None, None, 0))
    data, losses, state = _endless(ids.to(device), batch_size, seq_len), [], None
    for _ in range(steps):
        x, y, new_pass = next(data)
        if new_pass:
            layers = template.rnn.num_layers
            zeros = torch.zeros(n, layers, batch_size, template.hidden_size, device=x.device)
            state = (zeros, zeros.clone()) if template.cell == "lstm" else zeros
        loss, state = batched(params, x, y, detach_state(state))
        opt.zero_grad()
        loss.sum().backward()
        with torch.no_grad():  # clip each copy's gradient by its own norm: g * min(1, c / ||g||)
            norms = torch.stack([p.grad.reshape(n, -1).pow(2).sum(1) for p in params.values()]).sum(0).sqrt()
            scale = (clip_norm / (norms + 1e-6)).clamp(max=1.0)
            for p in params.values():
                p.grad.mul_(scale.view(-1, *[1] * (p.dim() - 1)))
        opt.step()
        losses.append(loss.detach())
    for k, model in enumerate(models):
        model.load_state_dict({name: value[k].detach().clone() for name, value in params.items()})
    return models, torch.stack(losses).cpu()


@torch.no_grad()
def bits_per_char(model: CharRNN, ids: torch.Tensor, *, streams: int = 16, seq_len: int = 256) -> float:
    """Bits per character of ``model`` on the text ``ids``: the mean of ``-log2 p(next character)``.

    The text is read as ``streams`` contiguous streams side by side, each from a zero state that is carried
    to its end, so every prediction but the first of each stream has read the text before it; the characters
    that do not fill a last whole chunk (fewer than ``streams * seq_len``) are left out.
    """
    model.eval()
    device = model.head.weight.device
    streams = max(1, min(streams, (len(ids) - 1) // 8))  # a short text: fewer, longer streams
    seq_len = max(1, min(seq_len, (len(ids) - 1) // streams))
    sums, count, state = [], 0, None
    for x, y in chunks(ids.to(device), streams, seq_len):
        logits, state = model(x, state)
        sums.append(F.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1), reduction="sum"))
        count += y.numel()
    model.train()
    return sum(read_numbers(sums)) / count / math.log(2)


def next_char_probabilities(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None):
    r"""The distribution to sample the next character from: ``softmax(logits / T)`` over the ``top_k``
    largest logits (the rest get probability 0). ``temperature`` 0 is the limit, greedy: all the probability
    on the largest logit."""
    if temperature < 0:
        raise ValueError(f"temperature must be at least 0, got {temperature}")
    if top_k is not None:
        check_positive_ints("next_char_probabilities", top_k=top_k)
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if temperature == 0:
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)
    return torch.softmax(logits / temperature, dim=-1)


@torch.no_grad()
def sample(model: CharRNN, vocab: Vocabulary, prime: str, length: int, *, temperature: float = 1.0,
           top_k: int | None = None, generator: torch.Generator | None = None) -> str:
    """Read ``prime``, then generate ``length`` characters one at a time, each drawn from
    :func:`next_char_probabilities` and fed back as the next input. ``temperature=0`` is greedy decoding.
    Returns the generated characters (without the prime)."""
    check_positive_ints("sample", length=length)
    if not prime:
        raise ValueError("sample needs a prime of at least one character to start from")
    model.eval()
    device = model.head.weight.device
    logits, state = model(vocab.encode(prime).to(device).unsqueeze(0))
    alphabet = torch.arange(model.vocab_size, device=device)  # each next input is a view of it, not a copy
    out = []
    for _ in range(length):
        p = next_char_probabilities(logits[0, -1], temperature, top_k)
        # drawn on the CPU, so that a seed gives the same text on every device: one read of p per character
        nxt = int(torch.multinomial(p.cpu(), 1, generator=generator)) if temperature > 0 else int(p.argmax())
        out.append(nxt)
        logits, state = model(alphabet[nxt:nxt + 1].unsqueeze(0), state)
    model.train()
    return vocab.decode(out)


def save_checkpoint(path, model: CharRNN, vocab: Vocabulary, **info) -> None:
    """Write ``model``'s weights, its configuration, the vocabulary and ``info`` (e.g. steps, seed, loss) to
    ``path`` (torch's format); :func:`load_checkpoint` reads it back."""
    state = {name: value.detach().cpu() for name, value in model.state_dict().items()}
    plain = (str, int, float, bool, type(None))
    info = {key: value if type(value) in plain else str(value) for key, value in info.items()}  # no subclasses
    torch.save({"format": "rnntutor-charlm-1", "config": model.config(), "chars": vocab.chars,
                "state_dict": state, "info": info}, path)


def load_checkpoint(path, *, fused: bool = False, device=None) -> tuple[CharRNN, Vocabulary, dict]:
    """Read a checkpoint written by :func:`save_checkpoint`: returns ``(model, vocabulary, info)``, the model
    built with the book's layers (or torch's, ``fused=True``) on ``device``. ``ValueError`` if the file is
    not such a checkpoint."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip or torch errors: the file is not a checkpoint
        raise ValueError(f"{path}: not a checkpoint of rnntutor's character model ({type(exc).__name__})") from None
    if not isinstance(saved, dict) or saved.get("format") != "rnntutor-charlm-1":
        raise ValueError(f"{path}: not a checkpoint of rnntutor's character model")
    model = CharRNN(**saved["config"], fused=fused)
    model.load_state_dict(saved["state_dict"])
    return model.to(device), Vocabulary(saved["chars"]), saved["info"]
