"""utils.visualize against independent computations on a small, randomly initialised course CNN.

Saliency is checked against finite differences of the model's scores, Grad-CAM against the same
formula written out with TensorFlow ops on the layers one by one, occlusion against occluding
and evaluating each patch directly, activation maximisation against evaluating its result.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import utils
from utils.visualize import _gaussian_blur


def build_float64(**options):
    """The course CNN in float64, so that finite differences are accurate to ~1e-10."""
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        return utils.build_seed_cnn(**options)
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


@pytest.fixture(scope="module")
def model():
    """The course CNN, narrow and untrained (fast)."""
    keras.utils.set_random_seed(0)
    return build_float64(dense_units=16, dropout=0.5, filters=(6, 8))


@pytest.fixture(scope="module")
def logits(model):
    return utils.logits_model(model)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.random((3, 28, 28, 1)).astype(np.float32)


def test_logits_model_gives_the_scores_before_the_softmax(model, logits, images):
    z = logits.predict(images, verbose=0)
    assert z.shape == (3, 10)
    np.testing.assert_allclose(
        tf.nn.softmax(z).numpy(), model.predict(images, verbose=0), rtol=1e-5, atol=1e-7
    )
    # the same computation by hand: the dense layer's output times the output kernel plus bias
    features = keras.Model(model.inputs[0], model.get_layer("dropout").output)(images)
    kernel, bias = model.get_layer("output").get_weights()
    np.testing.assert_allclose(z, features.numpy() @ kernel + bias, rtol=1e-5, atol=1e-5)


def test_logits_model_shares_the_weights_of_the_model():
    keras.utils.set_random_seed(2)
    cnn = utils.build_seed_cnn(dense_units=8, filters=(2, 2))
    z_model = utils.logits_model(cnn)
    x = np.random.default_rng(1).random((2, 28, 28, 1)).astype(np.float32)
    before = z_model.predict(x, verbose=0)
    kernel, bias = cnn.get_layer("output").get_weights()
    cnn.get_layer("output").set_weights([kernel, bias + 1.0])
    np.testing.assert_allclose(z_model.predict(x, verbose=0), before + 1.0, rtol=1e-5, atol=1e-5)


def test_logits_model_rejects_a_layer_that_is_not_dense(model):
    with pytest.raises(TypeError, match="output_layer must name a Dense layer"):
        utils.logits_model(model, output_layer="conv2")
    with pytest.raises(ValueError, match="layer_name must be one of"):
        utils.logits_model(model, output_layer="softmax")


def finite_difference_gradient(score_model, image, class_index, eps=1e-5):
    """d score / d pixel for every pixel, by central differences (one batch per call)."""
    height, width, channels = image.shape
    n = height * width * channels
    steps = np.eye(n, dtype=np.float64).reshape(n, height, width, channels) * eps
    plus = image[np.newaxis].astype(np.float64) + steps
    minus = image[np.newaxis].astype(np.float64) - steps
    # called directly: predict() would cast the float64 batches to float32
    f_plus = score_model(plus).numpy()[:, class_index]
    f_minus = score_model(minus).numpy()[:, class_index]
    assert f_plus.dtype == np.float64
    return ((f_plus - f_minus) / (2 * eps)).reshape(height, width, channels)


@pytest.mark.parametrize("class_index", [None, 3, [7, 0, 9]])
def test_saliency_matches_finite_differences(logits, images, class_index):
    saliency = utils.saliency_map(logits, images, class_index)
    assert saliency.shape == (3, 28, 28) and saliency.dtype == np.float32
    top = logits.predict(images, verbose=0).argmax(axis=1)
    for i in range(len(images)):
        if class_index is None:
            c = top[i]
        elif isinstance(class_index, int):
            c = class_index
        else:
            c = class_index[i]
        expected = np.abs(finite_difference_gradient(logits, images[i], c)).max(axis=-1)
        scale = np.abs(expected).max()
        assert scale > 0
        np.testing.assert_allclose(saliency[i], expected, rtol=1e-5, atol=1e-6 * scale)


def test_saliency_takes_the_largest_channel_of_colour_images():
    keras.utils.set_random_seed(3)
    cnn = build_float64(dense_units=8, filters=(3, 4), input_shape=(20, 24, 3))
    z_model = utils.logits_model(cnn)
    image = np.random.default_rng(2).random((20, 24, 3)).astype(np.float32)
    saliency = utils.saliency_map(z_model, image[np.newaxis], class_index=1)
    assert saliency.shape == (1, 20, 24)
    expected = np.abs(finite_difference_gradient(z_model, image, 1)).max(axis=-1)
    np.testing.assert_allclose(saliency[0], expected, rtol=1e-5, atol=1e-6 * expected.max())


def manual_grad_cam(model, images, class_indices, layer_name="conv2"):
    """Grad-CAM written out: run the layers one at a time, differentiate the head by hand."""
    names = [layer.name for layer in model.layers]
    split = names.index(layer_name) + 1
    x = tf.convert_to_tensor(images)
    for layer in model.layers[:split]:
        x = layer(x)
    feature_maps = x
    with tf.GradientTape() as tape:
        tape.watch(feature_maps)
        h = feature_maps
        for layer in model.layers[split:-1]:
            h = layer(h, training=False)
        kernel, bias = model.layers[-1].kernel, model.layers[-1].bias
        z = tf.matmul(h, kernel) + bias  # logits: the output layer without its softmax
        picked = tf.reduce_sum(z * tf.one_hot(class_indices, z.shape[1], dtype=z.dtype))
    gradient = tape.gradient(picked, feature_maps)
    alpha = tf.reduce_mean(gradient, axis=(1, 2))
    return tf.nn.relu(tf.reduce_sum(feature_maps * alpha[:, None, None, :], axis=-1)).numpy()


@pytest.mark.parametrize("layer_name", ["conv2", "conv1"])
@pytest.mark.parametrize("class_index", [None, 4])
def test_grad_cam_equals_the_formula_computed_with_tf_ops(
    model, logits, images, layer_name, class_index
):
    cam = utils.grad_cam(logits, images, class_index, layer_name=layer_name)
    side = {"conv1": 24, "conv2": 8}[layer_name]
    assert cam.shape == (3, side, side) and cam.dtype == np.float32
    assert (cam >= 0).all()
    if class_index is None:
        indices = logits.predict(images, verbose=0).argmax(axis=1)
    else:
        indices = np.full(3, class_index)
    expected = manual_grad_cam(model, images, indices, layer_name)
    assert expected.max() > 0
    np.testing.assert_allclose(cam, expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_helpers_work_on_a_model_loaded_from_a_file(tmp_path, images):
    """A loaded Sequential model may have called its layers several times while rebuilding;
    the helpers must use the calls that feed the model's output."""
    keras.utils.set_random_seed(4)
    original = utils.build_seed_cnn(dense_units=8, filters=(3, 4))
    original.save(tmp_path / "small.keras")
    loaded = keras.saving.load_model(tmp_path / "small.keras")
    z_model = utils.logits_model(loaded)
    np.testing.assert_allclose(
        tf.nn.softmax(z_model(images)).numpy(), loaded(images).numpy(), rtol=1e-5, atol=1e-7
    )
    indices = z_model(images).numpy().argmax(axis=1)
    cam = utils.grad_cam(z_model, images, layer_name="conv2")
    np.testing.assert_allclose(
        cam, manual_grad_cam(loaded, images, indices), rtol=1e-4, atol=1e-6 * cam.max()
    )
    image, value = utils.maximize_activation(z_model, "conv1", 0, steps=2, start=images[0])
    conv1 = keras.Model(original.inputs[0], original.get_layer("conv1").output)
    assert value == pytest.approx(float(conv1(image[np.newaxis]).numpy()[..., 0].mean()), rel=1e-5)


def test_grad_cam_rejects_a_layer_without_feature_maps(logits, images):
    with pytest.raises(ValueError, match=r"\(N, h, w, K\) output"):
        utils.grad_cam(logits, images, layer_name="dense")
    with pytest.raises(ValueError, match="layer_name must be one of"):
        utils.grad_cam(logits, images, layer_name="conv3")


@pytest.mark.parametrize("patch_size,stride", [(6, 2), (5, 4), (28, 1), (3, 3), (7, 5)])
def test_occlusion_matches_direct_evaluation(model, images, patch_size, stride):
    x = images[:2]
    result = utils.occlusion_map(model, x, patch_size=patch_size, stride=stride, fill=0.25)
    assert result.shape == (2, 28, 28) and result.dtype == np.float32
    probabilities = model.predict(x, verbose=0)
    starts = sorted(set(range(0, 28 - patch_size + 1, stride)) | {28 - patch_size})
    for i in range(2):
        c = probabilities[i].argmax()
        drops = [[[] for _ in range(28)] for _ in range(28)]
        for r in starts:
            for col in starts:
                occluded = x[i].copy()
                occluded[r : r + patch_size, col : col + patch_size] = 0.25
                drop = probabilities[i, c] - model(occluded[np.newaxis])[0, c].numpy()
                for rr in range(r, r + patch_size):
                    for cc in range(col, col + patch_size):
                        drops[rr][cc].append(drop)
        expected = np.array([[np.mean(cell) for cell in row] for row in drops])
        np.testing.assert_allclose(result[i], expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("patch_size,stride", [(6, 2), (5, 4), (7, 5)])
def test_occlusion_drops_are_the_drops_of_each_square(model, images, patch_size, stride):
    x = images[:2]
    drops, rows, cols = utils.occlusion_drops(
        model, x, class_index=[3, 7], patch_size=patch_size, stride=stride, fill=0.5
    )
    starts = sorted(set(range(0, 28 - patch_size + 1, stride)) | {28 - patch_size})
    assert rows == cols == starts
    assert drops.shape == (2, len(starts), len(starts)) and drops.dtype == np.float32
    for i, c in enumerate([3, 7]):
        score = model(x[i : i + 1])[0, c].numpy()
        for a, r in enumerate(starts):
            for b, col in enumerate(starts):
                occluded = x[i].copy()
                occluded[r : r + patch_size, col : col + patch_size] = 0.5
                expected = score - model(occluded[np.newaxis])[0, c].numpy()
                np.testing.assert_allclose(drops[i, a, b], expected, rtol=1e-4, atol=1e-6)


def test_the_occlusion_map_never_exceeds_the_largest_single_square(model, images):
    drops, _, _ = utils.occlusion_drops(model, images[:4])
    pixels = utils.occlusion_map(model, images[:4])
    assert np.all(pixels.max(axis=(1, 2)) <= drops.max(axis=(1, 2)) + 1e-6)
    assert np.all(pixels.min(axis=(1, 2)) >= drops.min(axis=(1, 2)) - 1e-6)


def test_occlusion_of_a_chosen_class(model, images):
    result = utils.occlusion_map(model, images[:1], class_index=2, patch_size=28)
    occluded = np.zeros_like(images[:1])
    expected = model(images[:1])[0, 2] - model(occluded)[0, 2]
    np.testing.assert_allclose(result[0], np.full((28, 28), expected), rtol=1e-5, atol=1e-8)


def test_maximize_activation_reports_the_activation_of_its_result(model, logits):
    start = (0.5 + 0.1 * np.random.default_rng(3).standard_normal((28, 28, 1))).clip(0, 1)
    start = start.astype(np.float32)
    for layer_name in ("conv1", "conv2", None):
        if layer_name is None:
            probe = logits
        else:
            probe = keras.Model(model.inputs[0], model.get_layer(layer_name).output)

        def activations(image, probe=probe):
            out = probe(image[np.newaxis]).numpy()[0]
            return out.mean(axis=(0, 1)) if out.ndim == 3 else out

        before = activations(start)
        index = int(before.argmax())  # a unit that responds, so its gradient is not zero
        image, value = utils.maximize_activation(
            logits, layer_name, index, steps=30, l2=1e-3, blur_sigma=0.5, jitter=2, start=start
        )
        assert image.shape == (28, 28, 1) and image.dtype == np.float32
        assert image.min() >= 0 and image.max() <= 1
        assert value == pytest.approx(float(activations(image)[index]), rel=1e-5, abs=1e-6)
        assert value > before[index] + 1e-3


def test_maximize_activation_of_several_units_matches_one_at_a_time(model, logits):
    start = np.random.default_rng(6).random((28, 28, 1)).astype(np.float32)
    options = {"steps": 15, "l2": 0.01, "blur_sigma": 0.6, "start": start}
    images, values = utils.maximize_activation(logits, "conv2", [1, 4, 1], **options)
    assert images.shape == (3, 28, 28, 1) and values.shape == (3,)
    for k, index in enumerate([1, 4, 1]):
        image, value = utils.maximize_activation(logits, "conv2", index, **options)
        np.testing.assert_allclose(images[k], image, atol=1e-5)
        assert values[k] == pytest.approx(value, rel=1e-5, abs=1e-7)
    # one start image per unit
    starts = np.stack([start, 1 - start])
    options["start"] = starts
    images, values = utils.maximize_activation(logits, "conv1", [2, 3], **options)
    for k, index in enumerate([2, 3]):
        options["start"] = starts[k]
        image, value = utils.maximize_activation(logits, "conv1", index, **options)
        np.testing.assert_allclose(images[k], image, atol=1e-5)
        assert values[k] == pytest.approx(value, rel=1e-5, abs=1e-7)


def test_maximize_activation_is_reproducible_with_its_seed(logits):
    options = {"steps": 10, "jitter": 2, "blur_sigma": 0.7, "l2": 0.01}
    a, _ = utils.maximize_activation(logits, "conv2", 0, seed=1, **options)
    b, _ = utils.maximize_activation(logits, "conv2", 0, seed=1, **options)
    c, _ = utils.maximize_activation(logits, "conv2", 0, seed=2, **options)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_maximize_activation_from_a_start_image(logits):
    start = np.zeros((28, 28, 1), dtype=np.float32)
    image, _ = utils.maximize_activation(logits, None, 0, steps=1, learning_rate=0.0, start=start)
    np.testing.assert_array_equal(image, start)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_gaussian_blur_matches_a_2d_convolution(sigma):
    image = np.random.default_rng(5).random((12, 10, 2))
    radius = max(1, int(round(3 * sigma)))
    t = np.arange(-radius, radius + 1)
    kernel_2d = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))
    kernel_2d /= kernel_2d.sum()
    padded = np.pad(image, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    expected = tf.nn.depthwise_conv2d(
        padded[np.newaxis],
        np.repeat(kernel_2d[:, :, None, None], 2, axis=2),
        strides=[1, 1, 1, 1],
        padding="VALID",
    ).numpy()[0]
    np.testing.assert_allclose(_gaussian_blur(image, sigma), expected, rtol=1e-10, atol=1e-12)


def test_bad_images_and_class_indices(logits, images):
    with pytest.raises(ValueError, match=r"images must be a batch of shape \(N, H, W, C\)"):
        utils.saliency_map(logits, images[0])
    with pytest.raises(TypeError, match="images must hold numbers"):
        utils.grad_cam(logits, np.array([["a"]]))
    with pytest.raises(ValueError, match=r"class_index must be in 0..9"):
        utils.saliency_map(logits, images, class_index=10)
    with pytest.raises(ValueError, match="class_index must be None, an integer or 3 integers"):
        utils.grad_cam(logits, images, class_index=[1, 2])
    with pytest.raises(ValueError, match="class_index must be None, an integer or 3 integers"):
        utils.occlusion_map(logits, images, class_index=[0.5, 1, 2])


@pytest.mark.parametrize(
    "options,error,message",
    [
        ({"patch_size": 29}, ValueError, "patch_size must be at most the image size 28"),
        ({"patch_size": 0}, ValueError, "patch_size must be >= 1"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"stride": 1.5}, TypeError, "stride must be an integer"),
        ({"patch_size": 3, "stride": 4}, ValueError, "stride must be at most patch_size 3"),
        ({"fill": "black"}, TypeError, "fill must be a number"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ],
)
@pytest.mark.parametrize("function", [utils.occlusion_map, utils.occlusion_drops])
def test_occlusion_rejects_bad_options(model, images, options, error, message, function):
    with pytest.raises(error, match=message):
        function(model, images, **options)


@pytest.mark.parametrize(
    "args,options,error,message",
    [
        (("conv2", 64), {}, ValueError, r"index must be in 0..7"),
        ((None, 10), {}, ValueError, r"index must be in 0..9"),
        (("conv2", -1), {}, ValueError, "index must be >= 0"),
        (("pool9", 0), {}, ValueError, "layer_name must be one of"),
        (("conv1", 0), {"steps": 0}, ValueError, "steps must be >= 1"),
        (("conv1", 0), {"l2": -1.0}, ValueError, "l2 must be a number >= 0"),
        (("conv1", 0), {"learning_rate": "big"}, ValueError, "learning_rate must be a number"),
        (("conv1", 0), {"jitter": -2}, ValueError, "jitter must be >= 0"),
        (("conv1", 0), {"start": np.zeros((28, 28))}, ValueError, "start must have the model"),
        (("conv1", []), {}, ValueError, "index must be an integer or a non-empty list"),
        (("conv1", [0, 1]), {"start": np.zeros((3, 28, 28, 1))}, ValueError, "one image per"),
        (("conv1", [0, 6]), {}, ValueError, r"index must be in 0..5"),
    ],
)
def test_maximize_activation_rejects_bad_input(logits, args, options, error, message):
    with pytest.raises(error, match=message):
        utils.maximize_activation(logits, *args, **options)


# ----------------------------------------------------------------------------------------------
# principal_components, against the eigenvectors of the covariance (TensorFlow's eigh)


def test_principal_components_agree_with_the_covariances_eigenvectors():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 5.0
    projected, explained = utils.principal_components(features, k=3)
    centred = features - features.mean(axis=0)
    values, vectors = tf.linalg.eigh(tf.constant(centred.T @ centred))
    order = np.argsort(values.numpy())[::-1][:3]
    reference = centred @ vectors.numpy()[:, order]
    for j in range(3):  # a direction is defined up to its sign
        assert np.allclose(np.abs(projected[:, j]), np.abs(reference[:, j]), atol=1e-8)
    np.testing.assert_allclose(explained, values.numpy()[order] / values.numpy().sum(), rtol=1e-9)
    assert np.all(np.diff(explained) <= 0) and projected.shape == (300, 3)


def test_principal_components_are_signed_once_and_flatten_images():
    rng = np.random.default_rng(1)
    images = rng.normal(size=(50, 4, 4))
    first, _ = utils.principal_components(images)
    negated, _ = utils.principal_components(-images)  # the same directions, signed the same way
    np.testing.assert_allclose(negated, -first, atol=1e-10)
    flipped, _ = utils.principal_components(images[:, ::-1])  # same data, another pixel order
    np.testing.assert_allclose(np.abs(flipped), np.abs(first), atol=1e-10)


@pytest.mark.parametrize(
    ("features", "k", "words"),
    [
        (np.zeros((1, 3)), 2, "two examples or more"),
        (np.arange(5.0), 1, "two examples or more"),
        (np.ones((4, 3)), 2, "do not vary"),
        (np.eye(3), 4, "at most min"),
        (np.eye(3), 0, "k must be"),
    ],
)
def test_principal_components_reject_bad_input(features, k, words):
    with pytest.raises(ValueError, match=words):
        utils.principal_components(features, k=k)
