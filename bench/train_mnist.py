"""Train the course CNN on MNIST with chapter 6's recipe (or a candidate), beside Keras' example.

    python bench/train_mnist.py                                  # the recipe, seeds 0 1 2
    python bench/train_mnist.py --candidates A B --seeds 0 1     # screen candidates (validation)
    python bench/train_mnist.py --seeds 2 3 4 5 6 --test --keras-example   # confirm, side by side

Each run trains ``utils.train_seed_cnn`` on chapter 6's 55,000 training images, with its 5,000
validation images measured after every epoch (the split of ``utils.split_validation``, seed 0,
for every run; the seed varies the initial weights, the batch order, the shifts and the dropout
masks). Without ``--candidates`` it trains the recipe of ``utils.training.RECIPE`` (chapter 6's);
with it, the candidate recipes of ``CANDIDATES`` below, written down in ``bench/README.md`` before
they were run. The test set is read only with ``--test``: while candidates are screened, only
validation figures are printed.

``--keras-example`` also trains Keras' own ``mnist_convnet`` example as its authors wrote it
(two 3x3 convolutions of 32 and 64 filters, max pooling, dropout 0.5, a softmax layer; Adam with
its default learning rate, batches of 128, 15 epochs), rewritten here, on the same images with
the same validation after every epoch and the same thread settings, once after each run of the
course's recipe with the same seed (the two alternate, so that a machine slower for a while slows
both alike), and prints the ratio of their training times seed by seed, and its median.
Printed per run: validation accuracy after the last epoch (and test accuracy with
``--test``), the wall time of the whole training (building, compiling, every epoch and every
validation pass), the median seconds per epoch, and the first epoch whose validation accuracy
reaches 99 %; then means and spreads, and the process's peak memory (``ru_maxrss``). Timings
depend on what else runs on the machine: run it on an idle one.
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

# The candidate recipes screened for chapter 6's shorter training (bench/README.md). Each is the
# options of utils.train_seed_cnn that differ from the control A, today's recipe cut to 8 epochs.
CONTROL = {
    "epochs": 8,
    "learning_rate": 0.05,
    "warmup_epochs": 0,
    "nesterov": False,
    "dropout": 0.5,
    "shift_interpolation": "bilinear",
}
CANDIDATES = {
    "A": {},
    "B": {"learning_rate": 0.1, "warmup_epochs": 1, "nesterov": True},
    "C": {"learning_rate": 0.05, "warmup_epochs": 1, "nesterov": True},
    "D": {"learning_rate": 0.1, "warmup_epochs": 1, "nesterov": True, "dropout": 0.25},
    "E": {
        "learning_rate": 0.1,
        "warmup_epochs": 1,
        "nesterov": True,
        "shift_interpolation": "nearest",
    },
}

KERAS_EXAMPLE = {"epochs": 15, "batch_size": 128}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def epochs_to(history, threshold: float, key: str = "val_accuracy") -> int | None:
    for epoch, value in enumerate(history.history[key], start=1):
        if value >= threshold:
            return epoch
    return None


def train_keras_example(x_train, y_train, validation_data, seed: int, verbose: bool = True):
    """Keras' ``mnist_convnet`` example (its architecture, optimizer, batch size and epochs)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    logger = utils.training.EpochLogger(verbose=verbose)
    history = model.fit(
        x_train,
        y_train,
        batch_size=KERAS_EXAMPLE["batch_size"],
        epochs=KERAS_EXAMPLE["epochs"],
        validation_data=validation_data,
        callbacks=[logger],
        verbose=0,
    )
    history.epoch_seconds = logger.epoch_seconds
    return model, history


def summarise(label: str, results: list[dict]) -> None:
    print(f"=== {label}")
    keys = ["validation_accuracy"] + (["test_accuracy"] if "test_accuracy" in results[0] else [])
    for key in keys:
        values = [r[key] for r in results]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(
            f"{key.replace('_', ' ')} over {len(values)} seeds: "
            f"mean {statistics.mean(values):.2%}, std {spread:.2%}, "
            f"min {min(values):.2%}, max {max(values):.2%}"
        )
    print("training time per seed: " + ", ".join(f"{r['seconds']:.0f} s" for r in results))
    print(f"mean training time: {statistics.mean(r['seconds'] for r in results):.0f} s")
    print(
        "seconds per epoch (median per seed): "
        + ", ".join(f"{r['seconds_per_epoch']:.1f}" for r in results)
    )
    print(
        "first epoch with validation accuracy >= 99 %: "
        + ", ".join(str(r["epochs_to_99"]) for r in results),
        flush=True,
    )


def run_one(label, train, seed, data, test):
    """Train once with ``train`` and ``seed``; print and return the figures of the run."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    print(f"--- {label}, seed {seed}", flush=True)
    start = time.perf_counter()
    model, history = train(x_train, y_train, (x_val, y_val), seed)
    seconds = time.perf_counter() - start
    result = {
        "seed": seed,
        "validation_accuracy": history.history["val_accuracy"][-1],
        "seconds": seconds,
        "seconds_per_epoch": statistics.median(history.epoch_seconds),
        "epochs_to_99": epochs_to(history, 0.99),
    }
    line = f"validation accuracy {result['validation_accuracy']:.2%} (last epoch)"
    if test:
        predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
        result["test_accuracy"] = float(np.mean(predicted == y_test))
        line += f", test accuracy {result['test_accuracy']:.2%}"
    print(
        f"{label}, seed {seed}: {line}, trained in {seconds:.0f} s, "
        f"{result['seconds_per_epoch']:.1f} s/epoch (median), validation >= 99 % after "
        f"epoch {result['epochs_to_99']}",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--candidates", nargs="+", choices=sorted(CANDIDATES), help="screen these candidates"
    )
    parser.add_argument(
        "--epochs", type=int, help="change the number of epochs (of the recipe or the candidates)"
    )
    parser.add_argument("--test", action="store_true", help="evaluate the test set once per run")
    parser.add_argument(
        "--keras-example", action="store_true", help="then train Keras' mnist_convnet example"
    )
    parser.add_argument(
        "--inter-op-threads",
        type=int,
        default=1,
        help="TensorFlow's inter-op threads, for both networks (0: TensorFlow's default)",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per epoch")
    args = parser.parse_args()

    import tensorflow as tf

    if args.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, inter-op threads {args.inter_op_threads or 'default'}"
    )
    (x_full, y_full), (x_test, y_test) = utils.load_mnist()
    (x_train, y_train), (x_val, y_val) = utils.split_validation(
        utils.prepare_images(x_full), y_full, n_val=5000, seed=0
    )
    data = ((x_train, y_train), (x_val, y_val), (utils.prepare_images(x_test), y_test))

    if args.candidates:
        recipes = {name: {**CONTROL, **CANDIDATES[name]} for name in args.candidates}
    else:
        recipes = {"recipe": {}}
    trainers = {}
    for name, options in recipes.items():
        if args.epochs:
            options = {**options, "epochs": args.epochs}
        print(f"{name}: {options or utils.training.RECIPE}", flush=True)

        def train(x, y, validation, seed, options=options):
            return utils.train_seed_cnn(
                x, y, validation, seed=seed, verbose=not args.quiet, **options
            )

        trainers[name] = train
    if args.keras_example:
        print(f"Keras example: {KERAS_EXAMPLE}, Adam, after each run of ours", flush=True)

        def train_theirs(x, y, validation, seed):
            return train_keras_example(x, y, validation, seed, verbose=not args.quiet)

        trainers["Keras example"] = train_theirs

    # One seed at a time, every trainer in turn: the runs of the course's recipe and of the
    # example alternate, so that a machine slower for a while slows both alike.
    results = {name: [] for name in trainers}
    for seed in args.seeds:
        for name, train in trainers.items():
            results[name].append(run_one(name, train, seed, data, args.test))
    for name, runs in results.items():
        summarise(name, runs)
    if args.keras_example:
        ours = results[next(iter(recipes))]
        theirs = results["Keras example"]
        ratios = [a["seconds"] / b["seconds"] for a, b in zip(ours, theirs, strict=True)]
        print(
            "=== side by side: training time of the course's recipe / Keras' example, seed by "
            "seed: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"; median {statistics.median(ratios):.2f} "
            f"({statistics.median(a['seconds'] for a in ours):.0f} s against "
            f"{statistics.median(b['seconds'] for b in theirs):.0f} s, medians)"
        )
    print(f"peak memory (ru_maxrss): {peak_memory_mb():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
