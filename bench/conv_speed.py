"""How fast is the course's NumPy convolution next to TensorFlow's?

    python bench/conv_speed.py                # batch 64, 30 timed calls each
    python bench/conv_speed.py --repeat 100

Times three implementations of the same convolution on the same float32 inputs, for the two
convolution layers of the course CNN (valid padding, stride 1, batch 64):

- ``utils.conv2d`` (chapter 1): one image at a time, so it is called in a loop over the batch;
- ``utils.conv2d_forward`` (chapter 8): the whole batch at once, im2col plus one matrix product,
  with NumPy's BLAS on its default number of threads and on one thread (as chapter 8 runs it);
- ``tf.nn.conv2d`` (oneDNN on CPU), from NumPy arrays to a NumPy array.

It first checks that the three agree, then prints the median time of each and its ratio to
``tf.nn.conv2d``. Record a run in ``bench/README.md`` with the machine it ran on.
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
import tensorflow as tf  # noqa: E402
from machine import cpu_model  # noqa: E402
from threadpoolctl import ThreadpoolController  # noqa: E402

import utils  # noqa: E402

# (name, images shape, kernel shape): the course CNN's two convolutions
LAYERS = [
    ("conv 1: 28x28x1 -> 24x24x32, 5x5", (28, 28, 1), (5, 5, 1, 32)),
    ("conv 2: 12x12x32 -> 8x8x64, 5x5", (12, 12, 32), (5, 5, 32, 64)),
]


def median_seconds(functions: dict, arguments: tuple, repeat: int) -> dict:
    """Median wall time of each ``function(*arguments)`` over ``repeat`` calls.

    The calls are interleaved (one of each, ``repeat`` times) after an untimed round, so that a
    change in the machine's load during the run affects every implementation alike.
    """
    times = {label: [] for label in functions}
    for round_ in range(repeat + 1):
        for label, function in functions.items():
            start = time.perf_counter()
            function(*arguments)
            if round_:
                times[label].append(time.perf_counter() - start)
    return {label: float(np.median(values)) for label, values in times.items()}


def loop_over_batch(images, kernel):
    return np.stack([utils.conv2d(image, kernel) for image in images])


def tf_conv2d(images, kernel):
    return tf.nn.conv2d(images, kernel, 1, "VALID").numpy()


BLAS = ThreadpoolController()


def conv2d_forward_one_thread(images, kernel):
    with BLAS.limit(limits=1, user_api="blas"):
        return utils.conv2d_forward(images, kernel)


IMPLEMENTATIONS = {
    "utils.conv2d, loop over the batch": loop_over_batch,
    "utils.conv2d_forward, BLAS default": utils.conv2d_forward,
    "utils.conv2d_forward, BLAS 1 thread": conv2d_forward_one_thread,
    "tf.nn.conv2d": tf_conv2d,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per implementation")
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"CPU: {cpu_model()}, {cores} cores available")
    if hasattr(os, "getloadavg"):
        print(f"load average before the run: {os.getloadavg()[0]:.2f}")
    blas = [
        f"{lib['internal_api']} {lib['version']}, {lib['num_threads']} threads"
        for lib in BLAS.info()
        if lib["user_api"] == "blas"
    ]
    print(f"numpy {np.__version__} ({'; '.join(blas)}), tensorflow {tf.__version__}")
    print(f"float32, batch {args.batch}")
    print(f"median of {args.repeat} calls each, interleaved\n")

    rng = np.random.default_rng(0)
    header = f"{'layer':<34} {'implementation':<36} {'time':>10} {'vs tf.nn.conv2d':>16}"
    print(header)
    print("-" * len(header))
    for name, image_shape, kernel_shape in LAYERS:
        images = rng.random((args.batch, *image_shape), dtype=np.float32)
        kernel = (rng.standard_normal(kernel_shape) * 0.1).astype(np.float32)
        reference = tf_conv2d(images, kernel)
        for label, function in IMPLEMENTATIONS.items():
            result = function(images, kernel)
            np.testing.assert_allclose(result, reference, rtol=1e-4, atol=1e-4, err_msg=label)
        seconds = median_seconds(IMPLEMENTATIONS, (images, kernel), args.repeat)
        for label, value in seconds.items():
            ratio = value / seconds["tf.nn.conv2d"]
            print(f"{name:<34} {label:<36} {value * 1e3:>7.2f} ms {ratio:>15.1f}x")
            name = ""
    if hasattr(os, "getloadavg"):
        print(f"\nload average after the run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
