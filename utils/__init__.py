"""The course's shared code: each function is taught in the chapter named in its docstring.

Later chapters import from here instead of re-defining what earlier chapters taught.
"""

from .conv import conv2d, pad2d
from .data import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .notebook import setup_notebook
from .plots import animation_html, conv_animation, draw_grid
from .pooling import avg_pool2d, max_pool2d
from .shapes import output_size, same_padding

__all__ = [
    "FASHION_MNIST_CLASSES",
    "animation_html",
    "avg_pool2d",
    "conv2d",
    "conv_animation",
    "draw_grid",
    "load_fashion_mnist",
    "load_mnist",
    "max_pool2d",
    "output_size",
    "pad2d",
    "same_padding",
    "setup_notebook",
]
