"""Training time of 10 seeds together (rnntutor.Ensemble) against 1 seed alone (rnntutor.train.fit).

The book measures every claim about training on 10 seeds; :class:`rnntutor.Ensemble` trains them in one
batched computation. The target was 10 seeds in at most twice the time of one; what this measures is how
close it comes, and what training them one after another would cost instead. Each size below trains a
``SequenceModel`` on the adding problem for ``--steps`` mini-batches (one epoch, Adam, gradients clipped
to norm 1): once as a single seed with ``fit``, once as ``--seeds`` seeds with ``Ensemble.fit``, the two
taking turns (so that a busy machine slows both alike), ``--repeats`` times after one warm-up run. It
prints, per size, the median wall-clock seconds and the median CPU seconds of this process for each, and
their ratio (seeds together / one seed alone), and the share of ten separate runs that training them together
costs (seeds together / (seeds x one seed alone)).

Why the ratio grows with the size: one seed of a small model spends most of its time in the fixed cost of
launching each operation, which the copies share; ten copies do ten times the arithmetic, and once that
arithmetic outweighs the launches (from the chapter-7 size up, as torch.profiler shows: batched matrix
products and element-wise operations on tensors ten times larger take most of the time) the time grows with
the number of copies, and no batching brings ten seeds under twice the time of one. Batching still saves the
launches: the last column shows the saving against training the seeds one after another.

On a machine shared with other work the wall-clock times grow with the load; the CPU seconds of the
process grow much less, so read both. Run it from the repository root, on one thread:

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
    """Build and train one model with seed 0, as a chapter did before Ensemble."""
    rnntutor.seed_everything(0)
    model = make_model()
    fit(model, mse, data, epochs=1, batch_size=batch_size, lr=1e-2, clip_norm=1.0, seed=0)


def many_seeds(make_model, data, batch_size: int, n: int) -> None:
    """Build and train ``n`` models with seeds 0 to n - 1 together."""
    ensemble = rnntutor.Ensemble(make_model, rnntutor.seeds(n))
    ensemble.fit(mse, data, epochs=1, batch_size=batch_size, lr=1e-2, clip_norm=1.0)


def timed(run) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(name: str, steps: int, n: int, repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds of one seed alone and of ``n`` seeds together, for the size ``name``."""
    kind, budget, length, batch_size = SIZES[name]
    make_model = partial(sweep_model, kind, hidden_size_for(kind, budget, 2, 1))
    data = adding_problem(steps * batch_size, length, rnntutor.generator(0))
    runs = {"one": partial(one_seed, make_model, data, batch_size),
            "many": partial(many_seeds, make_model, data, batch_size, n)}
    times = {key: ([], []) for key in runs}
    for repeat in range(repeats + 1):
        for key, run in runs.items():
            wall, cpu = timed(run)
            if repeat > 0:  # the first round warms up caches and allocators
                times[key][0].append(wall)
                times[key][1].append(cpu)
    return {f"{key}_{clock}": statistics.median(values[i])
            for key, values in times.items() for i, clock in enumerate(("wall", "cpu"))}


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
          f"median of {args.repeats} repeats")
    print(f"{'size':<9} {'model':<5} {'P':>6} {'T':>3} {'batch':>5}   {'1 seed wall':>11} {'cpu':>6}   "
          f"{args.seeds:>2} seeds wall {'cpu':>6}   {'ratio wall':>10} {'cpu':>5}   {'of separate runs':>16}")
    for name in args.sizes:
        kind, budget, length, batch_size = SIZES[name]
        m = measure(name, args.steps, args.seeds, args.repeats)
        print(f"{name:<9} {kind.upper():<5} {budget:>6} {length:>3} {batch_size:>5}   {m['one_wall']:10.2f}s "
              f"{m['one_cpu']:5.2f}s   {m['many_wall']:12.2f}s {m['many_cpu']:5.2f}s   "
              f"{m['many_wall'] / m['one_wall']:10.2f} {m['many_cpu'] / m['one_cpu']:5.2f}   "
              f"{m['many_cpu'] / (args.seeds * m['one_cpu']):16.0%}", flush=True)


if __name__ == "__main__":
    main()
