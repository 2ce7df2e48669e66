"""utils.scratch (the from-scratch layers of chapter 8) against TensorFlow's ops and gradients."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from utils import scratch

RNG = np.random.default_rng(0)


def tf_padding(padding):
    """Our padding argument in tf.nn.conv2d's terms."""
    if isinstance(padding, str):
        return padding.upper()
    rows, cols = (padding, padding) if isinstance(padding, int) else padding
    return [[0, 0], [rows, rows], [cols, cols], [0, 0]]


def tape_gradients(forward, upstream, *inputs):
    """Gradients of sum(forward(*inputs) * upstream) with respect to every input, from TF."""
    variables = [tf.Variable(x) for x in inputs]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(forward(*variables) * upstream)
    return [g.numpy() for g in tape.gradient(loss, variables)]


CONV_GRID = [
    (n, h, w, c, k, kh, kw, stride, padding)
    for n, (h, w), c, k, (kh, kw), stride, padding in itertools.product(
        [2],
        [(7, 7), (9, 6)],
        [1, 3],
        [1, 4],
        [(1, 1), (3, 3), (5, 2)],
        [1, 2, (2, 1)],
        ["valid", "same", 1, (2, 0)],
    )
    if kh <= h and kw <= w
]


@pytest.mark.parametrize("n,h,w,c,k,kh,kw,stride,padding", CONV_GRID)
def test_conv2d_forward_matches_tf_nn_conv2d(n, h, w, c, k, kh, kw, stride, padding):
    images = RNG.standard_normal((n, h, w, c)).astype("float32")
    kernel = RNG.standard_normal((kh, kw, c, k)).astype("float32")
    bias = RNG.standard_normal(k).astype("float32")
    expected = tf.nn.conv2d(images, kernel, strides=stride, padding=tf_padding(padding)) + bias
    result = scratch.conv2d_forward(images, kernel, bias, stride=stride, padding=padding)
    assert result.dtype == np.float32
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n,h,w,c,k,kh,kw,stride,padding", CONV_GRID)
def test_conv2d_backward_matches_gradient_tape(n, h, w, c, k, kh, kw, stride, padding):
    images = RNG.standard_normal((n, h, w, c))
    kernel = RNG.standard_normal((kh, kw, c, k))
    bias = RNG.standard_normal(k)
    out_shape = scratch.conv2d_forward(images, kernel, stride=stride, padding=padding).shape
    upstream = RNG.standard_normal(out_shape)

    def forward(x, wt, b):
        return tf.nn.conv2d(x, wt, strides=stride, padding=tf_padding(padding)) + b

    expected = tape_gradients(forward, upstream, images, kernel, bias)
    result = scratch.conv2d_backward(upstream, images, kernel, stride=stride, padding=padding)
    for name, ours, theirs in zip(["images", "kernel", "bias"], result, expected, strict=True):
        assert ours.shape == theirs.shape, name
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10, err_msg=name)


def test_conv2d_course_layers_in_float32_match_tf():
    """The two convolutions of the course CNN, batch 64, in float32 as chapter 8 trains them."""
    for shape, kernel_shape in [
        ((64, 28, 28, 1), (5, 5, 1, 32)),
        ((64, 12, 12, 32), (5, 5, 32, 64)),
    ]:
        images = RNG.random(shape, dtype=np.float32)
        kernel = (RNG.standard_normal(kernel_shape) * 0.1).astype("float32")
        expected = tf.nn.conv2d(images, kernel, 1, "VALID").numpy()
        np.testing.assert_allclose(
            scratch.conv2d_forward(images, kernel), expected, rtol=1e-4, atol=1e-5
        )
        upstream = RNG.standard_normal(expected.shape).astype("float32")
        theirs = tape_gradients(
            lambda x, w: tf.nn.conv2d(x, w, 1, "VALID"), upstream, images, kernel
        )
        ours = scratch.conv2d_backward(upstream, images, kernel)[:2]
        for a, b in zip(ours, theirs, strict=True):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max())


@pytest.mark.parametrize("shape", [(2, 5), (3, 4, 4, 2), (1, 6, 5, 3)])
def test_relu_forward_and_backward_match_tf(shape):
    x = RNG.standard_normal(shape)
    x.flat[0] = 0.0  # TF's ReLU gradient at exactly 0 is 0; ours must agree
    upstream = RNG.standard_normal(shape)
    np.testing.assert_array_equal(scratch.relu_forward(x), tf.nn.relu(x).numpy())
    (expected,) = tape_gradients(tf.nn.relu, upstream, x)
    np.testing.assert_array_equal(scratch.relu_backward(upstream, x), expected)


POOL_GRID = [
    (h, w, c, pool_size, stride)
    for (h, w), c, pool_size, stride in itertools.product(
        [(8, 8), (7, 9), (12, 12)], [1, 3], [2, 3, (2, 3)], [None, 1, 2]
    )
]


@pytest.mark.parametrize("h,w,c,pool_size,stride", POOL_GRID)
def test_max_pool_matches_tf_values_and_gradients(h, w, c, pool_size, stride):
    x = RNG.standard_normal((2, h, w, c))  # continuous values: no ties

    def forward(t):
        return tf.nn.max_pool2d(
            t, ksize=pool_size, strides=pool_size if stride is None else stride, padding="VALID"
        )

    # a tensor, not the NumPy array: tf.nn.max_pool2d would turn float64 NumPy input into float32
    expected = forward(tf.constant(x)).numpy()
    result = scratch.max_pool_forward(x, pool_size, stride)
    np.testing.assert_array_equal(result, expected)
    upstream = RNG.standard_normal(expected.shape)
    (expected_grad,) = tape_gradients(forward, upstream, x)
    # overlapping windows add their shares in another order than TF: round-off only
    np.testing.assert_allclose(
        scratch.max_pool_backward(upstream, x, pool_size, stride), expected_grad, rtol=1e-12
    )


def test_max_pool_backward_sends_each_window_gradient_to_one_input_on_ties():
    x = np.zeros((1, 4, 4, 2))  # every window is a four-way tie, as after ReLU
    upstream = RNG.standard_normal((1, 2, 2, 2))
    grad = scratch.max_pool_backward(upstream, x)
    assert np.count_nonzero(grad) == upstream.size
    np.testing.assert_allclose(grad.sum(axis=(1, 2)), upstream.sum(axis=(1, 2)))


@pytest.mark.parametrize("n,d,m", [(1, 1, 1), (4, 7, 3), (16, 50, 10)])
def test_dense_matches_tf_values_and_gradients(n, d, m):
    x = RNG.standard_normal((n, d))
    weights = RNG.standard_normal((d, m))
    bias = RNG.standard_normal(m)
    expected = (tf.matmul(x, weights) + bias).numpy()
    np.testing.assert_allclose(scratch.dense_forward(x, weights, bias), expected, rtol=1e-12)
    upstream = RNG.standard_normal((n, m))
    expected_grads = tape_gradients(lambda a, w, b: tf.matmul(a, w) + b, upstream, x, weights, bias)
    for ours, theirs in zip(
        scratch.dense_backward(upstream, x, weights), expected_grads, strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,classes,scale", [(1, 2, 1.0), (8, 10, 1.0), (5, 3, 300.0)])
def test_softmax_cross_entropy_matches_tf(n, classes, scale):
    logits = RNG.standard_normal((n, classes)) * scale  # scale 300: exp() would overflow naively
    labels = RNG.integers(0, classes, n)
    logits_var = tf.Variable(logits)
    with tf.GradientTape() as tape:
        expected = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits_var)
        )
    expected_grad = tape.gradient(expected, logits_var).numpy()
    loss, grad = scratch.softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)


def test_float32_in_float32_out_and_integers_become_float64():
    images = np.ones((1, 4, 4, 1), dtype="float32")
    kernel = np.ones((2, 2, 1, 1), dtype="float32")
    assert scratch.conv2d_forward(images, kernel).dtype == np.float32
    assert scratch.conv2d_forward(images.astype(int), kernel.astype(int)).dtype == np.float64
    assert scratch.max_pool_forward(images).dtype == np.float32


# Bad input: every check names the argument and what is allowed.

IMAGES = np.zeros((2, 6, 6, 3))
KERNEL = np.zeros((3, 3, 3, 4))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: scratch.conv2d_forward(IMAGES[0], KERNEL), ValueError, "images must have shape"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL[..., 0]), ValueError, "kernel must have"),
        (lambda: scratch.conv2d_forward(IMAGES.astype(str), KERNEL), TypeError, "images must hold"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL + 0j), TypeError, "real numbers"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL[:, :, :2]), ValueError, "input channels"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL, np.zeros(3)), ValueError, "bias must"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL, stride=0), ValueError, "stride must be"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL, stride=1.5), TypeError, "stride must be"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL, padding="full"), ValueError, "padding"),
        (lambda: scratch.conv2d_forward(IMAGES, KERNEL, padding=-1), ValueError, "padding"),
        (lambda: scratch.conv2d_forward(IMAGES, np.zeros((7, 3, 3, 1))), ValueError, "larger"),
        (lambda: scratch.conv2d_forward(IMAGES[:0], KERNEL), ValueError, "must not be empty"),
        (
            lambda: scratch.conv2d_backward(np.zeros((2, 4, 4, 3)), IMAGES, KERNEL),
            ValueError,
            r"grad must have the shape .*\(2, 4, 4, 4\)",
        ),
        (lambda: scratch.relu_forward(np.array(1.0)), ValueError, "x must have shape"),
        (lambda: scratch.relu_backward(np.zeros(3), np.zeros(4)), ValueError, "grad must have"),
        (lambda: scratch.max_pool_forward(IMAGES[0]), ValueError, "feature_maps must have"),
        (lambda: scratch.max_pool_forward(IMAGES, pool_size=0), ValueError, "pool_size must"),
        (lambda: scratch.max_pool_forward(IMAGES, pool_size=7), ValueError, "larger than"),
        (lambda: scratch.max_pool_forward(IMAGES, stride=(1, 0)), ValueError, r"stride\[1\]"),
        (
            lambda: scratch.max_pool_backward(np.zeros((2, 2, 2, 3)), IMAGES),
            ValueError,
            "grad must have",
        ),
        (lambda: scratch.dense_forward(np.zeros(3), np.zeros((3, 2))), ValueError, "x must have"),
        (lambda: scratch.dense_forward(np.zeros((1, 3)), np.zeros((4, 2))), ValueError, "rows"),
        (lambda: scratch.dense_forward(np.zeros((1, 3)), np.zeros(3)), ValueError, "weights must"),
        (
            lambda: scratch.dense_forward(np.zeros((1, 3)), np.zeros((3, 2)), np.zeros(3)),
            ValueError,
            "bias must",
        ),
        (
            lambda: scratch.dense_backward(np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((3, 2))),
            ValueError,
            "grad must have",
        ),
        (
            lambda: scratch.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])),
            TypeError,
            "labels must be integers",
        ),
        (
            lambda: scratch.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
            ValueError,
            "labels must have shape",
        ),
        (
            lambda: scratch.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])),
            ValueError,
            r"labels must lie in 0\.\.2",
        ),
        (
            lambda: scratch.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int)),
            ValueError,
            "at least one example",
        ),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, error, match):
    with pytest.raises(error, match=match):
        call()
