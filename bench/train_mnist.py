"""Train the course CNN on MNIST as chapter 6 does, over several seeds, and print the figures.

    python bench/train_mnist.py                      # seeds 0 1 2, 20 epochs
    python bench/train_mnist.py --seeds 0 1 2 3 4 --epochs 12
    python bench/train_mnist.py --seeds 0 1 --epochs 10 --shift 0   # a candidate recipe

Each seed runs ``utils.train_seed_cnn`` (the recipe of book/06_training.ipynb: 55,000/5,000
training/validation split, random shifts of up to 10 %, SGD with momentum 0.9, batches of 128,
cosine-decayed learning rate from 0.05) and evaluates the test set once, at the end. The split is
the chapter's (seed 0) for every run; the seed varies the initial weights, the batch order, the
shifts and the dropout masks. ``--epochs`` and ``--shift`` change the recipe, to compare candidate
recipes on the validation set. Printed: the validation accuracy after the last epoch and the test
accuracy per seed, their means and spreads, seconds per epoch, the first epoch whose *validation*
accuracy reaches 99 %, and the peak memory of the process (``ru_maxrss``). Timings depend on what
else runs on the machine: run it on an idle one.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from machine import cpu_model  # noqa: E402

import utils  # noqa: E402


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def epochs_to(history, threshold: float, key: str = "val_accuracy") -> int | None:
    for epoch, value in enumerate(history.history[key], start=1):
        if value >= threshold:
            return epoch
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=utils.training.RECIPE["epochs"])
    parser.add_argument(
        "--shift",
        type=float,
        default=utils.training.RECIPE["shift"],
        help="largest random shift as a fraction of the image size; 0 trains without shifts",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per epoch")
    args = parser.parse_args()

    import tensorflow as tf

    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}"
    )
    recipe = {**utils.training.RECIPE, "epochs": args.epochs, "shift": args.shift}
    print(f"seeds {args.seeds}, recipe {recipe}", flush=True)

    (x_full, y_full), (x_test, y_test) = utils.load_mnist()
    (x_train, y_train), (x_val, y_val) = utils.split_validation(
        utils.prepare_images(x_full), y_full, n_val=5000, seed=0
    )
    x_test = utils.prepare_images(x_test)

    results = []
    for seed in args.seeds:
        print(f"--- seed {seed}", flush=True)
        start = time.perf_counter()
        model, history = utils.train_seed_cnn(
            x_train,
            y_train,
            (x_val, y_val),
            epochs=args.epochs,
            shift=args.shift,
            seed=seed,
            verbose=not args.quiet,
        )
        seconds = time.perf_counter() - start
        predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
        accuracy = float(np.mean(predicted == y_test))
        result = {
            "seed": seed,
            "validation_accuracy": history.history["val_accuracy"][-1],
            "test_accuracy": accuracy,
            "seconds": seconds,
            "seconds_per_epoch": statistics.median(history.epoch_seconds),
            "epochs_to_99": epochs_to(history, 0.99),
        }
        results.append(result)
        print(
            f"seed {seed}: validation accuracy {result['validation_accuracy']:.2%} (last epoch), "
            f"test accuracy {accuracy:.2%}, trained in {seconds:.0f} s, "
            f"{result['seconds_per_epoch']:.1f} s/epoch (median), validation >= 99 % "
            f"after epoch {result['epochs_to_99']}",
            flush=True,
        )

    print("=== summary")
    for key in ("validation_accuracy", "test_accuracy"):
        accuracies = [r[key] for r in results]
        spread = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        print(
            f"{key.replace('_', ' ')} over {len(results)} seeds: "
            f"mean {statistics.mean(accuracies):.2%}, std {spread:.2%}, "
            f"min {min(accuracies):.2%}, max {max(accuracies):.2%}"
        )
    print(
        "seconds per epoch (median per seed): "
        + ", ".join(f"{r['seconds_per_epoch']:.1f}" for r in results)
    )
    print("training time per seed: " + ", ".join(f"{r['seconds']:.0f} s" for r in results))
    print(
        "first epoch with validation accuracy >= 99 %: "
        + ", ".join(str(r["epochs_to_99"]) for r in results)
    )
    print(f"peak memory (ru_maxrss): {peak_memory_mb():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
