"""Loading the course's datasets (chapter 1 for MNIST, chapter 9 for Fashion-MNIST).

With internet, the loaders use Keras' own download (cached in ``~/.keras/datasets``). Without it,
point the environment variable ``CNN_COURSE_DATA`` at a folder holding ``mnist.npz`` and
``fashion_mnist.npz`` in Keras' layout (``x_train``, ``y_train``, ``x_test``, ``y_test``).
"""

from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

DATA_ENV = "CNN_COURSE_DATA"

_EXPECTED = {
    "x_train": ((60000, 28, 28), np.uint8),
    "y_train": ((60000,), np.uint8),
    "x_test": ((10000, 28, 28), np.uint8),
    "y_test": ((10000,), np.uint8),
}


class _DamagedFile(Exception):
    """The file is there but cannot be read as an ``.npz`` archive (truncated, corrupt, other)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path} is damaged: not a readable .npz archive ({reason})")
        self.path = path


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            files = set(f.files)
            arrays = {key: f[key] for key in _EXPECTED if key in files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        # NumPy reads bytes that are no archive as pickled data; its advice to unpickle them
        # would be wrong here, so say what is the matter instead.
        reason = (
            "its bytes are not an archive at all"
            if "pickle" in str(error)
            else f"{type(error).__name__}: {error}"
        )
        raise _DamagedFile(path, reason) from error
    missing = sorted(set(_EXPECTED) - files)
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}; it must hold {sorted(_EXPECTED)}")
    for key, (shape, dtype) in _EXPECTED.items():
        if arrays[key].shape != shape or arrays[key].dtype != dtype:
            raise ValueError(
                f"{path}: {key} has shape {arrays[key].shape} and dtype {arrays[key].dtype}, "
                f"expected {shape} and {np.dtype(dtype)}"
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load(filename: str, keras_name: str, data_dir):
    tried = []
    damaged = None
    folder = data_dir if data_dir is not None else os.environ.get(DATA_ENV)
    if folder:
        path = Path(folder) / filename
        source = "data_dir" if data_dir is not None else f"${DATA_ENV}"
        if path.is_file():
            try:
                return _read_npz(path)
            except _DamagedFile as error:
                damaged = error
                tried.append(f"{source} = {folder!s}, but {error}")
        else:
            tried.append(f"{source} = {folder!s}, but {path} does not exist")
    else:
        tried.append(f"${DATA_ENV} is not set")

    import keras

    try:
        data = getattr(keras.datasets, keras_name).load_data()
    except Exception as error:  # network failures surface as several exception types
        tried.append(f"keras.datasets.{keras_name}.load_data() failed: {error}")
    else:
        if damaged is not None:
            warnings.warn(
                f"{damaged}; loaded Keras' download instead. Replace the file with an intact "
                "copy, or delete it.",
                stacklevel=3,
            )
        return data
    fix = "" if damaged is None else f"replace {damaged.path} with an intact copy, or "
    raise RuntimeError(
        f"Could not load {keras_name}. Tried:\n  - "
        + "\n  - ".join(tried)
        + f"\nFix: {fix}connect to the internet so that Keras can download it, or set "
        f"{DATA_ENV} to a folder that holds {filename} (arrays x_train, y_train, x_test, y_test)."
    )


def load_mnist(data_dir=None):
    """Load MNIST: 60,000 training and 10,000 test digits.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder holding ``mnist.npz``. Defaults to ``$CNN_COURSE_DATA``; when that is unset or
        lacks the file, Keras downloads the data set.

    Returns
    -------
    ((x_train, y_train), (x_test, y_test))
        As ``keras.datasets.mnist.load_data()`` returns them: ``x`` is ``(N, 28, 28)`` uint8 with
        pixels 0..255, ``y`` is ``(N,)`` uint8 with labels 0..9.

    Raises
    ------
    RuntimeError
        When neither the folder nor the download works; the message lists what was tried.
    """
    return _load("mnist.npz", "mnist", data_dir)


def load_fashion_mnist(data_dir=None):
    """Load Fashion-MNIST (chapter 9), with the same contract as :func:`load_mnist`.

    The file looked for is ``fashion_mnist.npz``; labels are the ten classes in
    :data:`FASHION_MNIST_CLASSES`.
    """
    return _load("fashion_mnist.npz", "fashion_mnist", data_dir)


FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
