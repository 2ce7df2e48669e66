"""Train a reference network of the course with chapter 6's recipe and write it into the package.

    python tools/train_reference.py fashion_mnist   # chapter 9's network
    python tools/train_reference.py mnist           # chapter 6: as CNN_COURSE_SAVE_MODEL=1

The course ships two trained networks (``utils.models.REFERENCE_PATHS``): the course CNN trained
on MNIST (``seed_cnn_mnist.weights.npz``, chapters 6, 7 and 9) and the same network trained on
Fashion-MNIST (``seed_cnn_fashion_mnist.weights.npz``, chapter 9). Both come from
``utils.train_seed_cnn`` with its defaults, chapter 6's recipe (``utils.training.RECIPE``): the
55,000/5,000 split of ``utils.split_validation`` (seed 0), random shifts of up to 10 %, SGD with
Nesterov momentum 0.9, batches of 128, a learning rate warmed up to 0.1 over the first epoch then
decayed to 0 along a cosine, dropout 0.25, 8 epochs, seed 0. For MNIST that is
exactly chapter 6's run (the chapter checks that its ``train`` equals ``utils.train_seed_cnn``).

The script prints one line per epoch, then the validation and test accuracy of the network it
wrote. The chapters' stored outputs come from the committed files: after replacing one, re-run
the chapters that load it (``tools/execute_notebooks.py``) and commit them with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import utils  # noqa: E402
from utils.models import REFERENCE_PATHS  # noqa: E402

LOADERS = {"mnist": utils.load_mnist, "fashion_mnist": utils.load_fashion_mnist}


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=sorted(REFERENCE_PATHS))
    parser.add_argument(
        "--output", type=Path, help="where to write it (default: the file the package ships)"
    )
    parser.add_argument(
        "--epochs", type=int, default=utils.training.RECIPE["epochs"], help="default: the recipe's"
    )
    args = parser.parse_args(arguments)
    output = args.output or REFERENCE_PATHS[args.dataset]
    utils.notebook.one_operation_at_a_time()  # as in chapter 6: same numbers, faster

    (x_train_full, y_train_full), (x_test, y_test) = LOADERS[args.dataset]()
    (x_train, y_train), (x_val, y_val) = utils.split_validation(
        utils.prepare_images(x_train_full), y_train_full, n_val=5000, seed=0
    )
    start = time.perf_counter()
    model, history = utils.train_seed_cnn(
        x_train, y_train, (x_val, y_val), epochs=args.epochs, seed=0
    )
    print(f"trained in {time.perf_counter() - start:.0f} s")
    utils.save_seed_cnn(model, output)
    saved = utils.load_seed_cnn(output)
    test_accuracy = saved.evaluate(utils.prepare_images(x_test), y_test, verbose=0)[1]
    print(
        f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB): validation accuracy "
        f"{history.history['val_accuracy'][-1]:.2%}, test accuracy {test_accuracy:.2%}"
    )
    assert np.isfinite(history.history["loss"][-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
