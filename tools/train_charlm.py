"""Train the character-level LSTM that the chapter "Generating text" loads (rnntutor/datasets/charlm.pt).

    python tools/train_charlm.py --seed 0 --output rnntutor/datasets/charlm.pt

It trains on the first 90 % of tiny Shakespeare (never on the held-out last 10 %) with torch's fused
nn.LSTM on one CPU thread (the chapter shows that the book's LSTM computes the same), and stores the
weights with the settings, the seed and the final losses. The same command on the same machine and torch
version writes the same weights; another CPU changes the last digits, not the quality.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from rnntutor.charlm import CharRNN, Vocabulary, bits_per_char, save_checkpoint, train
from rnntutor.data import load_tinyshakespeare
from rnntutor.runtime import seed_everything

SETTINGS = {"hidden_size": 256, "embedding_size": 64, "cell": "lstm", "num_layers": 1}
TRAINING = {"batch_size": 32, "seq_len": 128, "lr": 2e-3, "clip_norm": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--output", type=Path, default=Path("rnntutor/datasets/charlm.pt"))
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    if args.output.exists() and not args.overwrite:
        parser.error(f"{args.output} exists; pass --overwrite to replace it")
    torch.set_num_threads(1)
    text = load_tinyshakespeare()
    vocab = Vocabulary.from_text(text)
    train_ids = vocab.encode(load_tinyshakespeare("train"))
    held_out = vocab.encode(load_tinyshakespeare("held_out"))
    seed_everything(args.seed)
    model = CharRNN(len(vocab), **SETTINGS, fused=True)
    start = time.perf_counter()
    losses = train(model, train_ids, steps=args.steps, **TRAINING, progress=True)
    seconds = time.perf_counter() - start
    bpc = bits_per_char(model, held_out)
    last = sum(losses[-100:]) / len(losses[-100:])
    print(f"{args.steps} steps in {seconds:.0f} s; training loss (mean of the last 100 steps) {last:.3f} nats per "
          f"character; held-out {bpc:.3f} bits per character")
    save_checkpoint(args.output, model, vocab, seed=args.seed, steps=args.steps, **TRAINING,
                    train_loss_last_100=round(last, 4), held_out_bits_per_char=round(bpc, 4),
                    seconds=round(seconds), command=f"python tools/train_charlm.py --seed {args.seed} --steps "
                    f"{args.steps}", torch=str(torch.__version__))
    print(f"written to {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
