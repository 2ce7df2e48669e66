"""utils.models: the course CNN, its layer table against Keras, and the trained model file."""

import itertools
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import utils
from utils.models import LAYER_NAMES, SEED_CNN_PATH, save_seed_cnn

CONFIGS = [
    dict(padding=padding, dense_units=dense_units, dropout=dropout)
    for padding, dense_units, dropout in itertools.product(
        ["valid", "same"], [1024, 128], [0.5, 0.0]
    )
] + [
    dict(input_shape=(32, 32, 3), num_classes=7),
    dict(input_shape=(32, 32, 3), padding="same", filters=(16, 8), kernel_size=3),
    dict(input_shape=(20, 26, 2), kernel_size=3, dense_units=50),
    dict(input_shape=(15, 15, 1), padding="same", kernel_size=7, dropout=0.2),
    dict(input_shape=(12, 12, 1), kernel_size=2, filters=(4, 4)),
]


def _keras_mult_adds(layer):
    """Products per image, from the layer's own kernel and output shapes (independent of ours)."""
    if isinstance(layer, keras.layers.Conv2D):
        _, height, width, _ = layer.output.shape
        return int(np.prod(layer.kernel.shape)) * height * width
    if isinstance(layer, keras.layers.Dense):
        return int(np.prod(layer.kernel.shape))
    return 0


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_layer_table_matches_keras(config):
    model = utils.build_seed_cnn(**config)
    rows = utils.layer_table(**config)
    assert [row.name for row in rows] == [layer.name for layer in model.layers]
    for row, layer in zip(rows, model.layers, strict=True):
        assert row.kind == type(layer).__name__
        assert row.output_shape == tuple(layer.output.shape[1:]), layer.name
        assert row.params == layer.count_params(), layer.name
        assert row.mult_adds == _keras_mult_adds(layer), layer.name
    assert sum(row.params for row in rows) == model.count_params()


def test_padding_changes_the_flatten_size_and_the_dense_parameters():
    valid = {row.name: row for row in utils.layer_table(padding="valid")}
    same = {row.name: row for row in utils.layer_table(padding="same")}
    assert valid["flatten"].output_shape == (4 * 4 * 64,)
    assert same["flatten"].output_shape == (7 * 7 * 64,)
    # The convolutions keep their weights; only the dense layer after the flatten grows.
    for name in ("conv1", "conv2", "output"):
        assert valid[name].params == same[name].params
    assert same["dense"].params - valid["dense"].params == (3136 - 1024) * 1024


def test_seed_cnn_architecture():
    model = utils.build_seed_cnn()
    assert model.name == "seed_cnn"
    assert tuple(layer.name for layer in model.layers) == LAYER_NAMES
    conv1, pool1, conv2, pool2 = (model.get_layer(name) for name in LAYER_NAMES[:4])
    for conv, filters in ((conv1, 32), (conv2, 64)):
        assert conv.filters == filters
        assert conv.kernel_size == (5, 5) and conv.strides == (1, 1)
        assert conv.padding == "valid"
        assert conv.activation is keras.activations.relu
    for pool in (pool1, pool2):
        assert pool.pool_size == (2, 2) and pool.strides == (2, 2)
    assert model.get_layer("dense").activation is keras.activations.relu
    assert model.get_layer("dropout").rate == 0.5
    assert model.get_layer("output").activation is keras.activations.softmax
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert not model.compiled, "build_seed_cnn returns an uncompiled model"


def test_seed_cnn_without_dropout_has_no_dropout_layer():
    model = utils.build_seed_cnn(dropout=0)
    assert [layer.name for layer in model.layers] == [n for n in LAYER_NAMES if n != "dropout"]


def test_seed_cnn_outputs_probabilities():
    model = utils.build_seed_cnn()
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (3, 10)
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(padding="full"), ValueError, "padding must be one of"),
        (dict(padding="VALID"), ValueError, "padding must be one of"),
        (dict(dense_units=0), ValueError, "dense_units must be >= 1"),
        (dict(dense_units=12.0), TypeError, "dense_units must be an integer"),
        (dict(dropout=1.0), ValueError, "dropout must be in"),
        (dict(dropout=-0.1), ValueError, "dropout must be in"),
        (dict(dropout="0.5"), TypeError, "dropout must be a number"),
        (dict(dropout=True), TypeError, "dropout must be a number"),
        (dict(num_classes=1), ValueError, "num_classes must be >= 2"),
        (dict(input_shape=(28, 28)), ValueError, "input_shape must be"),
        (dict(input_shape=(28, 0, 1)), ValueError, "input_shape"),
        (dict(input_shape=(10, 10, 1)), ValueError, "too small"),
        (dict(input_shape=(28, 1, 1), padding="same"), ValueError, "too small"),
        (dict(filters=(32,)), ValueError, "filters must be"),
        (dict(filters=(32, 0)), ValueError, r"filters\[1\] must be >= 1"),
        (dict(kernel_size=0), ValueError, "kernel_size must be >= 1"),
    ],
)
@pytest.mark.parametrize("function", [utils.build_seed_cnn, utils.layer_table])
def test_bad_configurations_are_rejected(function, kwargs, error, match):
    with pytest.raises(error, match=match):
        function(**kwargs)


def test_format_layer_table_lists_every_row_and_the_totals():
    rows = utils.layer_table(padding="same")
    lines = utils.format_layer_table(rows).splitlines()
    assert len(lines) == len(rows) + 2
    assert lines[-1].split() == ["total", "3,274,634", "13,883,904"]
    assert lines[3].split() == ["conv2", "Conv2D", "14x14x64", "51,264", "10,035,200"]


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 28, 28, 1), (1, 7, 9)])
def test_prepare_images_matches_tf_convert_image_dtype(shape):
    x = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    prepared = utils.prepare_images(x)
    reference = tf.image.convert_image_dtype(x.reshape(*shape[:3], 1), tf.float32).numpy()
    assert prepared.dtype == np.float32
    assert prepared.shape == shape[:3] + (1,)
    np.testing.assert_allclose(prepared, reference, rtol=1e-6, atol=0)
    assert prepared.min() >= 0 and prepared.max() <= 1


@pytest.mark.parametrize(
    "x,error,match",
    [
        (np.zeros((2, 28, 28), dtype=np.float32), TypeError, "x must be uint8"),
        (np.zeros((2, 28, 28), dtype=np.int64), TypeError, "x must be uint8"),
        (np.zeros((28, 28), dtype=np.uint8), ValueError, "x must have shape"),
        (np.zeros((2, 28, 28, 3), dtype=np.uint8), ValueError, "x must have shape"),
    ],
)
def test_prepare_images_rejects_bad_input(x, error, match):
    with pytest.raises(error, match=match):
        utils.prepare_images(x)


@pytest.mark.parametrize(
    "config", [{}, CONFIGS[1], CONFIGS[4], CONFIGS[9]], ids=["default", "no-dropout", "same", "rgb"]
)
def test_save_seed_cnn_round_trip_keeps_predictions_and_drops_the_optimizer(config, tmp_path):
    keras.utils.set_random_seed(3)
    model = utils.build_seed_cnn(**{**config, "dense_units": 32})
    model.compile(
        optimizer=keras.optimizers.SGD(momentum=0.9), loss="sparse_categorical_crossentropy"
    )
    shape = (64, *model.input_shape[1:])
    images = np.random.default_rng(2).random(shape, dtype=np.float32)
    model.fit(images, np.arange(64) % model.output_shape[-1], epochs=1, verbose=0)
    path = save_seed_cnn(model, tmp_path / "model.weights.npz")
    assert path == tmp_path / "model.weights.npz"  # no second .npz appended
    # The weights take at most 4 bytes each; the optimizer's momentum would take as much again.
    assert path.stat().st_size < 4 * model.count_params() * 1.1 + 10_000
    loaded = utils.load_seed_cnn(path, compile=False)
    assert not loaded.compiled
    assert loaded.get_config() == model.get_config()  # the same architecture, layer by layer
    for saved, read in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(read, saved)
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )
    # NumPy alone reads the weights, under the layers' names.
    with np.load(path) as archive:
        np.testing.assert_array_equal(archive["conv1.kernel"], model.get_layer("conv1").kernel)


def test_load_seed_cnn_compiles_for_evaluate_by_default(tmp_path):
    path = save_seed_cnn(utils.build_seed_cnn(dense_units=8), tmp_path / "small.weights.npz")
    model = utils.load_seed_cnn(path)
    loss, accuracy = model.evaluate(np.zeros((4, 28, 28, 1)), np.arange(4), verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1


def test_save_seed_cnn_rejects_other_models_and_paths(tmp_path):
    with pytest.raises(ValueError, match=r"path must end in \.weights\.npz"):
        save_seed_cnn(utils.build_seed_cnn(), tmp_path / "model.keras")
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="built by build_seed_cnn"):
        save_seed_cnn(other, tmp_path / "model.weights.npz")
    # The right names, but a stride that build_seed_cnn never uses.
    layers = keras.layers
    strided = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 5, strides=2, name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(64, 5, name="conv2", padding="same"),
            layers.MaxPooling2D(name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(16, name="dense"),
            layers.Dense(10, name="output"),
        ]
    )
    with pytest.raises(ValueError, match="no arguments of it rebuild"):
        save_seed_cnn(strided, tmp_path / "model.weights.npz")


def test_load_seed_cnn_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="06_training"):
        utils.load_seed_cnn(tmp_path / "nothing.weights.npz")


def _edited_copy(tmp_path, edit):
    """A weights file of a small course CNN, with ``edit`` applied to its arrays."""
    path = save_seed_cnn(utils.build_seed_cnn(dense_units=8), tmp_path / "good.weights.npz")
    with np.load(path) as archive:
        arrays = dict(archive.items())
    edit(arrays)
    edited = tmp_path / "edited.weights.npz"
    with edited.open("wb") as file:
        np.savez(file, **arrays)
    return edited


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda a: a.pop("conv2.bias"), "has no conv2.bias"),
        (lambda a: a.update({"conv1.kernel": np.zeros((3, 3, 1, 32))}), r"conv1.kernel has shape"),
        (lambda a: a.update({"extra.kernel": np.zeros(2)}), "no place for.*extra.kernel"),
        (lambda a: a.pop("format"), "not a weights file of save_seed_cnn"),
    ],
    ids=["missing", "shape", "extra", "format"],
)
def test_load_seed_cnn_says_what_is_wrong_with_a_file(tmp_path, edit, match):
    with pytest.raises(ValueError, match=match):
        utils.load_seed_cnn(_edited_copy(tmp_path, edit))


def test_load_seed_cnn_rejects_a_file_that_is_not_an_archive(tmp_path):
    path = tmp_path / "text.weights.npz"
    path.write_text("not an archive")
    with pytest.raises(ValueError, match="not a weights file of save_seed_cnn"):
        utils.load_seed_cnn(path)


def test_committed_model_is_small_and_is_the_course_cnn():
    assert SEED_CNN_PATH.is_file(), "chapter 6 saves the trained model there"
    assert SEED_CNN_PATH.stat().st_size < 5_000_000  # 1.11 M float32 weights, no optimizer state
    model = utils.load_seed_cnn()
    reference = utils.build_seed_cnn()
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.get_weights()]


def test_committed_model_reaches_the_accuracy_chapter_6_reports():
    try:
        (_, _), (x_test, y_test) = utils.load_mnist()
    except RuntimeError as error:  # offline without $CNN_COURSE_DATA
        pytest.skip(str(error))
    model = utils.load_seed_cnn()
    predictions = model.predict(utils.prepare_images(x_test), verbose=0).argmax(axis=1)
    assert np.mean(predictions == y_test) >= 0.994


def test_committed_fashion_network_is_the_course_cnn_and_reaches_chapter_9s_accuracy():
    assert utils.FASHION_CNN_PATH.is_file(), "tools/train_reference.py fashion_mnist writes it"
    assert utils.FASHION_CNN_PATH.stat().st_size < 5_000_000
    model = utils.load_seed_cnn(utils.FASHION_CNN_PATH)
    reference = utils.build_seed_cnn()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.get_weights()]
    try:
        (_, _), (x_test, y_test) = utils.load_fashion_mnist()
    except RuntimeError as error:  # offline without $CNN_COURSE_DATA
        pytest.skip(str(error))
    predictions = model.predict(utils.prepare_images(x_test), verbose=0).argmax(axis=1)
    assert np.mean(predictions == y_test) >= 0.895  # chapter 9: 89.78 %


def test_the_reference_tool_trains_with_the_recipe_and_writes_a_loadable_network(
    tmp_path, monkeypatch, capsys
):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import train_reference

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5_300, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 5_300).astype(np.uint8)
    monkeypatch.setitem(
        train_reference.LOADERS, "fashion_mnist", lambda: ((x, y), (x[:50], y[:50]))
    )
    output = tmp_path / "fashion.weights.npz"
    assert train_reference.main(["fashion_mnist", "--epochs", "2", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "epoch  2/2:" in printed and f"wrote {output}" in printed
    loaded = utils.load_seed_cnn(output)
    # The tool's run, repeated: the same split, recipe and seed give the same weights.
    (x_train, y_train), validation = utils.split_validation(
        utils.prepare_images(x), y, n_val=5000, seed=0
    )
    expected, _ = utils.train_seed_cnn(x_train, y_train, validation, epochs=2, verbose=False)
    for ours, theirs in zip(loaded.get_weights(), expected.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
