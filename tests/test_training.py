"""utils.training: the validation split, the one-line-per-epoch logger, chapter 6's recipe."""

import configparser
import re

import keras
import numpy as np
import pytest
from conftest import ROOT

import utils
from utils.models import LAYER_NAMES
from utils.training import EpochLogger, format_logs, split_validation


@pytest.mark.parametrize("n,n_val,seed", [(10, 3, 0), (100, 1, 5), (60000, 5000, 0)])
def test_split_validation_is_a_partition_that_keeps_labels_with_images(n, n_val, seed):
    x = np.arange(n)
    y = (x * 7) % 10
    (x_train, y_train), (x_val, y_val) = split_validation(x, y, n_val=n_val, seed=seed)
    assert len(x_val) == n_val and len(x_train) == n - n_val
    assert np.array_equal(np.sort(np.concatenate([x_train, x_val])), x)
    assert np.array_equal(y_train, (x_train * 7) % 10)
    assert np.array_equal(y_val, (x_val * 7) % 10)


def test_split_validation_is_repeatable_and_depends_on_the_seed():
    x = np.arange(1000).reshape(1000, 1, 1)
    y = np.arange(1000) % 10
    first = split_validation(x, y, 100, seed=1)
    again = split_validation(x, y, 100, seed=1)
    other = split_validation(x, y, 100, seed=2)
    assert np.array_equal(first[1][0], again[1][0])
    assert not np.array_equal(first[1][0], other[1][0])
    assert first[0][0].shape == (900, 1, 1)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(n_val=0), ValueError, "n_val must be >= 1"),
        (dict(n_val=10), ValueError, "n_val must be smaller than the 10"),
        (dict(n_val=2.0), TypeError, "n_val must be an integer"),
        (dict(n_val=2, seed=-1), ValueError, "seed must be >= 0"),
        (dict(y=np.arange(9)), ValueError, "same length"),
        (dict(y=np.zeros((10, 1))), ValueError, r"y must be \(N,\)"),
    ],
)
def test_split_validation_rejects_bad_input(kwargs, error, match):
    arguments = dict(x=np.arange(10), y=np.arange(10), n_val=3)
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        split_validation(**arguments)


def test_format_logs_rounds_and_orders_the_fields():
    logs = {"accuracy": 0.987654, "loss": 0.0123456, "val_accuracy": 0.99, "val_loss": 0.0456}
    assert format_logs(logs) == (
        "loss 0.012, accuracy 98.77% | validation loss 0.046, accuracy 99.00%"
    )
    assert format_logs(logs, loss_decimals=4).startswith("loss 0.0123,")
    assert format_logs({"loss": 1.5}) == "loss 1.500"


def test_format_logs_hides_last_digit_round_off():
    # Two CPUs whose float round-off differs in the 7th digit print the same line.
    a = {"loss": 0.0311111, "accuracy": 0.9926001, "val_loss": 0.0270001, "val_accuracy": 0.9930}
    b = {key: value * (1 + 3e-7) for key, value in a.items()}
    assert format_logs(a) == format_logs(b)


def _sanitize(text):
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def _tiny_fit(epochs=2, **logger_options):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((64, 4), dtype=np.float32)
    y = np.arange(64) % 3
    logger = EpochLogger(**logger_options)
    history = model.fit(x, y, epochs=epochs, validation_data=(x, y), callbacks=[logger], verbose=0)
    return logger, history


def test_epoch_logger_prints_one_rounded_line_per_epoch(capsys):
    logger, history = _tiny_fit()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 == len(logger.epoch_seconds)
    pattern = (
        r"epoch  (\d)/2: loss (\d\.\d{3}), accuracy (\d+\.\d\d)% \| validation loss \d\.\d{3}, "
        r"accuracy \d+\.\d\d% in \d+\.\d s"
    )
    for epoch, line in enumerate(lines):
        match = re.fullmatch(pattern, line)
        assert match, line
        assert int(match.group(1)) == epoch + 1
        assert float(match.group(2)) == round(history.history["loss"][epoch], 3)
        assert float(match.group(3)) == round(100 * history.history["accuracy"][epoch], 2)


def test_epoch_logger_durations_are_masked_by_the_nbval_sanitizer_and_nothing_else(capsys):
    _tiny_fit(epochs=1)
    line = capsys.readouterr().out.strip()
    sanitized = _sanitize(line)
    assert sanitized.endswith(" in TIME")
    assert sanitized[: -len(" in TIME")] == line[: line.rindex(" in ")]
    assert _sanitize("trained in 176 s, 8.8 s/epoch (median)") == ("trained in TIME, TIME (median)")


def test_epoch_logger_can_stay_silent(capsys):
    logger, _ = _tiny_fit(verbose=False)
    assert capsys.readouterr().out == ""
    assert len(logger.epoch_seconds) == 2


@pytest.fixture(scope="module")
def small_mnist_like():
    rng = np.random.default_rng(0)
    x = rng.random((512, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    return x, y


def _weights_equal(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights(), strict=True))


def test_train_seed_cnn_returns_the_bare_network_and_is_repeatable(small_mnist_like):
    x, y = small_mnist_like
    options = dict(epochs=2, dense_units=32, verbose=False)
    model, history = utils.train_seed_cnn(x, y, (x[:64], y[:64]), seed=1, **options)
    again, _ = utils.train_seed_cnn(x, y, (x[:64], y[:64]), seed=1, **options)
    other, _ = utils.train_seed_cnn(x, y, (x[:64], y[:64]), seed=2, **options)
    assert tuple(layer.name for layer in model.layers) == LAYER_NAMES  # no augmentation layer
    assert model.compiled
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.epoch_seconds) == 2
    assert _weights_equal(model, again)
    assert not _weights_equal(model, other)


def test_train_seed_cnn_without_warm_up_is_keras_sgd_with_cosine_decay(small_mnist_like):
    x, y = small_mnist_like
    options = dict(learning_rate=0.05, warmup_epochs=0, nesterov=False, dropout=0.5)
    model, _ = utils.train_seed_cnn(
        x, y, epochs=2, shift=0, dense_units=32, seed=4, verbose=False, **options
    )
    keras.utils.set_random_seed(4)
    reference = utils.build_seed_cnn(dense_units=32, dropout=0.5)
    steps = 2 * 4  # 512 images in batches of 128, two epochs
    reference.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=keras.optimizers.schedules.CosineDecay(0.05, decay_steps=steps),
            momentum=0.9,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),
    )
    reference.fit(x, y, batch_size=128, epochs=2, verbose=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(epochs=0), ValueError, "epochs must be >= 1"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1"),
        (dict(shift=1.0), ValueError, "shift must be in"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(padding="full"), ValueError, "padding must be one of"),
        (dict(epochs=2, warmup_epochs=2), ValueError, "warmup_epochs must be in"),
        (dict(warmup_epochs=-1), ValueError, "warmup_epochs must be in"),
        (dict(shift_interpolation="cubic"), ValueError, "shift_interpolation must be"),
    ],
)
def test_train_seed_cnn_rejects_bad_options(small_mnist_like, kwargs, error, match):
    x, y = small_mnist_like
    with pytest.raises(error, match=match):
        utils.train_seed_cnn(x, y, verbose=False, **kwargs)


@pytest.mark.parametrize("warmup_epochs", [0, 1, 0.5])
def test_learning_rate_schedule_is_a_linear_warm_up_then_a_cosine_to_zero(warmup_epochs):
    peak, epochs, per_epoch = 0.1, 4, 50
    schedule = utils.training.learning_rate_schedule(peak, epochs, per_epoch, warmup_epochs)
    total, warmup = epochs * per_epoch, round(warmup_epochs * per_epoch)
    steps = np.arange(total + 1)
    # The formula written out: a straight line from 0 to the peak, then half a cosine down to 0.
    decay = peak * 0.5 * (1 + np.cos(np.pi * (steps - warmup) / (total - warmup)))
    expected = np.where(steps < warmup, peak * steps / max(warmup, 1), decay)
    rates = np.array([float(schedule(int(step))) for step in steps])
    np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=1e-7)
    assert rates.max() == pytest.approx(peak) and rates[-1] == pytest.approx(0, abs=1e-7)


def test_train_seed_cnn_by_default_is_chapter_6s_recipe_in_keras(small_mnist_like):
    # Chapter 6's recipe written out: SGD with Nesterov momentum 0.9, a one-epoch linear warm-up
    # to 0.1 then a cosine to 0, dropout 0.25 (shifts left out, to compare weights).
    x, y = small_mnist_like
    model, _ = utils.train_seed_cnn(x, y, epochs=2, shift=0, dense_units=32, seed=5, verbose=False)
    keras.utils.set_random_seed(5)
    reference = utils.build_seed_cnn(dense_units=32, dropout=0.25)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=4, warmup_target=0.1, warmup_steps=4
    )  # 512 images in batches of 128: 4 steps of warm-up, then 4 of decay
    reference.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True),
        loss=keras.losses.SparseCategoricalCrossentropy(),
    )
    reference.fit(x, y, batch_size=128, epochs=2, verbose=0)
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_whole_pixel_shifts_move_an_image_by_whole_pixels():
    # RandomTranslation with nearest interpolation, as train_seed_cnn builds it: every shifted
    # image is the original moved by whole pixels (no blend of neighbours).
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 10:18, 12:16] = np.linspace(0.2, 1, 8)[:, None, None]
    shift = keras.layers.RandomTranslation(
        0.1, 0.1, fill_mode="constant", interpolation="nearest", seed=3
    )
    for _ in range(20):
        moved = keras.ops.convert_to_numpy(shift(image, training=True))[0, :, :, 0]
        ink = np.argwhere(moved > 0)
        dy, dx = ink.min(axis=0) - (10, 12)
        assert abs(dy) <= 3 and abs(dx) <= 3
        window = moved[10 + dy : 18 + dy, 12 + dx : 16 + dx]
        np.testing.assert_array_equal(window, image[0, 10:18, 12:16, 0])
