"""utils.load_mnist / load_fashion_mnist: the local folder, Keras' download, and clear errors."""

import keras
import numpy as np
import pytest

import utils
from utils.data import DATA_ENV

LOADERS = [
    (utils.load_mnist, "mnist", "mnist.npz"),
    (utils.load_fashion_mnist, "fashion_mnist", "fashion_mnist.npz"),
]


def write_npz(path, n_train=60000, n_test=10000, **override):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    arrays.update(override)
    np.savez(path, **arrays)
    return arrays


def fail_download(*args, **kwargs):
    raise Exception("URL fetch failure on https://example.invalid/mnist.npz")


@pytest.mark.parametrize("loader,name,filename", LOADERS)
def test_reads_the_folder_named_by_the_environment_variable(
    tmp_path, monkeypatch, loader, name, filename
):
    arrays = write_npz(tmp_path / filename)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", fail_download)
    (x_train, y_train), (x_test, y_test) = loader()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.shape == (10000, 28, 28)


@pytest.mark.parametrize("loader,name,filename", LOADERS)
def test_falls_back_to_keras_when_no_folder_is_set(monkeypatch, loader, name, filename):
    monkeypatch.delenv(DATA_ENV, raising=False)
    sentinel = ((np.zeros(1), np.zeros(1)), (np.ones(1), np.ones(1)))
    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", lambda: sentinel)
    assert loader() is sentinel


@pytest.mark.parametrize("loader,name,filename", LOADERS)
def test_error_lists_what_was_tried_and_how_to_fix_it(
    tmp_path, monkeypatch, loader, name, filename
):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "missing"))
    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", fail_download)
    with pytest.raises(RuntimeError) as info:
        loader()
    message = str(info.value)
    assert f"${DATA_ENV} = {tmp_path / 'missing'}" in message
    assert "URL fetch failure" in message
    assert f"set {DATA_ENV} to a folder that holds {filename}" in message


def test_error_says_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", fail_download)
    with pytest.raises(RuntimeError, match=f"\\${DATA_ENV} is not set"):
        utils.load_mnist()


def test_rejects_a_file_with_wrong_arrays(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=np.zeros(3))
    with pytest.raises(ValueError, match="lacks the arrays"):
        utils.load_mnist(tmp_path)
    write_npz(tmp_path / "mnist.npz", n_train=10)
    with pytest.raises(ValueError, match=r"x_train has shape \(10, 28, 28\)"):
        utils.load_mnist(tmp_path)


def test_real_mnist_when_available():
    """The full data set, from the local folder or Keras' download, has the published counts."""
    try:
        (x_train, y_train), (x_test, y_test) = utils.load_mnist()
    except RuntimeError as error:
        pytest.skip(f"MNIST is not reachable here: {error}")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert round(float(x_train.mean()) / 255, 4) == 0.1307


def damaged_copies(folder, filename):
    """A text file, random bytes, and a real archive cut short, each named ``filename``."""
    whole = folder / "whole.npz"
    write_npz(whole, n_train=60000)
    data = whole.read_bytes()
    return {
        "text": b"placeholder, not the data set\n",
        "random bytes": np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "truncated": data[: len(data) // 2],
    }


@pytest.mark.parametrize("loader,name,filename", LOADERS)
def test_a_damaged_file_gets_the_same_clear_error_as_a_missing_one(
    tmp_path, monkeypatch, loader, name, filename
):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    monkeypatch.setattr(getattr(keras.datasets, name), "load_data", fail_download)
    for kind, content in damaged_copies(tmp_path, filename).items():
        (tmp_path / filename).write_bytes(content)
        with pytest.raises(RuntimeError) as info:
            loader()
        message = str(info.value)
        assert f"Could not load {name}. Tried:" in message, kind
        assert f"{tmp_path / filename} is damaged: not a readable .npz archive" in message, kind
        assert f"Fix: replace {tmp_path / filename} with an intact copy" in message, kind
        assert "URL fetch failure" in message, kind
        assert "pickle" not in message, kind  # not NumPy's advice to unpickle the file


def test_a_damaged_file_falls_back_to_keras_with_a_warning(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"placeholder")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    sentinel = ((np.zeros(1), np.zeros(1)), (np.ones(1), np.ones(1)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: sentinel)
    with pytest.warns(UserWarning, match="is damaged.*loaded Keras' download instead"):
        assert utils.load_mnist() is sentinel
