"""Looking inside a trained CNN (chapter 7): class scores, saliency, Grad-CAM, occlusion and
activation maximisation.

Every helper takes a Keras model whose input is a batch of images ``(N, H, W, C)`` and whose
output is one score per class ``(N, num_classes)``. Gradient methods work best with the scores
*before* the softmax: :func:`logits_model` turns the course CNN, whose last layer is a softmax
``Dense``, into such a model, sharing its weights.

TensorFlow is imported when a helper is called, so that ``import utils`` stays fast in the
chapters that do not need it.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import check_int


def _as_batch(images, name: str = "images") -> np.ndarray:
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 4:
        raise ValueError(
            f"{name} must be a batch of shape (N, H, W, C), got {array.ndim} dimensions "
            f"{array.shape}; add a batch axis with images[None] for a single image"
        )
    return array.astype(np.float32)


def _class_indices(class_index, n: int, num_classes: int, default) -> np.ndarray:
    """``class_index`` as an ``(n,)`` int array: None -> ``default``, an int -> repeated."""
    if class_index is None:
        return np.asarray(default, dtype=np.int64)
    if isinstance(class_index, numbers.Integral) and not isinstance(class_index, bool):
        indices = np.full(n, int(class_index), dtype=np.int64)
    else:
        indices = np.asarray(class_index)
        if indices.shape != (n,) or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError(
                f"class_index must be None, an integer or {n} integers (one per image), "
                f"got {class_index!r}"
            )
        indices = indices.astype(np.int64)
    if indices.min() < 0 or indices.max() >= num_classes:
        raise ValueError(f"class_index must be in 0..{num_classes - 1}, got {class_index!r}")
    return indices


def _get_layer(model, layer_name: str):
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"layer_name must be one of the model's layers {names}, got {layer_name!r}"
        )
    return model.get_layer(layer_name)


def _node_in_graph(model, layer):
    """The call of ``layer`` that belongs to ``model``'s own graph, as (inputs, outputs).

    ``layer.input`` and ``layer.output`` describe the layer's *first* call. A layer can have been
    called several times (a model loaded from a file rebuilds its graph more than once), so this
    walks back from the model's outputs to the call that actually feeds them.
    """
    seen = set()
    stack = list(model.outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        history = tensor._keras_history
        node = history.operation._inbound_nodes[history.node_index]
        if history.operation is layer:
            return node.input_tensors, node.output_tensors
        stack.extend(node.input_tensors)
    raise ValueError(f"layer {layer.name!r} does not lead to the outputs of model {model.name!r}")


def logits_model(model, output_layer: str = "output"):
    """A model that returns the class scores *before* the softmax of ``model``'s last layer.

    The course CNN ends in ``Dense(num_classes, activation="softmax")``. Its input, multiplied by
    that layer's kernel plus its bias, gives the logits ``z``; ``softmax(z)`` is the model's
    output. The returned model computes ``z`` with the *same* kernel and bias (shared, not
    copied), so it stays in step with ``model``.

    Parameters
    ----------
    model : keras.Model
        A functional or Sequential model with a ``Dense`` layer named ``output_layer``.
    output_layer : str
        Name of the softmax ``Dense`` layer.

    Returns
    -------
    keras.Model
        ``(N, H, W, C)`` images -> ``(N, num_classes)`` logits.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(3, activation="softmax", name="output")])
    >>> x = np.random.default_rng(0).random((2, 4, 4, 1)).astype("float32")
    >>> z = logits_model(model).predict(x, verbose=0)
    >>> bool(np.allclose(keras.ops.softmax(z), model.predict(x, verbose=0), atol=1e-6))
    True
    """
    import keras

    dense = _get_layer(model, output_layer)
    if not isinstance(dense, keras.layers.Dense):
        raise TypeError(
            f"output_layer must name a Dense layer, got {output_layer!r} ({type(dense).__name__})"
        )

    class Logits(keras.layers.Layer):
        """``x @ kernel + bias`` of a Dense layer, without its activation."""

        def __init__(self, source, **kwargs):
            super().__init__(**kwargs)
            self.source = source

        def call(self, x):
            z = keras.ops.matmul(x, self.source.kernel)
            return z + self.source.bias if self.source.use_bias else z

    features = _node_in_graph(model, dense)[0][0]
    logits = Logits(dense, name="logits", dtype=dense.dtype_policy)(features)
    return keras.Model(model.inputs[0], logits, name=f"{model.name}_logits")


def _scores_and_gradient(model, x, class_index, layer=None):
    """Scores, the chosen classes, and d(chosen score)/d(x or the layer's output)."""
    import tensorflow as tf

    if layer is not None:
        outputs = [_node_in_graph(model, layer)[1][0], model.outputs[0]]
    probe = model if layer is None else _submodel(model, outputs)
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        result = probe(x, training=False)
        watched, scores = (x, result) if layer is None else result
        if layer is not None:
            tape.watch(watched)
        default = tf.argmax(scores, axis=1).numpy()
        indices = _class_indices(class_index, x.shape[0], scores.shape[1], default)
        picked = tf.gather(scores, indices, axis=1, batch_dims=1)
        # Each image's score depends on that image alone, so one gradient of the sum gives
        # every image's own gradient.
        total = tf.reduce_sum(picked)
    gradient = tape.gradient(total, watched)
    return watched, gradient, indices


def _submodel(model, outputs):
    import keras

    return keras.Model(model.inputs[0], outputs)


def saliency_map(model, images, class_index=None) -> np.ndarray:
    """Gradient saliency: how strongly each pixel moves a class score.

    ``|d score_c / d image|``, the largest over the colour channels (Simonyan et al., 2014).

    Parameters
    ----------
    model : keras.Model
        ``(N, H, W, C)`` images -> ``(N, num_classes)`` scores; logits work best (see
        :func:`logits_model`).
    images : (N, H, W, C) array
        The images, scaled as the model expects.
    class_index : int or (N,) ints, optional
        Which class score to explain; by default the model's top class for each image.

    Returns
    -------
    (N, H, W) float32 array
        Non-negative; large where a small change of the pixel changes the score most.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, use_bias=False)])
    >>> model.set_weights([np.arange(18, dtype="float32").reshape(9, 2) - 8])
    >>> saliency_map(model, np.zeros((1, 3, 3, 1)), class_index=0)[0]
    array([[8., 6., 4.],
           [2., 0., 2.],
           [4., 6., 8.]], dtype=float32)
    """
    x = _as_batch(images)
    _, gradient, _ = _scores_and_gradient(model, x, class_index)
    return np.abs(gradient.numpy()).max(axis=-1)


def grad_cam(model, images, class_index=None, layer_name: str = "conv2") -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017): where a convolution layer saw evidence for a class.

    With ``A`` the layer's feature maps ``(h, w, K)`` and ``y`` the class score, each feature map
    gets the weight ``alpha_k = mean over (i, j) of dy/dA[i, j, k]``, and the map is
    ``ReLU(sum_k alpha_k A[:, :, k])``: positive where the layer's activations push the score up.

    Parameters
    ----------
    model : keras.Model
        ``(N, H, W, C)`` images -> ``(N, num_classes)`` scores (see :func:`logits_model`).
    images : (N, H, W, C) array
        The images, scaled as the model expects.
    class_index : int or (N,) ints, optional
        Which class to explain; by default the model's top class for each image.
    layer_name : str
        The convolution layer; its output must be ``(N, h, w, K)``.

    Returns
    -------
    (N, h, w) float32 array
        Non-negative, at the layer's resolution (8 x 8 for ``conv2`` of the course CNN on
        28 x 28 digits). Each value belongs to the centre of its receptive field in the image;
        stretching the map over the whole image (``imshow(..., extent=...)``) misplaces it, by up
        to 5 pixels for ``conv2`` of the course CNN (chapter 7 places each value at its centre).

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((6, 6, 1)),
    ...                           keras.layers.Conv2D(2, 3, activation="relu", name="conv"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(3)])
    >>> cam = grad_cam(model, np.ones((2, 6, 6, 1)), layer_name="conv")
    >>> cam.shape, bool((cam >= 0).all())
    ((2, 4, 4), True)
    """
    x = _as_batch(images)
    layer = _get_layer(model, layer_name)
    shape = tuple(_node_in_graph(model, layer)[1][0].shape)
    if len(shape) != 4:
        raise ValueError(
            f"layer_name must name a layer with (N, h, w, K) output, got {layer_name!r} "
            f"with output shape {shape}"
        )
    feature_maps, gradient, _ = _scores_and_gradient(model, x, class_index, layer=layer)
    weights = gradient.numpy().mean(axis=(1, 2))  # (N, K)
    cam = np.einsum("nhwk,nk->nhw", feature_maps.numpy(), weights)
    return np.maximum(cam, 0).astype(np.float32)


def occlusion_drops(
    model,
    images,
    class_index=None,
    *,
    patch_size: int = 6,
    stride: int = 2,
    fill: float = 0.0,
    batch_size: int = 512,
):
    """Occlusion one square at a time (Zeiler and Fergus, 2014): the drop of a class score for
    every position of a hidden square patch.

    A ``patch_size`` square of value ``fill`` slides over the image with ``stride``; the last
    row and column of positions always touch the border, so every pixel is hidden by at least
    one square. For each position the image is evaluated with that square hidden, and the drop
    ``score(image) - score(occluded image)`` is recorded. :func:`occlusion_map` spreads these
    drops over the pixels; the largest of them is the most that hiding a single square costs.

    Parameters
    ----------
    model, images, class_index, patch_size, stride, fill, batch_size
        As for :func:`occlusion_map`.

    Returns
    -------
    drops : (N, R, C) float32 array
        ``drops[n, i, j]``: the drop for image ``n`` when the square whose top-left corner is
        ``(rows[i], cols[j])`` is hidden. Positive where hiding lowers the score.
    rows, cols : lists of int
        The top-left corners of the squares, along the height and along the width.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(1, use_bias=False)])
    >>> model.set_weights([np.arange(16, dtype="float32").reshape(16, 1)])
    >>> drops, rows, cols = occlusion_drops(model, np.ones((1, 4, 4, 1)), patch_size=2, stride=2)
    >>> rows, cols
    ([0, 2], [0, 2])
    >>> drops[0]  # hiding the top-left square removes the weights 0 + 1 + 4 + 5 of its pixels
    array([[10., 18.],
           [42., 50.]], dtype=float32)
    """
    drops, rows, cols = _occlusion(model, images, class_index, patch_size, stride, fill, batch_size)
    return drops.astype(np.float32), rows, cols


def _occlusion(model, images, class_index, patch_size, stride, fill, batch_size):
    # The drops of occlusion_drops in float64, with the corners of the squares.
    x = _as_batch(images)
    n, height, width, _ = x.shape
    patch_size = check_int("patch_size", patch_size, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if patch_size > min(height, width):
        raise ValueError(
            f"patch_size must be at most the image size {min(height, width)}, got {patch_size}"
        )
    if stride > patch_size:
        raise ValueError(
            f"stride must be at most patch_size {patch_size} (or some pixels are never "
            f"hidden), got {stride}"
        )
    if not isinstance(fill, numbers.Real):
        raise TypeError(f"fill must be a number, got {fill!r}")

    def positions(size):
        starts = list(range(0, size - patch_size + 1, stride))
        if starts[-1] != size - patch_size:
            starts.append(size - patch_size)
        return starts

    rows, cols = positions(height), positions(width)
    corners = [(r, c) for r in rows for c in cols]
    scores = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    indices = _class_indices(class_index, n, scores.shape[1], scores.argmax(axis=1))
    drops = np.zeros((n, len(corners)), dtype=np.float64)
    for i in range(n):
        occluded = np.repeat(x[i : i + 1], len(corners), axis=0)
        for k, (r, c) in enumerate(corners):
            occluded[k, r : r + patch_size, c : c + patch_size, :] = fill
        drops[i] = (
            scores[i, indices[i]]
            - model.predict(occluded, batch_size=batch_size, verbose=0)[:, indices[i]]
        )
    return drops.reshape(n, len(rows), len(cols)), rows, cols


def occlusion_map(
    model,
    images,
    class_index=None,
    *,
    patch_size: int = 6,
    stride: int = 2,
    fill: float = 0.0,
    batch_size: int = 512,
) -> np.ndarray:
    """Occlusion sensitivity (Zeiler and Fergus, 2014): how much a class score drops when a
    square patch of the image is hidden, as a map over the pixels.

    A ``patch_size`` square of value ``fill`` slides over the image with ``stride`` (the last
    row and column of positions always touch the border, so every pixel is covered). Each pixel
    gets the **mean** drop ``score(image) - score(occluded image)`` over the patches that cover
    it, so a pixel's value is at most the largest drop of a single square, and usually less:
    :func:`occlusion_drops` gives the drop of each square.

    Parameters
    ----------
    model : keras.Model
        ``(N, H, W, C)`` images -> ``(N, num_classes)`` scores; probabilities make the drop easy
        to read (0.9 means: hiding this region costs 90 percentage points).
    images : (N, H, W, C) array
        The images, scaled as the model expects.
    class_index : int or (N,) ints, optional
        Which class to follow; by default the model's top class for each unoccluded image.
    patch_size, stride : int
        Side of the square patch and step between positions, in pixels
        (``stride <= patch_size``).
    fill : float
        Value of the hidden pixels (0, the background of MNIST, by default).
    batch_size : int
        Occluded images evaluated per call of the model.

    Returns
    -------
    (N, H, W) float32 array
        Positive where hiding the pixel lowers the score, negative where it raises it.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(1, use_bias=False)])
    >>> model.set_weights([np.ones((16, 1), dtype="float32")])
    >>> occlusion_map(model, np.ones((1, 4, 4, 1)), patch_size=2, stride=2)[0]
    array([[4., 4., 4., 4.],
           [4., 4., 4., 4.],
           [4., 4., 4., 4.],
           [4., 4., 4., 4.]], dtype=float32)
    """
    drops, rows, cols = _occlusion(model, images, class_index, patch_size, stride, fill, batch_size)
    n = drops.shape[0]
    height, width = rows[-1] + patch_size, cols[-1] + patch_size  # the last squares touch the edge
    result = np.zeros((n, height, width), dtype=np.float64)
    count = np.zeros((height, width), dtype=np.float64)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            count[r : r + patch_size, c : c + patch_size] += 1
            result[:, r : r + patch_size, c : c + patch_size] += drops[:, i, j, None, None]
    return (result / count).astype(np.float32)


def _gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Blur each channel of an ``(H, W, C)`` image with a Gaussian (edges repeated)."""
    radius = max(1, int(round(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(image, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    rows = sum(t * padded[k : k + image.shape[0], :, :] for k, t in enumerate(taps))
    return sum(t * rows[:, k : k + image.shape[1], :] for k, t in enumerate(taps))


def maximize_activation(
    model,
    layer_name: str | None = None,
    index=0,
    *,
    steps: int = 200,
    learning_rate: float = 0.05,
    l2: float = 0.0,
    blur_sigma: float = 0.0,
    blur_every: int = 4,
    jitter: int = 0,
    seed: int = 0,
    start=None,
):
    """Activation maximisation: gradient ascent on an input to excite one unit as much as
    possible.

    The objective is the mean of feature map ``index`` of layer ``layer_name`` (for a
    convolution layer), or unit ``index`` of the layer (a dense layer or the model's scores),
    minus ``l2 * mean(image**2)``. Each step moves the image along the gradient (normalised to
    unit root-mean-square) and clips it to ``[0, 1]``. Regularisers keep the image natural:
    ``jitter`` shifts it by a random number of pixels before each gradient (and back),
    ``blur_sigma`` blurs it every ``blur_every`` steps. A seeded generator drives the start and
    the jitter, so the result is reproducible. Several units are optimised at once, one image
    each, when ``index`` is a list.

    Parameters
    ----------
    model : keras.Model
        Taking ``(N, H, W, C)`` images in ``[0, 1]``.
    layer_name : str, optional
        Layer whose unit to excite; None means the model's output.
    index : int or list of ints
        Feature map (last axis) or unit of that layer; a list gives one image per unit.
    steps, learning_rate : int, float
        Number and size of gradient steps.
    l2, blur_sigma, blur_every, jitter : float, float, int, int
        Regularisation (0 turns each off).
    seed : int
        Seed of the start image (grey 0.5 plus noise of standard deviation 0.05) and the jitter.
    start : (H, W, C) or (K, H, W, C) array, optional
        Start from this image instead (every unit from the same one), or from one image per
        index: a unit that is zero on grey (a ReLU that does not fire) has no gradient there,
        so start it from an input that excites it.

    Returns
    -------
    image : (H, W, C) float32 array in [0, 1], or (K, H, W, C) for K indices
        The synthesised input(s).
    activation : float, or (K,) float array
        The unit's activation (without the L2 term) for its image.

    Examples
    --------
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(1, use_bias=False)])
    >>> model.set_weights([np.linspace(-1, 1, 16, dtype="float32").reshape(16, 1)])
    >>> image, value = maximize_activation(model, index=0, steps=100, learning_rate=0.1)
    >>> image[..., 0].round(2)  # bright where the weight is positive, dark where negative
    array([[0., 0., 0., 0.],
           [0., 0., 0., 0.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]], dtype=float32)
    """
    import keras
    import tensorflow as tf

    steps = check_int("steps", steps, minimum=1)
    blur_every = check_int("blur_every", blur_every, minimum=1)
    jitter = check_int("jitter", jitter, minimum=0)
    for name, value in (("learning_rate", learning_rate), ("l2", l2), ("blur_sigma", blur_sigma)):
        if not isinstance(value, numbers.Real) or value < 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if layer_name is None:
        output = model.outputs[0]
    else:
        output = _node_in_graph(model, _get_layer(model, layer_name))[1][0]
    units = output.shape[-1]
    single = not isinstance(index, (list, tuple, np.ndarray))
    indices = [index] if single else list(index)
    if not indices:
        raise ValueError("index must be an integer or a non-empty list of integers, got []")
    indices = [check_int("index", i, minimum=0) for i in indices]
    if max(indices) >= units:
        raise ValueError(f"index must be in 0..{units - 1} for this layer, got {index}")
    probe = keras.Model(model.inputs[0], output)
    shape = tuple(model.inputs[0].shape[1:])
    k = len(indices)

    rng = np.random.default_rng(seed)
    if start is None:
        images = 0.5 + 0.05 * rng.standard_normal((k, *shape))
    else:
        images = np.asarray(start, dtype=np.float64)
        if images.shape == shape:
            images = np.repeat(images[np.newaxis], k, axis=0)
        elif images.shape != (k, *shape):
            raise ValueError(
                f"start must have the model's input shape {shape} (or {(k, *shape)}, one image "
                f"per index), got {images.shape}"
            )
    images = np.clip(images, 0.0, 1.0).astype(np.float32)
    dtype = np.dtype(probe.outputs[0].dtype)
    one_hot = tf.constant(np.eye(units, dtype=dtype)[indices])  # (K, units)

    def activations(batch):
        """(K,) activation of each image's own unit."""
        value = probe(batch, training=False)
        if len(value.shape) > 2:
            value = tf.reduce_mean(value, axis=tuple(range(1, len(value.shape) - 1)))
        return tf.reduce_sum(value * one_hot, axis=1)

    @tf.function(reduce_retracing=True)
    def gradient_of(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            # each image's objective depends on that image alone: one gradient serves all
            objective = tf.reduce_sum(tf.cast(activations(batch), batch.dtype))
            objective -= l2 * tf.reduce_sum(tf.reduce_mean(batch**2, axis=(1, 2, 3)))
        return tape.gradient(objective, batch)

    for step in range(steps):
        dy, dx = (int(v) for v in rng.integers(-jitter, jitter + 1, size=2)) if jitter else (0, 0)
        shifted = tf.constant(np.roll(images, (dy, dx), axis=(1, 2)))
        gradient = np.roll(gradient_of(shifted).numpy(), (-dy, -dx), axis=(1, 2))
        gradient /= np.sqrt(np.mean(gradient**2, axis=(1, 2, 3), keepdims=True)) + 1e-8
        images = images + learning_rate * gradient
        if blur_sigma > 0 and (step + 1) % blur_every == 0:
            images = np.stack([_gaussian_blur(image, blur_sigma) for image in images])
        images = np.clip(images, 0.0, 1.0).astype(np.float32)
    values = activations(tf.constant(images)).numpy().astype(np.float64)
    if single:
        return images[0], float(values[0])
    return images, values


def principal_components(features, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Project a set of feature vectors on their ``k`` directions of largest variance (ch. 7).

    Principal component analysis with NumPy: the features are centred, and the directions are the
    right singular vectors of the centred matrix (the eigenvectors of its covariance), largest
    variance first, each signed so that its largest entry is positive (one answer, not two).

    Parameters
    ----------
    features : (N, D) array
        One row per example: pixels, or a layer's values. Any shape ``(N, ...)`` is flattened.
    k : int
        Number of directions kept, ``1 <= k <= min(N, D)``.

    Returns
    -------
    projected : (N, k) array
        The coordinates of each example along the ``k`` directions.
    explained : (k,) array
        The share of the total variance along each direction.

    Raises
    ------
    ValueError
        If there are fewer than two examples, ``k`` is out of range, or the features do not vary.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"features must hold two examples or more, one per row; got {x.shape}")
    x = x.reshape(len(x), -1)
    k = check_int("k", k, 1)
    if k > min(x.shape):
        raise ValueError(f"k must be at most min(N, D) = {min(x.shape)}, got {k}")
    centred = x - x.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    total = float((singular**2).sum())
    if total == 0:
        raise ValueError("the features do not vary: every example is the same")
    directions = directions[:k]
    largest = np.argmax(np.abs(directions), axis=1)
    directions *= np.sign(directions[np.arange(k), largest])[:, None]
    return centred @ directions.T, singular[:k] ** 2 / total
