"""Training the course CNN (chapter 6): the validation split, the progress line, the recipe.

The recipe of chapter 6, which :func:`train_seed_cnn` runs and ``bench/train_mnist.py`` repeats
over seeds: 55,000 training and 5,000 validation images; random shifts of up to 10 % of the
image size (``RandomTranslation``, training only); stochastic gradient descent with Nesterov
momentum 0.9 and batches of 128; a learning rate that rises from 0 to 0.1 over the first epoch,
then falls to 0 along a cosine; dropout 0.25; 8 epochs. It was chosen among five candidates on
the validation set (``bench/README.md``).
"""

from __future__ import annotations

import time

import numpy as np

from ._validate import check_int
from .models import build_seed_cnn

RECIPE = {
    "epochs": 8,
    "batch_size": 128,
    "learning_rate": 0.1,
    "warmup_epochs": 1,
    "momentum": 0.9,
    "nesterov": True,
    "dropout": 0.25,
    "shift": 0.1,
    "shift_interpolation": "bilinear",
}
"""Defaults of :func:`train_seed_cnn`: the recipe chapter 6 explains and uses."""


def split_validation(x, y, n_val: int = 5000, seed: int = 0):
    """Hold out ``n_val`` random examples of a training set for validation (chapter 6).

    Parameters
    ----------
    x : (N, ...) array
        Training inputs.
    y : (N,) array
        Their labels.
    n_val : int
        How many examples to hold out, ``1 <= n_val < N``.
    seed : int
        Seed of the random permutation (NumPy's ``default_rng``), so the split is the same on
        every run.

    Returns
    -------
    (x_train, y_train), (x_val, y_val)
        The two disjoint parts; together they hold every example once.

    Examples
    --------
    >>> x = np.arange(10)
    >>> (x_train, y_train), (x_val, y_val) = split_validation(x, x % 2, n_val=3)
    >>> len(x_train), len(x_val), sorted(np.concatenate([x_train, x_val]).tolist()) == list(x)
    (7, 3, True)
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 0 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(
            f"x and y must have the same length N along the first axis and y must be (N,), "
            f"got x {x.shape} and y {y.shape}"
        )
    n_val = check_int("n_val", n_val, 1)
    if n_val >= len(x):
        raise ValueError(f"n_val must be smaller than the {len(x)} examples, got {n_val}")
    seed = check_int("seed", seed, 0)
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def _epoch_logger_class():
    import keras

    class EpochLogger(keras.callbacks.Callback):
        """Print one rounded line per epoch, ending with its duration as ``in 9.1 s`` (ch. 6).

        The line is :func:`format_logs` of Keras' logs: losses with ``loss_decimals``
        decimals, accuracies in per cent with two decimals, coarse enough for the same figures
        to come out on a CPU whose float round-off differs in the last digits. Use it with
        ``fit(..., verbose=0)``. Durations are kept in ``epoch_seconds``; ``verbose=False`` only
        keeps them.
        """

        def __init__(self, loss_decimals: int = 3, verbose: bool = True):
            super().__init__()
            self.loss_decimals = check_int("loss_decimals", loss_decimals, 0)
            self.verbose = bool(verbose)
            self.epoch_seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self._start
            self.epoch_seconds.append(seconds)
            if self.verbose:
                line = format_logs(logs or {}, self.loss_decimals)
                print(f"epoch {epoch + 1:>2}/{self.params['epochs']}: {line} in {seconds:.1f} s")

    return EpochLogger


def format_logs(logs: dict, loss_decimals: int = 3) -> str:
    """Keras' epoch logs as a short rounded line (chapter 6).

    Examples
    --------
    >>> format_logs({"loss": 0.123456, "accuracy": 0.98765, "val_loss": 0.05, "val_accuracy": 0.99})
    'loss 0.123, accuracy 98.77% | validation loss 0.050, accuracy 99.00%'
    """
    parts = []
    for prefix, label in (("", ""), ("val_", "validation ")):
        fields = []
        names = [key[len(prefix) :] for key in logs if key.startswith(prefix)]
        if prefix == "":
            names = [name for name in names if not name.startswith("val_")]
        if "loss" in names:
            fields.append(f"loss {logs[prefix + 'loss']:.{loss_decimals}f}")
        for name in names:
            if "accuracy" in name:
                fields.append(f"{name} {logs[prefix + name]:.2%}")
        if fields:
            parts.append(label + ", ".join(fields))
    return " | ".join(parts)


def __getattr__(name):
    # EpochLogger subclasses a Keras class; build it on first use so that importing utils
    # does not import Keras.
    if name == "EpochLogger":
        cls = _epoch_logger_class()
        globals()["EpochLogger"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def learning_rate_schedule(
    learning_rate: float, epochs: int, steps_per_epoch: int, warmup_epochs: float = 0
):
    """The learning rate of chapter 6 as a Keras schedule: a linear warm-up, then a cosine to 0.

    Over the first ``warmup_epochs`` the rate rises in a straight line from 0 to
    ``learning_rate``; over the remaining steps it falls to 0 along half a cosine. Without
    warm-up it is ``CosineDecay(learning_rate, decay_steps)`` over every step.

    Returns
    -------
    keras.optimizers.schedules.CosineDecay
        Called with a step number, it gives that step's learning rate.
    """
    import keras

    total = check_int("epochs", epochs, 1) * check_int("steps_per_epoch", steps_per_epoch, 1)
    warmup = int(round(warmup_epochs * steps_per_epoch))
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=total)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total - warmup, warmup_target=learning_rate, warmup_steps=warmup
    )


def train_seed_cnn(
    x_train,
    y_train,
    validation_data=None,
    *,
    epochs: int = RECIPE["epochs"],
    batch_size: int = RECIPE["batch_size"],
    learning_rate: float = RECIPE["learning_rate"],
    warmup_epochs: float = RECIPE["warmup_epochs"],
    momentum: float = RECIPE["momentum"],
    nesterov: bool = RECIPE["nesterov"],
    dropout: float = RECIPE["dropout"],
    shift: float = RECIPE["shift"],
    shift_interpolation: str = RECIPE["shift_interpolation"],
    seed: int = 0,
    verbose: bool = True,
    **model_options,
):
    """Train :func:`build_seed_cnn` with chapter 6's recipe; return the model and its history.

    Parameters
    ----------
    x_train : (N, 28, 28, 1) float32 array
        Training images from :func:`utils.prepare_images`.
    y_train : (N,) int array
        Their labels.
    validation_data : (x_val, y_val), optional
        Evaluated after every epoch (never trained on).
    epochs, batch_size : int
        Passes over the training set, and images per gradient step.
    learning_rate : float
        Peak learning rate of SGD: reached after the warm-up, then decayed to 0 along a cosine
        over the remaining steps.
    warmup_epochs : float
        Length of the warm-up, in epochs (``0``: none), during which the learning rate rises in
        a straight line from 0 to ``learning_rate`` (``CosineDecay``'s ``warmup_target``).
    momentum : float
        SGD momentum.
    nesterov : bool
        Nesterov's form of momentum (``SGD(nesterov=True)``).
    dropout : float
        Dropout rate of the network's ``dropout`` layer (:func:`build_seed_cnn`'s argument).
    shift : float
        Largest random shift, as a fraction of the height and width (``RandomTranslation``,
        active in training only); ``0`` trains without augmentation.
    shift_interpolation : {"bilinear", "nearest"}
        ``"nearest"`` shifts by whole pixels; ``"bilinear"`` by fractions of a pixel, blending
        neighbours.
    seed : int
        Seeds every generator (``keras.utils.set_random_seed``) before the model is built, so a
        run is repeatable on the same machine.
    verbose : bool
        Print one line per epoch (:class:`EpochLogger`).
    **model_options
        Passed to :func:`build_seed_cnn` (``padding``, ``dense_units``, ...).

    Returns
    -------
    model : keras.Sequential
        The trained network of :func:`build_seed_cnn`, without the augmentation layer,
        compiled with the loss and the accuracy metric.
    history : keras.callbacks.History
        ``history.history`` holds the per-epoch ``loss``, ``accuracy`` (and ``val_...``);
        ``history.epoch_seconds`` the duration of each epoch.
    """
    import keras

    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    seed = check_int("seed", seed, 0)
    if not 0 <= shift < 1:
        raise ValueError(f"shift must be in [0, 1), got {shift}")
    if not 0 <= warmup_epochs < epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs={epochs}), got {warmup_epochs}")
    if shift_interpolation not in ("bilinear", "nearest"):
        raise ValueError(
            f"shift_interpolation must be 'bilinear' or 'nearest', got {shift_interpolation!r}"
        )
    keras.utils.set_random_seed(seed)
    x_train = np.asarray(x_train)
    model = build_seed_cnn(input_shape=x_train.shape[1:], dropout=dropout, **model_options)
    layers = [keras.Input(shape=x_train.shape[1:])]
    if shift > 0:
        layers.append(
            keras.layers.RandomTranslation(
                shift,
                shift,
                fill_mode="constant",
                interpolation=shift_interpolation,
                name="shift",
            )
        )
    trainer = keras.Sequential([*layers, model], name="trainer")
    schedule = learning_rate_schedule(
        learning_rate, epochs, int(np.ceil(len(x_train) / batch_size)), warmup_epochs
    )
    trainer.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=schedule, momentum=momentum, nesterov=nesterov
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    logger = __getattr__("EpochLogger")(verbose=verbose)
    history = trainer.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=validation_data,
        callbacks=[logger],
        verbose=0,
    )
    history.epoch_seconds = logger.epoch_seconds
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, history
