"""Notebook set-up shared by every chapter (called from each chapter's setup cell)."""

from __future__ import annotations

import numpy as np

FIGURE_STYLE = {
    # An opaque white background keeps figures legible on the book's light and dark themes.
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "figure.dpi": 72,
    "figure.figsize": (6.0, 4.0),
    "font.size": 10,
    "animation.embed_limit": 8.0,  # MB
}


SEED: int | None = None
"""The seed :func:`setup_notebook` was last given (``None`` before it runs), so that a check can
rebuild something exactly as the chapter built it, whatever seed the learner chose."""


def setup_notebook(seed: int = 0) -> None:
    """Seed every random generator and set the course's figure and print style.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        With it, a chapter's numbers come out the same on every run on the same machine.

    Notes
    -----
    It also asks TensorFlow to run one operation at a time, each on all the cores
    (:func:`one_operation_at_a_time`): on a 2-core machine the course CNN trains about a fifth
    faster, with the same results bit for bit (``bench/README.md``).
    """
    import keras
    import matplotlib.pyplot as plt  # imported first, so that the style below wins

    global SEED
    one_operation_at_a_time()
    keras.utils.set_random_seed(seed)
    SEED = seed
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    plt.rcParams.update(FIGURE_STYLE)
    _sharp_figures()


def one_operation_at_a_time() -> bool:
    """Give TensorFlow one inter-op thread: one operation at a time, each on all the cores.

    TensorFlow keeps two pools of threads: *intra-op* threads share the work of one operation (a
    convolution over a batch), *inter-op* threads run independent operations side by side. By
    default both pools have as many threads as the machine has cores, so on a small machine the
    two compete for the same cores. With one inter-op thread, the course CNN trains about a fifth
    faster on 2 cores, and computes exactly the same numbers (``bench/README.md``).

    The setting can only be made before TensorFlow runs its first operation; afterwards this does
    nothing. Returns whether TensorFlow now runs with one inter-op thread.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has started: its thread pools are fixed
        pass
    return tf.config.threading.get_inter_op_parallelism_threads() == 1


def _sharp_figures() -> None:
    """In a notebook, send each figure as a PNG with twice the pixels in each direction, shown at
    its usual size (IPython's "retina" format stores the display size in the output's metadata,
    which Jupyter, Colab and the HTML book honour): sharp on high-density screens."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: no inline figures to set up
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")
