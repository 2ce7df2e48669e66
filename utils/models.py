"""The course's CNN: building it, sizing it layer by layer, and loading the trained model.

Chapter 5 designs the network and computes its table of shapes, parameters and multiply-adds from
the formulas of Part I; chapter 6 trains it on MNIST and saves it as
``utils/models/seed_cnn_mnist.weights.npz`` (its weights, and the arguments of
:func:`build_seed_cnn` that rebuild it); later chapters load it with :func:`load_seed_cnn`.
Chapter 9 uses a second network of the same kind, trained on Fashion-MNIST with the same recipe
(``tools/train_reference.py`` writes both; :data:`REFERENCE_PATHS`).

The network, with the layer names every chapter relies on::

    conv1    Conv2D, 32 kernels 5x5, stride 1, ReLU
    pool1    MaxPooling2D 2x2, stride 2
    conv2    Conv2D, 64 kernels 5x5, stride 1, ReLU
    pool2    MaxPooling2D 2x2, stride 2
    flatten  Flatten
    dense    Dense, ReLU
    dropout  Dropout (only when ``dropout > 0``)
    output   Dense, softmax over the classes

Its input is a batch of images ``(N, 28, 28, 1)``, float32, pixels scaled to [0, 1]
(:func:`prepare_images`). The model outputs probabilities, so the matching loss is
``keras.losses.SparseCategoricalCrossentropy()`` with ``from_logits=False`` (the default).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._validate import check_int, check_pair
from .shapes import output_size

MODELS_DIR = Path(__file__).resolve().parent / "models"
WEIGHTS_SUFFIX = ".weights.npz"
SEED_CNN_PATH = MODELS_DIR / f"seed_cnn_mnist{WEIGHTS_SUFFIX}"
"""Where chapter 6 stores the trained course CNN's weights (shipped with the package)."""
FASHION_CNN_PATH = MODELS_DIR / f"seed_cnn_fashion_mnist{WEIGHTS_SUFFIX}"
"""The course CNN trained on Fashion-MNIST with chapter 6's recipe (chapter 9; shipped too)."""
REFERENCE_PATHS = {"mnist": SEED_CNN_PATH, "fashion_mnist": FASHION_CNN_PATH}
"""The shipped reference networks, by data set (``tools/train_reference.py`` trains them)."""
WEIGHTS_FORMAT = "cnn-course seed_cnn weights 1"
"""Stored in every file of :func:`save_seed_cnn`, so that another ``.npz`` is told apart."""
_WEIGHT_KINDS = ("kernel", "bias")  # the order of a Conv2D's and a Dense's get_weights()

LAYER_NAMES = ("conv1", "pool1", "conv2", "pool2", "flatten", "dense", "dropout", "output")
"""Names of the layers of :func:`build_seed_cnn`, in order (``dropout`` only when used)."""

_PADDINGS = ("valid", "same")


def prepare_images(x) -> np.ndarray:
    """Turn MNIST-style images into the network's input (chapter 5).

    Parameters
    ----------
    x : (N, H, W) or (N, H, W, 1) array of uint8
        Images with pixels 0..255, as :func:`utils.load_mnist` returns them.

    Returns
    -------
    (N, H, W, 1) float32 array
        Pixels divided by 255, so in [0, 1], with a trailing channel axis.

    Examples
    --------
    >>> x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    >>> prepare_images(x).shape
    (1, 2, 2, 1)
    >>> prepare_images(x)[0, :, :, 0].tolist()
    [[0.0, 1.0], [0.20000000298023224, 0.4000000059604645]]
    """
    array = np.asarray(x)
    if array.dtype != np.uint8:
        raise TypeError(
            f"x must be uint8 images with pixels 0..255 (as load_mnist returns them), "
            f"got dtype {array.dtype}"
        )
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(
            f"x must have shape (N, H, W) or (N, H, W, 1), got {array.ndim} dimensions "
            f"{array.shape}"
        )
    return (array.astype(np.float32) / np.float32(255.0))[..., np.newaxis]


def _check_config(padding, dense_units, dropout, num_classes, input_shape, filters, kernel_size):
    if padding not in _PADDINGS:
        raise ValueError(f"padding must be one of {_PADDINGS}, got {padding!r}")
    dense_units = check_int("dense_units", dense_units, 1)
    num_classes = check_int("num_classes", num_classes, 2)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating)):
        raise TypeError(f"dropout must be a number in [0, 1), got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    input_shape = (
        check_int("input_shape[0]", input_shape[0], 1),
        check_int("input_shape[1]", input_shape[1], 1),
        check_int("input_shape[2]", input_shape[2], 1),
    )
    filters = check_pair("filters", filters, 1)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    return padding, dense_units, float(dropout), num_classes, input_shape, filters, kernel_size


def build_seed_cnn(
    padding: str = "valid",
    dense_units: int = 1024,
    dropout: float = 0.5,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, int] = (32, 64),
    kernel_size: int = 5,
    name: str = "seed_cnn",
):
    """Build the course's CNN, uncompiled (chapter 5).

    ``conv1 -> pool1 -> conv2 -> pool2 -> flatten -> dense -> dropout -> output``: two
    convolutions with ReLU, each followed by 2x2 max pooling with stride 2, then a dense ReLU
    layer, dropout, and a softmax over ``num_classes``. Layer names are those of
    :data:`LAYER_NAMES`; the ``dropout`` layer is left out when ``dropout == 0``.

    Parameters
    ----------
    padding : {"valid", "same"}
        Padding of both convolutions. ``"valid"`` (no padding) shrinks 28x28 images to a
        4x4x64 = 1,024-value flatten layer (1.11 M parameters with the defaults); ``"same"``
        keeps 7x7x64 = 3,136 values (3.27 M parameters) and trains 2 to 3 times slower.
    dense_units : int
        Width of the hidden dense layer.
    dropout : float
        Fraction of the dense layer's outputs zeroed at random during training, in [0, 1).
    num_classes : int
        Number of classes of the softmax output.
    input_shape : (height, width, channels)
        Shape of one image.
    filters : (int, int)
        Number of kernels of ``conv1`` and ``conv2``.
    kernel_size : int
        Height and width of the kernels of both convolutions.
    name : str
        Name of the model.

    Returns
    -------
    keras.Sequential
        Uncompiled: choose the optimizer when you compile it. It maps images
        ``(N, *input_shape)`` (float32 in [0, 1], see :func:`prepare_images`) to class
        probabilities ``(N, num_classes)``; compile it with a loss that expects probabilities
        (``from_logits=False``, the Keras default).

    Examples
    --------
    >>> model = build_seed_cnn()
    >>> [layer.name for layer in model.layers]
    ['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'dense', 'dropout', 'output']
    >>> model.count_params()
    1111946
    """
    import keras

    padding, dense_units, dropout, num_classes, input_shape, filters, kernel_size = _check_config(
        padding, dense_units, dropout, num_classes, input_shape, filters, kernel_size
    )
    _check_fits(input_shape, kernel_size, padding)
    layers = keras.layers
    stack = [
        keras.Input(shape=input_shape, name="image"),
        layers.Conv2D(filters[0], kernel_size, padding=padding, activation="relu", name="conv1"),
        layers.MaxPooling2D(pool_size=2, strides=2, name="pool1"),
        layers.Conv2D(filters[1], kernel_size, padding=padding, activation="relu", name="conv2"),
        layers.MaxPooling2D(pool_size=2, strides=2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(dense_units, activation="relu", name="dense"),
    ]
    if dropout > 0:
        stack.append(layers.Dropout(dropout, name="dropout"))
    stack.append(layers.Dense(num_classes, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


def _check_fits(input_shape, kernel_size, padding):
    """Raise if the image is too small for two convolutions and two poolings."""
    height, width, _ = input_shape
    for axis, n in (("height", height), ("width", width)):
        size = n
        for step in ("conv1", "pool1", "conv2", "pool2"):
            f = kernel_size if step.startswith("conv") else 2
            if step.startswith("conv") and padding == "same":
                continue
            if size < f:
                raise ValueError(
                    f"input_shape {input_shape} is too small: its {axis} shrinks to {size} "
                    f"before {step}, whose window is {f} wide"
                )
            size = output_size(size, f, 0, 1 if step.startswith("conv") else 2)


class LayerRow(NamedTuple):
    """One row of :func:`layer_table`."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    mult_adds: int


def layer_table(
    padding: str = "valid",
    dense_units: int = 1024,
    dropout: float = 0.5,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = (28, 28, 1),
    filters: tuple[int, int] = (32, 64),
    kernel_size: int = 5,
) -> list[LayerRow]:
    """Output shape, parameters and multiply-adds of each layer of :func:`build_seed_cnn` (ch. 5).

    Computed with the formulas of Part I, without Keras; the arguments are those of
    :func:`build_seed_cnn`, and the rows are its layers, in order.

    - Output size along each axis: ``floor((n + 2p - f) / s) + 1`` (:func:`utils.output_size`),
      where ``"same"`` padding keeps ``n`` (stride 1) and ``"valid"`` means ``p = 0``.
    - Parameters of a convolution: ``(f * f * C_in + 1) * C_out`` (one bias per kernel);
      of a dense layer: ``(n_in + 1) * n_out``; pooling, flatten and dropout have none.
    - Multiply-adds for one image: a convolution computes ``f * f * C_in`` products for each of
      its ``H_out * W_out * C_out`` outputs; a dense layer ``n_in * n_out``. Bias additions,
      activations and pooling comparisons are not counted.

    Returns
    -------
    list of LayerRow
        ``(name, kind, output_shape, params, mult_adds)``; ``output_shape`` leaves out the batch
        axis.

    Examples
    --------
    >>> for row in layer_table():
    ...     print(row.name, row.output_shape, row.params, row.mult_adds)
    conv1 (24, 24, 32) 832 460800
    pool1 (12, 12, 32) 0 0
    conv2 (8, 8, 64) 51264 3276800
    pool2 (4, 4, 64) 0 0
    flatten (1024,) 0 0
    dense (1024,) 1049600 1048576
    dropout (1024,) 0 0
    output (10,) 10250 10240
    """
    padding, dense_units, dropout, num_classes, input_shape, filters, kernel_size = _check_config(
        padding, dense_units, dropout, num_classes, input_shape, filters, kernel_size
    )
    _check_fits(input_shape, kernel_size, padding)
    height, width, channels = input_shape
    f = kernel_size
    rows = []

    def conv(name, c_out):
        nonlocal height, width, channels
        if padding == "valid":
            height, width = output_size(height, f), output_size(width, f)
        params = (f * f * channels + 1) * c_out
        mult_adds = height * width * c_out * f * f * channels
        channels = c_out
        rows.append(LayerRow(name, "Conv2D", (height, width, channels), params, mult_adds))

    def pool(name):
        nonlocal height, width
        height, width = output_size(height, 2, 0, 2), output_size(width, 2, 0, 2)
        rows.append(LayerRow(name, "MaxPooling2D", (height, width, channels), 0, 0))

    conv("conv1", filters[0])
    pool("pool1")
    conv("conv2", filters[1])
    pool("pool2")
    flat = height * width * channels
    rows.append(LayerRow("flatten", "Flatten", (flat,), 0, 0))
    rows.append(
        LayerRow("dense", "Dense", (dense_units,), (flat + 1) * dense_units, flat * dense_units)
    )
    if dropout > 0:
        rows.append(LayerRow("dropout", "Dropout", (dense_units,), 0, 0))
    rows.append(
        LayerRow(
            "output",
            "Dense",
            (num_classes,),
            (dense_units + 1) * num_classes,
            dense_units * num_classes,
        )
    )
    return rows


def format_layer_table(rows: list[LayerRow]) -> str:
    """The rows of :func:`layer_table` as an aligned text table with a total line (chapter 5).

    Examples
    --------
    >>> print(format_layer_table(layer_table(dropout=0)))
    layer    kind          output shape     parameters   multiply-adds
    conv1    Conv2D        24x24x32                832         460,800
    pool1    MaxPooling2D  12x12x32                  0               0
    conv2    Conv2D        8x8x64               51,264       3,276,800
    pool2    MaxPooling2D  4x4x64                    0               0
    flatten  Flatten       1024                      0               0
    dense    Dense         1024              1,049,600       1,048,576
    output   Dense         10                   10,250          10,240
    total                                    1,111,946       4,796,416
    """
    header = ("layer", "kind", "output shape", "parameters", "multiply-adds")
    lines = [f"{header[0]:<8} {header[1]:<13} {header[2]:<14} {header[3]:>12} {header[4]:>15}"]
    for row in rows:
        shape = "x".join(str(n) for n in row.output_shape)
        lines.append(
            f"{row.name:<8} {row.kind:<13} {shape:<14} {row.params:>12,} {row.mult_adds:>15,}"
        )
    total_params = sum(row.params for row in rows)
    total_mult_adds = sum(row.mult_adds for row in rows)
    lines.append(f"{'total':<8} {'':<13} {'':<14} {total_params:>12,} {total_mult_adds:>15,}")
    return "\n".join(lines)


def seed_cnn_config(model) -> dict:
    """The :func:`build_seed_cnn` arguments that rebuild ``model``'s architecture (chapter 6).

    Read from the model's layers, then checked: the network these arguments build must have the
    same layers, in order, with weights of the same shapes, or ``model`` was not built by
    :func:`build_seed_cnn`.

    Parameters
    ----------
    model : keras.Model
        A model built by :func:`build_seed_cnn` (trained or not).

    Returns
    -------
    dict
        ``padding``, ``dense_units``, ``dropout``, ``num_classes``, ``input_shape``,
        ``filters``, ``kernel_size`` and ``name``, as JSON-friendly values.

    Examples
    --------
    >>> config = seed_cnn_config(build_seed_cnn(dense_units=64, dropout=0))
    >>> config["dense_units"], config["dropout"], config["input_shape"]
    (64, 0.0, [28, 28, 1])
    """
    names = [layer.name for layer in getattr(model, "layers", [])]
    expected = [name for name in LAYER_NAMES if name != "dropout"]
    if [name for name in names if name != "dropout"] != expected:
        raise ValueError(f"model must be built by build_seed_cnn; its layers are {names}")
    layers = {layer.name: layer for layer in model.layers}
    conv1, conv2 = layers["conv1"], layers["conv2"]
    config = {
        "padding": conv1.padding,
        "dense_units": int(layers["dense"].units),
        "dropout": float(layers["dropout"].rate) if "dropout" in layers else 0.0,
        "num_classes": int(layers["output"].units),
        "input_shape": [int(n) for n in model.input_shape[1:]],
        "filters": [int(conv1.filters), int(conv2.filters)],
        "kernel_size": int(conv1.kernel_size[0]),
        "name": model.name,
    }
    rebuilt = build_seed_cnn(**config)
    if [layer.name for layer in rebuilt.layers] != names or [
        tuple(w.shape) for w in rebuilt.weights
    ] != [tuple(w.shape) for w in model.weights]:
        raise ValueError(
            f"model must be built by build_seed_cnn; no arguments of it rebuild {names} "
            f"with weights of shapes {[tuple(w.shape) for w in model.weights]}"
        )
    return config


def save_seed_cnn(model, path) -> Path:
    """Save a trained course CNN's weights and the arguments that rebuild it (chapter 6).

    The file is a NumPy ``.npz`` archive: one array per weight, named ``layer.kernel`` and
    ``layer.bias`` (``conv1.kernel`` is ``(5, 5, 1, 32)``), and ``config``, the JSON of the
    :func:`build_seed_cnn` arguments (:func:`seed_cnn_config`). It holds no optimizer state and
    nothing that depends on the Keras version that wrote it, so every Keras 3 the course supports
    loads it (:func:`load_seed_cnn`), and NumPy alone can read the weights.

    Parameters
    ----------
    model : keras.Model
        A model built by :func:`build_seed_cnn` (trained or not).
    path : str or Path
        Destination, ending in ``.weights.npz``.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    if not path.name.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"path must end in {WEIGHTS_SUFFIX}, got {path.name!r}")
    config = seed_cnn_config(model)
    arrays = {"format": np.array(WEIGHTS_FORMAT), "config": np.array(json.dumps(config))}
    for layer in model.layers:
        values = layer.get_weights()
        if values:
            for kind, value in zip(_WEIGHT_KINDS, values, strict=True):
                arrays[f"{layer.name}.{kind}"] = np.asarray(value, dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:  # an open file: np.savez would append .npz to the name
        np.savez_compressed(file, **arrays)
    return path


def load_seed_cnn(path=None, compile: bool = True):
    """Load the course CNN trained in chapter 6 on MNIST.

    The architecture is built by :func:`build_seed_cnn`, the course's own code, with the
    arguments stored in the file; the trained weights are then set layer by layer. So the network
    loads with every Keras 3 and NumPy the course supports, whichever version saved it.

    Parameters
    ----------
    path : str or Path, optional
        A ``.weights.npz`` file written by :func:`save_seed_cnn`; defaults to the network shipped
        with the package, ``utils/models/seed_cnn_mnist.weights.npz`` (:data:`SEED_CNN_PATH`).
        The Fashion-MNIST network of chapter 9 is :data:`FASHION_CNN_PATH`.
    compile : bool
        If True (the default), the model comes back compiled with the sparse cross-entropy
        loss and an ``"accuracy"`` metric, so that ``model.evaluate`` works at once. The file
        holds no optimizer state; compile it again with an optimizer of your choice to train it
        further.

    Returns
    -------
    keras.Sequential
        The network of :func:`build_seed_cnn` (``padding="valid"``, 1.11 M parameters) with
        its trained weights. Feed it :func:`prepare_images` of uint8 images; it returns class
        probabilities ``(N, 10)``.
    """
    path = SEED_CNN_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no trained model at {path}; chapter 6 (book/06_training.ipynb) trains and saves it"
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path.name} is not a weights file of save_seed_cnn (a NumPy .npz archive): {error}"
        ) from error
    with archive:
        stored = dict(archive.items())
    if str(stored.pop("format", "")) != WEIGHTS_FORMAT:
        raise ValueError(
            f"{path.name} is not a weights file of save_seed_cnn (no {WEIGHTS_FORMAT!r})"
        )
    model = build_seed_cnn(**json.loads(str(stored.pop("config"))))
    for layer in model.layers:
        if not layer.weights:
            continue
        values = []
        for kind, variable in zip(_WEIGHT_KINDS, layer.weights, strict=True):
            key = f"{layer.name}.{kind}"
            if key not in stored:
                raise ValueError(f"{path.name} has no {key}")
            value = stored.pop(key)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{path.name}: {key} has shape {value.shape}, the network needs "
                    f"{tuple(variable.shape)}"
                )
            values.append(value)
        layer.set_weights(values)
    if stored:
        raise ValueError(
            f"{path.name} holds weights the network has no place for: {sorted(stored)}"
        )
    if compile:
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
