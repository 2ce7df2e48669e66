"""The course's shared code: each function is taught in the chapter named in its docstring.

Later chapters import from here instead of re-defining what earlier chapters taught.
"""

from . import checks, drawing
from .conv import conv2d, pad2d
from .data import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .explorer import (
    describe_output_size,
    draw_output_size,
    geometry_explorer,
    output_size_animation,
    output_size_explorer,
    unused_pixels,
    window_starts,
)
from .images import FolderReport, check_image_folder, find_image_folder, unpack_image_zip
from .models import (
    FASHION_CNN_PATH,
    build_seed_cnn,
    format_layer_table,
    layer_table,
    load_seed_cnn,
    prepare_images,
    save_seed_cnn,
)
from .notebook import setup_notebook
from .plots import (
    CATEGORY_COLOURS,
    HIGHLIGHT,
    INPUT_CMAP,
    OUTPUT_CMAP,
    SIGNED_CMAP,
    WINNER,
    animation_html,
    architecture_blocks,
    conv_animation,
    conv_layer_animation,
    draw_architecture,
    draw_conv_layer_step,
    draw_conv_step,
    draw_grid,
    pool_animation,
)
from .pooling import avg_pool2d, max_pool2d
from .quiz import SelfCheck, self_check
from .scratch import (
    conv2d_backward,
    conv2d_forward,
    dense_backward,
    dense_forward,
    max_pool_backward,
    max_pool_forward,
    relu_backward,
    relu_forward,
    softmax_cross_entropy,
)
from .shapes import ReceptiveField, output_size, receptive_fields, same_padding
from .training import split_validation, train_seed_cnn
from .visualize import (
    grad_cam,
    logits_model,
    maximize_activation,
    occlusion_drops,
    occlusion_map,
    principal_components,
    saliency_map,
)

__all__ = [
    "FASHION_CNN_PATH",
    "FASHION_MNIST_CLASSES",
    "FolderReport",
    "ReceptiveField",
    "SIGNED_CMAP",
    "CATEGORY_COLOURS",
    "HIGHLIGHT",
    "INPUT_CMAP",
    "OUTPUT_CMAP",
    "WINNER",
    "SelfCheck",
    "animation_html",
    "architecture_blocks",
    "avg_pool2d",
    "build_seed_cnn",
    "check_image_folder",
    "checks",
    "drawing",
    "conv2d",
    "conv2d_backward",
    "conv2d_forward",
    "conv_animation",
    "conv_layer_animation",
    "dense_backward",
    "dense_forward",
    "describe_output_size",
    "draw_architecture",
    "draw_conv_layer_step",
    "draw_conv_step",
    "draw_grid",
    "draw_output_size",
    "find_image_folder",
    "format_layer_table",
    "grad_cam",
    "layer_table",
    "load_fashion_mnist",
    "load_mnist",
    "load_seed_cnn",
    "logits_model",
    "max_pool2d",
    "max_pool_backward",
    "max_pool_forward",
    "maximize_activation",
    "occlusion_drops",
    "occlusion_map",
    "output_size",
    "output_size_animation",
    "output_size_explorer",
    "geometry_explorer",
    "pad2d",
    "pool_animation",
    "prepare_images",
    "principal_components",
    "receptive_fields",
    "relu_backward",
    "relu_forward",
    "saliency_map",
    "same_padding",
    "save_seed_cnn",
    "self_check",
    "setup_notebook",
    "softmax_cross_entropy",
    "split_validation",
    "train_seed_cnn",
    "unpack_image_zip",
    "unused_pixels",
    "window_starts",
]
