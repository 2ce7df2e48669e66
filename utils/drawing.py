"""A digit drawn by hand, turned into MNIST's form: the page "Draw a digit" and its tests.

MNIST's digits were made this way (LeCun et al., "The MNIST database"): the ink's bounding box
was scaled to fit a 20x20 box, keeping its aspect ratio, which left grey levels where a pixel is
partly covered; the result was placed in a 28x28 field so that its centre of mass sits at the
field's centre. :func:`mnist_like` does the same to the ink of a drawing, and
:func:`strokes_to_ink` draws that ink from the pen's strokes. The page's script
(``web/_static/live/live.js``) does the same steps in float64, so that the two agree to round-off
and the browser tests can hold them side by side; only a drawing whose centre of mass falls
exactly on a half pixel may be placed a pixel apart, where round-off decides the rounding.
"""

from __future__ import annotations

import math

import numpy as np

CANVAS = 280
"""Side of the square drawing area, in pixels of its ink (ten times MNIST's 28)."""

PEN_WIDTH = 18.0
"""Width of the pen's stroke on the drawing area, in pixels: about 2 pixels once scaled."""

FIELD = 28
BOX = 20


def strokes_to_ink(strokes, size: int = CANVAS, width: float = PEN_WIDTH) -> np.ndarray:
    """Draw pen strokes as ink: 1 under the pen, 0 away from it, a one-pixel soft edge.

    Each pixel's ink is ``clip(width / 2 + 0.5 - d, 0, 1)``, ``d`` the distance from the pixel's
    centre to the nearest stroke (each stroke a polyline through its points; a stroke of one
    point is a dot).

    Parameters
    ----------
    strokes : list of sequences of (x, y)
        The pen's path, stroke by stroke, in pixels of the drawing area (x to the right, y down,
        ``(0, 0)`` the top-left corner of the top-left pixel).
    size : int
        Side of the square drawing area.
    width : float
        Width of the pen, in pixels.

    Returns
    -------
    (size, size) float64 array in [0, 1]
    """
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    if not width > 0:
        raise ValueError(f"width must be positive, got {width!r}")
    centres = np.arange(size) + 0.5
    px, py = np.meshgrid(centres, centres)
    ink = np.zeros((size, size))
    radius = width / 2 + 0.5
    for number, stroke in enumerate(strokes):
        points = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            raise ValueError(f"stroke {number} has no points")
        if len(points) == 1:
            points = np.vstack([points, points])
        for (ax, ay), (bx, by) in zip(points[:-1], points[1:], strict=True):
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            if length2 > 0:
                t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
            else:
                t = np.zeros_like(px)
            distance = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
            np.maximum(ink, np.clip(radius - distance, 0.0, 1.0), out=ink)
    return ink


def _area_weights(source: int, target: int) -> np.ndarray:
    """``(target, source)`` matrix: target pixel ``t`` averages the source pixels under
    ``[t, t + 1) * source / target``, each weighted by how much of it lies there."""
    scale = source / target
    weights = np.zeros((target, source))
    for t in range(target):
        start, stop = t * scale, (t + 1) * scale
        for s in range(math.floor(start), min(math.ceil(stop), source)):
            weights[t, s] = (min(stop, s + 1) - max(start, s)) / scale
    return weights


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def mnist_like(ink) -> np.ndarray:
    """Turn a drawing's ink into a 28x28 image as MNIST's digits were made.

    The ink's bounding box (its pixels above 0) is scaled, keeping its aspect ratio, so that
    its longer side is 20 pixels, each new pixel the average of the ink it covers (so partly
    covered pixels turn grey); that image is then placed in a 28x28 field of zeros with its
    centre of mass at the field's centre ``(14, 14)``, to the nearest pixel and without leaving
    the field.

    Parameters
    ----------
    ink : (H, W) array
        Ink of the drawing, 0 (paper) to 1 (full ink), as :func:`strokes_to_ink` draws it.

    Returns
    -------
    (28, 28) float64 array in [0, 1]
        Ink high, paper 0, like :func:`utils.prepare_images` of an MNIST digit; all zeros for a
        drawing without ink.
    """
    ink = np.asarray(ink, dtype=np.float64)
    if ink.ndim != 2:
        raise ValueError(f"ink must be a 2-D array (H, W), got shape {ink.shape}")
    if not np.all(np.isfinite(ink)) or ink.min(initial=0) < 0 or ink.max(initial=0) > 1:
        raise ValueError("ink must hold values from 0 (paper) to 1 (full ink)")
    field = np.zeros((FIELD, FIELD))
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return field
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    new_height = max(1, _round_half_up(height * scale))
    new_width = max(1, _round_half_up(width * scale))
    scaled = _area_weights(height, new_height) @ crop @ _area_weights(width, new_width).T
    scaled = np.clip(scaled, 0.0, 1.0)  # an average of ink in [0, 1], but for round-off
    mass = scaled.sum()
    cy = (scaled.sum(axis=1) @ (np.arange(new_height) + 0.5)) / mass
    cx = (scaled.sum(axis=0) @ (np.arange(new_width) + 0.5)) / mass
    top = min(max(_round_half_up(FIELD / 2 - cy), 0), FIELD - new_height)
    left = min(max(_round_half_up(FIELD / 2 - cx), 0), FIELD - new_width)
    field[top : top + new_height, left : left + new_width] = scaled
    return field
