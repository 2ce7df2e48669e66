"""The layers of a CNN written from scratch in NumPy, forward and backward (chapter 8).

Every function works on a batch in Keras' layout, ``(N, H, W, C)``, and is vectorised: the
convolution gathers the windows of every image into one matrix (*im2col*) and multiplies it by
the kernel in a single BLAS call. Chapter 8 derives each backward pass, checks it against finite
differences and ``tf.GradientTape``, and trains a CNN built from these pieces.

The forward functions return only their output; each backward function takes the gradient of the
loss with respect to that output plus the forward pass's inputs, and returns the gradients with
respect to those inputs (and to the weights, for layers that have weights).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import check_int, check_pair
from .conv import _padding_amounts
from .shapes import same_padding

__all__ = [
    "conv2d_backward",
    "conv2d_forward",
    "dense_backward",
    "dense_forward",
    "max_pool_backward",
    "max_pool_forward",
    "relu_backward",
    "relu_forward",
    "softmax_cross_entropy",
]


def _as_float(name: str, value, ndim: int | tuple[int, ...], what: str) -> np.ndarray:
    """Return ``value`` as a floating array with ``ndim`` dimensions (float32 stays float32)."""
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        raise ValueError(f"{name} must have shape {what}, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def _check_grad(grad, expected_shape: tuple[int, ...], produced_by: str) -> np.ndarray:
    array = _as_float("grad", grad, len(expected_shape), str(expected_shape))
    if array.shape != tuple(expected_shape):
        raise ValueError(
            f"grad must have the shape of the output of {produced_by}, {tuple(expected_shape)}, "
            f"got {array.shape}"
        )
    return array


def _conv_geometry(images: np.ndarray, kernel: np.ndarray, stride, padding):
    """Check shapes; return ``(pads, (sh, sw), (out_h, out_w))``."""
    n_channels = images.shape[3]
    if kernel.shape[2] != n_channels:
        raise ValueError(
            f"kernel has {kernel.shape[2]} input channels but images have {n_channels}: "
            "kernel shape must be (kh, kw, C, K) with C the images' channels"
        )
    if min(kernel.shape) < 1 or min(images.shape) < 1:
        raise ValueError(
            f"images and kernel must not be empty, got shapes {images.shape} and {kernel.shape}"
        )
    kh, kw = kernel.shape[:2]
    sh, sw = check_pair("stride", stride, 1)
    height, width = images.shape[1:3]
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0), (0, 0)
        elif padding == "same":
            pads = same_padding(height, kh, sh), same_padding(width, kw, sw)
        else:
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    else:
        pads = _padding_amounts(padding)
    padded_h = height + sum(pads[0])
    padded_w = width + sum(pads[1])
    if kh > padded_h or kw > padded_w:
        raise ValueError(
            f"kernel is {kh}x{kw}, larger than the padded images {padded_h}x{padded_w}"
        )
    out_shape = ((padded_h - kh) // sh + 1, (padded_w - kw) // sw + 1)
    return pads, (sh, sw), out_shape


def _im2col(padded: np.ndarray, kh: int, kw: int, stride, out_shape) -> np.ndarray:
    """Windows of ``padded`` copied into a C-contiguous ``(N, H', W', kh, kw, C)`` array."""
    (sh, sw), (out_h, out_w) = stride, out_shape
    n, _, _, n_channels = padded.shape
    # windows[n, i, j, c, a, b] = padded[n, i * sh + a, j * sw + b, c]: a view, no copy yet
    windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :out_h, :out_w]
    cols = np.empty((n, out_h, out_w, kh, kw, n_channels), dtype=padded.dtype)
    cols[...] = windows.transpose(0, 1, 2, 4, 5, 3)  # one copy, so that a matmul can use it
    return cols


def _pad(images: np.ndarray, pads) -> np.ndarray:
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return images
    return np.pad(images, ((0, 0), (top, bottom), (left, right), (0, 0)))


def _check_conv_inputs(images, kernel):
    images = _as_float("images", images, 4, "(N, H, W, C)")
    kernel = _as_float("kernel", kernel, 4, "(kh, kw, C, K)")
    dtype = np.result_type(images.dtype, kernel.dtype)
    return images.astype(dtype, copy=False), kernel.astype(dtype, copy=False)


def conv2d_forward(images, kernel, bias=None, stride=1, padding="valid") -> np.ndarray:
    """Convolution layer (cross-correlation) on a batch, as ``tf.nn.conv2d`` plus a bias.

    Parameters
    ----------
    images : (N, H, W, C) array
        A batch of images or feature maps.
    kernel : (kh, kw, C, K) array
        ``K`` filters over ``C`` channels (Keras' layout for ``Conv2D`` weights).
    bias : None or (K,) array
        Added to each feature map.
    stride : int or (rows, cols)
        Step of the window, ``>= 1``.
    padding : "valid", "same", int or (rows, cols)
        Zero padding, with the meaning of :func:`utils.conv2d`.

    Returns
    -------
    (N, H', W', K) array
        One feature map per filter; float32 when the inputs are float32, else float64.

    Examples
    --------
    >>> images = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> kernel = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)
    >>> conv2d_forward(images, kernel)[0, :, :, 0]
    array([[-5., -5., -5.],
           [-5., -5., -5.],
           [-5., -5., -5.]])
    """
    images, kernel = _check_conv_inputs(images, kernel)
    kh, kw, _, n_filters = kernel.shape
    pads, strides, (out_h, out_w) = _conv_geometry(images, kernel, stride, padding)
    cols = _im2col(_pad(images, pads), kh, kw, strides, (out_h, out_w))
    out = cols.reshape(-1, kh * kw * kernel.shape[2]) @ kernel.reshape(-1, n_filters)
    out = out.reshape(images.shape[0], out_h, out_w, n_filters)
    if bias is not None:
        b = _as_float("bias", bias, 1, f"({n_filters},)")
        if b.shape != (n_filters,):
            raise ValueError(f"bias must have shape ({n_filters},), got {b.shape}")
        out += b.astype(out.dtype, copy=False)
    return out


def conv2d_backward(
    grad, images, kernel, stride=1, padding="valid"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a loss through :func:`conv2d_forward`.

    Parameters
    ----------
    grad : (N, H', W', K) array
        Gradient of the loss with respect to the layer's output.
    images, kernel, stride, padding
        As given to :func:`conv2d_forward`.

    Returns
    -------
    grad_images : (N, H, W, C) array
        Each window's share ``grad @ kernel.T`` added back where the window came from (for
        stride 1 and no padding: a full convolution of ``grad`` with the flipped kernel).
    grad_kernel : (kh, kw, C, K) array
        The correlation of the input windows with ``grad``, summed over the batch.
    grad_bias : (K,) array
        ``grad`` summed over the batch and the positions.

    Examples
    --------
    >>> images = np.ones((1, 3, 3, 1))
    >>> kernel = np.ones((2, 2, 1, 1))
    >>> grad_images, grad_kernel, grad_bias = conv2d_backward(np.ones((1, 2, 2, 1)), images, kernel)
    >>> grad_images[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> grad_kernel[:, :, 0, 0], grad_bias
    (array([[4., 4.],
           [4., 4.]]), array([4.]))
    """
    images, kernel = _check_conv_inputs(images, kernel)
    kh, kw, n_channels, n_filters = kernel.shape
    pads, (sh, sw), (out_h, out_w) = _conv_geometry(images, kernel, stride, padding)
    n = images.shape[0]
    g = _check_grad(grad, (n, out_h, out_w, n_filters), "conv2d_forward")
    g = g.astype(images.dtype, copy=False)
    padded = _pad(images, pads)
    g2 = g.reshape(-1, n_filters)
    cols = _im2col(padded, kh, kw, (sh, sw), (out_h, out_w)).reshape(-1, kh * kw * n_channels)
    grad_kernel = (cols.T @ g2).reshape(kernel.shape)
    grad_bias = g2.sum(axis=0)
    # grad_cols[a, b] = grad @ kernel[a, b].T: each window position's share of the gradient,
    # laid out so that adding it back where the windows came from reads contiguous memory.
    taps = kernel.reshape(kh * kw, n_channels, n_filters).transpose(0, 2, 1)
    grad_cols = np.matmul(g2, taps).reshape(kh, kw, n, out_h, out_w, n_channels)
    grad_padded = np.zeros_like(padded)
    for a in range(kh):
        for b in range(kw):
            grad_padded[
                :, a : a + sh * (out_h - 1) + 1 : sh, b : b + sw * (out_w - 1) + 1 : sw, :
            ] += grad_cols[a, b]
    (top, _), (left, _) = pads
    grad_images = grad_padded[:, top : top + images.shape[1], left : left + images.shape[2], :]
    return np.ascontiguousarray(grad_images), grad_kernel, grad_bias


def relu_forward(x) -> np.ndarray:
    """ReLU, ``max(x, 0)``, element-wise; any shape.

    Examples
    --------
    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    x = _as_float("x", x, tuple(range(1, 9)), "(N, ...)")
    return np.maximum(x, 0)


def relu_backward(grad, x) -> np.ndarray:
    """Gradient through ReLU: ``grad`` where ``x > 0``, else 0 (also at ``x == 0``, like TF).

    Examples
    --------
    >>> relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    x = _as_float("x", x, tuple(range(1, 9)), "(N, ...)")
    g = _check_grad(grad, x.shape, "relu_forward")
    return np.where(x > 0, g, 0).astype(np.result_type(g, x), copy=False)


def _pool_geometry(feature_maps, pool_size, stride):
    x = _as_float("feature_maps", feature_maps, 4, "(N, H, W, C)")
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    if ph > x.shape[1] or pw > x.shape[2]:
        raise ValueError(f"pool_size {ph}x{pw} is larger than the input {x.shape[1]}x{x.shape[2]}")
    out_shape = ((x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1)
    return x, (ph, pw), (sh, sw), out_shape


def max_pool_forward(feature_maps, pool_size=2, stride=None) -> np.ndarray:
    """Max pooling of a batch with valid padding, as Keras' ``MaxPooling2D``.

    Parameters
    ----------
    feature_maps : (N, H, W, C) array
    pool_size : int or (rows, cols)
    stride : None, int or (rows, cols)
        ``None`` means ``pool_size``.

    Returns
    -------
    (N, H', W', C) array
        ``H' = floor((H - pool_size) / stride) + 1``.

    Examples
    --------
    >>> max_pool_forward(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, (ph, pw), (sh, sw), (out_h, out_w) = _pool_geometry(feature_maps, pool_size, stride)
    if (sh, sw) == (ph, pw):  # non-overlapping windows: a reshape, no copy
        n, _, _, c = x.shape
        blocks = x[:, : out_h * ph, : out_w * pw].reshape(n, out_h, ph, out_w, pw, c)
        return blocks.max(axis=(2, 4))
    windows = sliding_window_view(x, (ph, pw), axis=(1, 2))[:, ::sh, ::sw]
    return windows.max(axis=(4, 5))


def max_pool_backward(grad, feature_maps, pool_size=2, stride=None) -> np.ndarray:
    """Gradient through :func:`max_pool_forward`.

    Each window sends its gradient to the position of its maximum (the first one in reading order
    when several are equal); every other input gets 0 from that window.

    Parameters
    ----------
    grad : (N, H', W', C) array
        Gradient of the loss with respect to the pooled output.
    feature_maps, pool_size, stride
        As given to :func:`max_pool_forward`.

    Returns
    -------
    (N, H, W, C) array

    Examples
    --------
    >>> x = np.array([[1.0, 3.0], [2.0, 0.0]]).reshape(1, 2, 2, 1)
    >>> max_pool_backward(np.full((1, 1, 1, 1), 5.0), x)[0, :, :, 0]
    array([[0., 5.],
           [0., 0.]])
    """
    x, (ph, pw), (sh, sw), (out_h, out_w) = _pool_geometry(feature_maps, pool_size, stride)
    n, _, _, c = x.shape
    g = _check_grad(grad, (n, out_h, out_w, c), "max_pool_forward")
    windows = sliding_window_view(x, (ph, pw), axis=(1, 2))[:, ::sh, ::sw]
    winner = windows.reshape(n, out_h, out_w, c, ph * pw).argmax(axis=-1)
    grad_x = np.zeros(x.shape, dtype=np.result_type(g, x))
    for a in range(ph):
        for b in range(pw):
            grad_x[:, a : a + sh * (out_h - 1) + 1 : sh, b : b + sw * (out_w - 1) + 1 : sw, :] += (
                np.where(winner == a * pw + b, g, 0)
            )
    return grad_x


def _check_dense(x, weights):
    x = _as_float("x", x, 2, "(N, D)")
    weights = _as_float("weights", weights, 2, "(D, M)")
    if weights.shape[0] != x.shape[1]:
        raise ValueError(
            f"weights have {weights.shape[0]} rows but x has {x.shape[1]} features: "
            "weights must have shape (D, M) with D = x.shape[1]"
        )
    dtype = np.result_type(x, weights)
    return x.astype(dtype, copy=False), weights.astype(dtype, copy=False)


def dense_forward(x, weights, bias=None) -> np.ndarray:
    """Dense (fully connected) layer, ``x @ weights + bias``, as Keras' ``Dense``.

    Parameters
    ----------
    x : (N, D) array
    weights : (D, M) array
    bias : None or (M,) array

    Returns
    -------
    (N, M) array

    Examples
    --------
    >>> dense_forward(np.ones((1, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, 0.0]))
    array([[4.5, 6. ]])
    """
    x, weights = _check_dense(x, weights)
    out = x @ weights
    if bias is not None:
        b = _as_float("bias", bias, 1, f"({weights.shape[1]},)")
        if b.shape != (weights.shape[1],):
            raise ValueError(f"bias must have shape ({weights.shape[1]},), got {b.shape}")
        out += b.astype(out.dtype, copy=False)
    return out


def dense_backward(grad, x, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients through :func:`dense_forward`.

    Returns
    -------
    grad_x : (N, D) array
        ``grad @ weights.T``
    grad_weights : (D, M) array
        ``x.T @ grad``
    grad_bias : (M,) array
        ``grad`` summed over the batch.

    Examples
    --------
    >>> grad_x, grad_weights, grad_bias = dense_backward(
    ...     np.ones((1, 2)), np.array([[1.0, 2.0]]), np.eye(2)
    ... )
    >>> grad_x, grad_weights, grad_bias
    (array([[1., 1.]]), array([[1., 1.],
           [2., 2.]]), array([1., 1.]))
    """
    x, weights = _check_dense(x, weights)
    g = _check_grad(grad, (x.shape[0], weights.shape[1]), "dense_forward")
    g = g.astype(x.dtype, copy=False)
    return g @ weights.T, x.T @ g, g.sum(axis=0)


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the softmax of ``logits`` against integer labels, and its gradient.

    As Keras' ``SparseCategoricalCrossentropy(from_logits=True)``.

    Parameters
    ----------
    logits : (N, classes) array
        Scores before the softmax.
    labels : (N,) array of ints
        The true class of each example, in ``0 .. classes - 1``.

    Returns
    -------
    loss : float
        ``mean(-log softmax(logits)[n, labels[n]])``.
    grad_logits : (N, classes) array
        ``(softmax(logits) - one_hot(labels)) / N``.

    Examples
    --------
    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 4), grad[0]
    (1.3863, array([-0.375,  0.125,  0.125,  0.125]))
    """
    z = _as_float("logits", logits, 2, "(N, classes)")
    y = np.asarray(labels)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    if y.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape ({z.shape[0]},), one per row, got {y.shape}")
    n_classes = check_int("number of classes", z.shape[1], 1)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    if z.shape[0] == 0:
        raise ValueError("logits must hold at least one example")
    shifted = z - z.max(axis=1, keepdims=True)  # exp() cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(z.shape[0])
    loss = float(-log_probs[rows, y].mean())
    grad = np.exp(log_probs)
    grad[rows, y] -= 1
    return loss, grad / z.shape[0]
