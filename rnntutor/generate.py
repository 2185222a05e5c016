"""``rnntutor generate FILE``: train a character-level LSTM on any UTF-8 text, score it, and print samples.

The text's last 10 % is held out. The network trains on the rest (truncated BPTT, see
:mod:`rnntutor.charlm`) with a progress bar that shows the loss; then the held-out bits per character of
the network are printed beside those of the unigram and of the best smoothed n-gram counted from the same
training text (:mod:`rnntutor.ngram`), and samples follow. Every character is one token, in any script.

Input the command cannot use raises :class:`TextError` (a ``ValueError``), which the command line reports
as one line with exit status 2.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from .charlm import CharRNN, Vocabulary, bits_per_char, load_checkpoint, sample, save_checkpoint, train
from .ngram import NGram, best_order

#: The fewest characters a text may have: enough to train on and to hold out a part.
MIN_CHARS = 100
HELD_OUT_FRACTION = 0.1


class TextError(ValueError):
    """A text file, checkpoint or option the generate command cannot work with."""


def read_text(path: Path) -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped); :class:`TextError` for a missing file, a
    binary file, bytes that are not UTF-8, or fewer than :data:`MIN_CHARS` characters."""
    path = Path(path)
    if not path.is_file():
        raise TextError(f"no such file: {path}")
    data = path.read_bytes()
    if b"\x00" in data[:65536]:
        raise TextError(f"{path}: a binary file (it holds NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start} "
                        f"does not decode); convert it, e.g. iconv -f latin1 -t utf-8") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise TextError(f"{path}: the file is empty" + (" (only white space)" if text else ""))
    if len(text) < MIN_CHARS:
        raise TextError(f"{path}: {len(text)} characters are too short; at least {MIN_CHARS} are needed "
                        f"(90 % to train on, 10 % held out)")
    return text


def check_options(args) -> None:
    """Refuse options that make no sense before any work is done."""
    if args.length < 1:
        raise TextError(f"--length must be a positive number of characters, got {args.length}")
    if not (args.temperature > 0 and math.isfinite(args.temperature)):
        raise TextError(f"--temperature must be a positive number, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise TextError(f"--top-k must be at least 1, got {args.top_k}")
    if args.seed < 0:
        raise TextError(f"--seed must be a non-negative int, got {args.seed}")
    if args.steps is not None and args.steps < 0:
        raise TextError(f"--steps must be at least 0, got {args.steps}")
    if args.steps == 0 and args.load is None:
        raise TextError("--steps 0 trains nothing; give at least 1 step, or --load a trained checkpoint")
    if args.hidden < 1:
        raise TextError(f"--hidden must be at least 1, got {args.hidden}")
    if args.save is not None:
        if args.save.exists() and not args.overwrite:
            raise TextError(f"--save {args.save} exists; pass --overwrite to replace it")
        if not args.save.parent.is_dir():
            raise TextError(f"--save {args.save}: no such directory {args.save.parent}")
    if args.load is not None and not args.load.is_file():
        raise TextError(f"--load {args.load}: no such file")


def _model_and_vocabulary(args, text: str) -> tuple[CharRNN, Vocabulary, int]:
    """A new model for the text's characters, or the loaded one (its vocabulary must hold the text's)."""
    if args.load is None:
        vocab = Vocabulary.from_text(text)
        torch.manual_seed(args.seed)
        model = CharRNN(len(vocab), args.hidden, embedding_size=min(64, len(vocab)), fused=not args.scratch)
        return model, vocab, 0
    model, vocab, info = load_checkpoint(args.load, fused=not args.scratch)
    unknown = sorted(set(text) - set(vocab.chars))
    if unknown:
        shown = "".join(unknown[:10])
        raise TextError(f"--load {args.load}: the checkpoint comes from another vocabulary; {len(unknown)} "
                        f"characters of {args.file} are not in it (e.g. {shown!r})")
    return model, vocab, int(info.get("steps", 0))


def generate_command(args) -> int:
    """Run the command with the parsed ``args`` (see :func:`rnntutor.cli.build_parser`)."""
    check_options(args)
    text = read_text(args.file)
    prime = text[0] if args.prime is None else args.prime
    if not prime:
        raise TextError("--prime must hold at least one character")
    torch.set_num_threads(1)
    model, vocab, trained = _model_and_vocabulary(args, text)
    unknown = sorted(set(prime) - set(vocab.chars))
    if unknown:
        raise TextError(f"--prime holds characters the model does not know: {''.join(unknown[:10])!r}")
    ids = vocab.encode(text)
    cut = min(int((1 - HELD_OUT_FRACTION) * len(ids)), len(ids) - 10)  # tiny Shakespeare: the package's split
    train_ids, held_out = ids[:cut], ids[cut:]
    print(f"{args.file}: {len(text):,} characters, {len(vocab)} distinct; training on the first {cut:,}, "
          f"holding out the last {len(held_out):,}")

    steps = (0 if args.load is not None else 500) if args.steps is None else args.steps
    if steps:
        seq_len = min(64, (cut - 1) // 2)
        batch_size = max(1, min(32, (cut - 1) // seq_len))
        torch.manual_seed(args.seed)
        losses = train(model, train_ids, steps=steps, batch_size=batch_size, seq_len=seq_len, progress=True)
        trained += steps
        tail = losses[-20:]
        print(f"trained {steps} steps ({batch_size} streams x {seq_len} characters each); training loss "
              f"{sum(tail) / len(tail):.3f} nats per character (mean of the last {len(tail)} steps)")
    if args.save is not None:
        save_checkpoint(args.save, model, vocab, steps=trained, seed=args.seed, source=str(args.file))
        print(f"checkpoint written to {args.save}")

    V = len(vocab)
    unigram = NGram(1, V).fit(train_ids.numpy())
    ngram, _ = best_order(train_ids.numpy(), held_out.numpy(), orders=range(2, 7), vocab_size=V)
    before = train_ids.numpy()
    scores = {"unigram": unigram.bits_per_char(held_out.numpy(), before=before),
              f"{ngram.order}-gram (Kneser-Ney, best order 2-6)": ngram.bits_per_char(held_out.numpy(),
                                                                                     before=before),
              f"LSTM ({trained} steps)": bits_per_char(model, held_out)}
    width = max(map(len, scores))
    print(f"\nbits per character on the held-out text (lower is better; uniform guessing: {math.log2(V):.2f})")
    for name, bpc in scores.items():
        print(f"  {name:{width}}  {bpc:.3f}")

    generator = torch.Generator().manual_seed(args.seed)
    generated = sample(model, vocab, prime, args.length, temperature=args.temperature, top_k=args.top_k,
                       generator=generator)
    top = "" if args.top_k is None else f", top {args.top_k}"
    print(f"\nsample (temperature {args.temperature:g}{top}; the prime is {prime!r}):\n{prime}{generated}")
    return 0
