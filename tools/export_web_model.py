"""Export the course CNN for the page "Draw a digit" (``book/live_network.md``).

    python tools/export_web_model.py OUT.js [--dtype float32]   # the network's weights
    python tools/export_web_model.py --digits                   # the page's MNIST test digits

The book's build writes ``_static/live/seed_cnn_mnist.js`` with :func:`network_script` from
the committed network (``utils/models/seed_cnn_mnist.weights.npz``) in float16, the page's
default (``tools/sphinx_fixes.py``); the tests write a float32 copy to compare with Keras.
The script is JavaScript, not JSON, so that the page loads it with a ``<script>`` tag and
works opened from the disk (``file://``) too, where a browser refuses ``fetch``.

``--digits`` rewrites the committed ``web/_static/live/mnist_digits.js``: two MNIST test images
of each digit, the first of each in the test set, that the page offers with one click (a
sample of 20 images, not the data set). It needs the data (``utils.load_mnist``).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NETWORK = ROOT / "utils" / "models" / "seed_cnn_mnist.weights.npz"
DIGITS = ROOT / "web" / "_static" / "live" / "mnist_digits.js"
OUTPUT = Path("_static") / "live" / "seed_cnn_mnist.js"  # inside the built book
LAYERS = ("conv1", "conv2", "dense", "output")
DTYPES = ("float16", "float32")
PER_DIGIT = 2


def weights(path: Path = NETWORK) -> dict[str, np.ndarray]:
    """The network's arrays by name (``conv1.kernel``, ``conv1.bias``, ...), in page order."""
    with np.load(path) as stored:
        config = json.loads(str(stored["config"]))
        expected = {"padding": "valid", "dense_units": 1024, "kernel_size": 5}
        for key, value in expected.items():
            if config.get(key, value) != value:
                raise ValueError(f"{path.name}: the page computes {key}={value}, not {config}")
        names = [f"{layer}.{part}" for layer in LAYERS for part in ("kernel", "bias")]
        missing = [name for name in names if name not in stored]
        if missing:
            raise ValueError(f"{path.name} lacks {', '.join(missing)}")
        return {name: stored[name] for name in names}


def magma() -> list[str]:
    """Chapter 7's colour map for feature maps, 256 steps as ``#rrggbb``."""
    import matplotlib as mpl
    import matplotlib.colors as mcolors

    return [mcolors.to_hex(colour) for colour in mpl.colormaps["magma"](np.linspace(0, 1, 256))]


def network_script(dtype: str = "float16", path: Path = NETWORK) -> str:
    """JavaScript that sets ``window.cnnLiveNetwork``: the weights in ``dtype``, little-endian,
    base64-encoded in one block, with each array's name, shape and place in it."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    arrays, offset, blob = [], 0, bytearray()
    for name, array in weights(path).items():
        values = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
        arrays.append({"name": name, "shape": list(array.shape), "offset": offset})
        offset += values.size
        blob += values.tobytes()
    network = {
        "source": f"utils/models/{path.name}",
        "dtype": dtype,
        "arrays": arrays,
        "colormap": magma(),
        "data": base64.b64encode(bytes(blob)).decode("ascii"),
    }
    header = "// The course CNN for the page 'Draw a digit': tools/export_web_model.py\n"
    return header + f"window.cnnLiveNetwork = {json.dumps(network)};\n"


def write_network(out: Path, dtype: str = "float16") -> Path:
    """Write :func:`network_script` to ``out``, leaving a file that already holds it untouched
    (so that a rebuild of an unchanged book leaves the built files as they were)."""
    script = network_script(dtype)
    if not (out.is_file() and out.read_text() == script):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(script)
    return out


def digit_indices(labels: np.ndarray, per_digit: int = PER_DIGIT) -> list[int]:
    """The first ``per_digit`` test images of each digit, digit by digit."""
    return [int(i) for digit in range(10) for i in np.flatnonzero(labels == digit)[:per_digit]]


def digits_script(images: np.ndarray, labels: np.ndarray) -> str:
    """JavaScript that sets ``window.cnnLiveDigits``: the chosen test digits, uint8 pixels."""
    digits = [
        {
            "index": index,
            "label": int(labels[index]),
            "pixels": base64.b64encode(np.ascontiguousarray(images[index], np.uint8)).decode(),
        }
        for index in digit_indices(labels)
    ]
    header = (
        "// MNIST test digits for the page 'Draw a digit': tools/export_web_model.py --digits\n"
    )
    sample = json.dumps({"set": "MNIST test", "digits": digits})
    return header + f"window.cnnLiveDigits = {sample};\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="where to write the network's script")
    parser.add_argument("--dtype", choices=DTYPES, default="float16")
    parser.add_argument("--digits", action="store_true", help=f"rewrite {DIGITS.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.digits:
        sys.path.insert(0, str(ROOT))
        import utils

        (_, _), (x_test, y_test) = utils.load_mnist()
        DIGITS.parent.mkdir(parents=True, exist_ok=True)
        DIGITS.write_text(digits_script(x_test, y_test))
        print(f"{DIGITS.relative_to(ROOT)}: {10 * PER_DIGIT} digits")
    if args.out:
        written = write_network(args.out, args.dtype)
        print(f"{written}: {written.stat().st_size / 1e6:.2f} MB ({args.dtype})")
    if not (args.digits or args.out):
        parser.error("name a file to write the network to, or --digits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
