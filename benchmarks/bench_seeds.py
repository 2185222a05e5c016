"""Training time of 10 seeds together (rnntutor.Ensemble) against 1 seed alone (rnntutor.train.fit).

The book measures every claim about training on 10 seeds; :class:`rnntutor.Ensemble` trains them in one
batched computation. The target is 10 seeds in at most twice the time of one. Each size below trains a
``SequenceModel`` on the adding problem for ``--steps`` mini-batches (one epoch, Adam, gradients clipped
to norm 1) three ways: one seed with ``fit``; ``--seeds`` seeds with ``Ensemble.fit``; and, as the yardstick,
one seed with ``fit`` on batches ``--seeds`` times larger ("one wide"), which does the same element-wise
arithmetic as the copies in one model. The three take turns (so that a busy machine slows all alike),
``--repeats`` times after one warm-up run. It prints the median CPU seconds of this process for each,
the ratios to one seed, and the share of ten separate runs that training the seeds together costs.

How to read it: one seed of a small model spends most of its time in the fixed cost of launching each
operation, which the copies share; ten copies do ten times the arithmetic. Where that arithmetic is small
(the "small" size) ten seeds cost well under twice one. From the chapter-7 size up it outweighs the launches
and the time grows with the copies; the yardstick shows how far: one model that does the copies' arithmetic
in one batch takes about as long as the ten copies, so no way of batching the copies in eager torch brings
them under it. Compiling the cell's step with ``torch.compile`` does not either: on one x86-64 core it
took 15 s to compile, and a forward and backward pass over one chapter-7 batch of ten copies was no faster
(6.8 ms against 6.3 ms eager): the step is already a few large element-wise operations and two small
matrix products. Nor does writing the backward pass through time by hand (one autograd node for the whole
sequence of the ten GRUs instead of one per operation, the weight gradients in one product over all
steps, equal to autograd's to 1e-15 in float64): 0.26 s for ten seeds at the chapter-7 size, as with
autograd; in its profile the matrix products took about 75 ms of that, the element-wise operations about
60 ms, and launching the operations from Python most of the rest.

Run it from the repository root, on one thread:

    python benchmarks/bench_seeds.py --threads 1
    python benchmarks/bench_seeds.py --threads 1 --repeats 9 --sizes chapter7
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import torch

import rnntutor
from rnntutor.memory import hidden_size_for, sweep_model
from rnntutor.tasks import adding_problem
from rnntutor.train import fit

#: name -> (kind, parameter budget, sequence length, batch size). "chapter7" is one (model, length) of the
#: lag sweep of chapter 7 as the chapter runs it; the others are a smaller and a larger model.
SIZES = {
    "small": ("rnn", 300, 10, 16),
    "chapter7": ("gru", 4400, 20, 32),
    "larger": ("lstm", 20000, 30, 32),
}


def mse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.mse_loss(prediction.squeeze(-1), target)


def one_seed(make_model, data, batch_size: int) -> None:
    """Build and train one model with seed 0, as a chapter did before Ensemble (with a larger batch, the
    yardstick)."""
    rnntutor.seed_everything(0)
    model = make_model()
    fit(model, mse, data, epochs=1, batch_size=batch_size, lr=1e-2, clip_norm=1.0, seed=0)


def many_seeds(make_model, data, batch_size: int, n: int) -> None:
    """Build and train ``n`` models with seeds 0 to n - 1 together."""
    ensemble = rnntutor.Ensemble(make_model, rnntutor.seeds(n))
    ensemble.fit(mse, data, epochs=1, batch_size=batch_size, lr=1e-2, clip_norm=1.0)


def cpu_seconds(run) -> float:
    """CPU seconds of this process during ``run()`` (on a shared machine they grow less with the load than
    wall-clock seconds)."""
    start = time.process_time()
    run()
    return time.process_time() - start


def measure(name: str, steps: int, n: int, repeats: int) -> dict[str, float]:
    """Median CPU seconds of one seed alone, of ``n`` seeds together and of one seed on ``n`` times larger
    batches, for the size ``name``."""
    kind, budget, length, batch_size = SIZES[name]
    make_model = partial(sweep_model, kind, hidden_size_for(kind, budget, 2, 1))
    data = adding_problem(steps * batch_size, length, rnntutor.generator(0))
    wide = adding_problem(steps * batch_size * n, length, rnntutor.generator(0))
    runs = {"one": partial(one_seed, make_model, data, batch_size),
            "many": partial(many_seeds, make_model, data, batch_size, n),
            "wide": partial(one_seed, make_model, wide, batch_size * n)}
    times = {key: [] for key in runs}
    for repeat in range(repeats + 1):
        for key, run in runs.items():
            seconds = cpu_seconds(run)
            if repeat > 0:  # the first round warms up caches and allocators
                times[key].append(seconds)
    return {key: statistics.median(values) for key, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="measurements of each, after a warm-up (default 5)")
    parser.add_argument("--steps", type=int, default=30, help="mini-batches per training run (default 30)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds trained together (default 10)")
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=list(SIZES),
                        help="which sizes to measure (default all)")
    args = parser.parse_args(argv)
    for name, value in (("threads", args.threads), ("repeats", args.repeats), ("steps", args.steps),
                        ("seeds", args.seeds)):
        if value < 1:
            parser.error(f"--{name} must be at least 1, got {value}")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.steps} steps, "
          f"median CPU seconds of {args.repeats} repeats")
    print(f"{'size':<9} {'model':<5} {'P':>6} {'T':>3} {'batch':>5}   {'1 seed':>7} {f'{args.seeds} seeds':>9} "
          f"{'1 wide':>7}   {'ratio':>6} {'wide ratio':>10}   {'of separate runs':>16}")
    for name in args.sizes:
        kind, budget, length, batch_size = SIZES[name]
        m = measure(name, args.steps, args.seeds, args.repeats)
        one, many, wide = m["one"], m["many"], m["wide"]
        print(f"{name:<9} {kind.upper():<5} {budget:>6} {length:>3} {batch_size:>5}   {one:6.2f}s {many:8.2f}s "
              f"{wide:6.2f}s   {many / one:6.2f} {wide / one:10.2f}   {many / (args.seeds * one):16.0%}", flush=True)


if __name__ == "__main__":
    main()
