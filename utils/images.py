"""A folder of images, one sub-folder per class, checked before training (chapter 9).

``keras.utils.image_dataset_from_directory`` reads such a folder, but what goes wrong with a
learner's own photos shows late or not at all: a file it cannot decode stops training in the middle
of an epoch with a TensorFlow error, photos in a format it does not read (HEIC, the default of
many phones) are skipped without a word, and a class left empty or alone makes a network that
learns nothing. :func:`check_image_folder` finds all of it first and says it in plain words.

:func:`find_image_folder` turns chapter 9's one choice of images into a folder: a path on this
machine, or, on Colab, a zip of the folder uploaded from the learner's computer
(:func:`unpack_image_zip`) or a folder on their Google Drive.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

KERAS_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""The file extensions ``image_dataset_from_directory`` reads (any other file is skipped)."""

_PHONE_FORMATS = {
    ".heic": "a HEIC photo (the default of many phones)",
    ".heif": "a HEIF photo (the default of many phones)",
    ".webp": "a WebP image",
    ".tif": "a TIFF image",
    ".tiff": "a TIFF image",
    ".avif": "an AVIF image",
}


@dataclass
class FolderReport:
    """What :func:`check_image_folder` found.

    ``images`` maps each class (sub-folder), in Keras' order, to the paths of its usable images,
    and ``sizes`` to their ``(height, width)`` (when the images were decoded); ``counts`` maps
    each class to its number of usable images; ``skipped`` lists ``(path, reason)`` for files
    Keras will not read; ``unreadable`` lists ``(path, reason)`` for image files that cannot be
    decoded (they would stop training); ``problems`` says why training cannot work, if it cannot.
    """

    folder: Path
    images: dict[str, list[Path]] = field(default_factory=dict)
    sizes: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(paths) for name, paths in self.images.items()}

    @property
    def ok(self) -> bool:
        return not self.problems

    def _class_line(self, name: str) -> str:
        line = f"  {name}: {len(self.images[name])} usable images"
        sizes = self.sizes.get(name)
        if sizes:
            heights, widths = zip(*sizes, strict=True)
            line += (
                f", {min(heights)} to {max(heights)} pixels high, "
                f"{min(widths)} to {max(widths)} wide"
            )
        return line

    def __str__(self) -> str:
        lines = [f"{self.folder.name}/: {len(self.images)} classes"]
        lines += [self._class_line(name) for name in self.images]
        if self.skipped:
            lines.append(f"{len(self.skipped)} files that Keras will skip:")
            lines += [f"  {_relative(path, self.folder)}: {why}" for path, why in self.skipped]
        if self.unreadable:
            lines.append(f"{len(self.unreadable)} image files that cannot be read:")
            lines += [f"  {_relative(path, self.folder)}: {why}" for path, why in self.unreadable]
        if self.problems:
            lines.append("Training cannot work yet:")
            lines += [f"  - {problem}" for problem in self.problems]
        else:
            lines.append("Ready to train.")
        return "\n".join(lines)


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def _existing_folder(folder) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(
            f"{folder} {what}: give the folder that holds one sub-folder per class"
        )
    return folder


def _skip_reason(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _PHONE_FORMATS:
        return (
            f"{_PHONE_FORMATS[suffix]}, which Keras cannot read: convert it to JPEG or PNG "
            "(on a phone, export or share as JPEG)"
        )
    return (
        f"not an image format Keras reads ({suffix or 'no extension'}; it reads "
        f"{', '.join(KERAS_FORMATS)})"
    )


def _decode(path: Path) -> tuple[str | None, tuple[int, int] | None]:
    """Decode the file as Keras would: (why it cannot be, None) or (None, (height, width))."""
    import tensorflow as tf

    try:
        data = tf.io.read_file(str(path))
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError) as error:
        message = str(getattr(error, "message", error)).strip().splitlines()[0]
        return f"cannot be decoded ({message}): re-save it, or delete it", None
    if min(image.shape[:2]) < 1:
        return "holds no pixels: re-save it, or delete it", None
    return None, (int(image.shape[0]), int(image.shape[1]))


def check_image_folder(folder, *, min_images: int = 10, decode: bool = True) -> FolderReport:
    """Check a folder of images the way ``image_dataset_from_directory`` will read it.

    Each sub-folder (not starting with ``.``) is a class; every file under it, at any depth, is
    an image of that class if its extension is one of :data:`KERAS_FORMATS`, and skipped
    otherwise. The check reports, in plain words, every file that will be skipped and why (a
    phone's HEIC photo, a stray text file), every image file that cannot be decoded (it would stop
    training in the middle of an epoch), and why training cannot work: no class, a single class,
    or a class with fewer than ``min_images`` usable images.

    Parameters
    ----------
    folder : str or Path
        The folder, one sub-folder per class.
    min_images : int
        Fewest usable images a class may have (a validation split needs some of them too).
    decode : bool
        Decode every image with TensorFlow, as Keras will (slower: one pass over the files).

    Returns
    -------
    FolderReport
        Print it to read it; ``report.ok`` is False when training cannot work.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist or is not a folder.
    ValueError
        If ``min_images`` is not a positive integer.
    """
    folder = _existing_folder(folder)
    if isinstance(min_images, bool) or not isinstance(min_images, int) or min_images < 1:
        raise ValueError(f"min_images must be a positive integer, got {min_images!r}")

    report = FolderReport(folder=folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for stray in sorted(p for p in folder.iterdir() if p.is_file()):
        if not stray.name.startswith("."):
            report.skipped.append((stray, "not inside a class folder"))
    for name in classes:
        report.images[name] = []
        if decode:
            report.sizes[name] = []
        for root, dirs, files in os.walk(folder / name):
            dirs.sort()
            for filename in sorted(files):
                path = Path(root) / filename
                if filename.startswith("."):
                    continue  # system files (.DS_Store): Keras skips them, nobody wants them
                if not filename.lower().endswith(KERAS_FORMATS):
                    report.skipped.append((path, _skip_reason(path)))
                    continue
                problem, size = _decode(path) if decode else (None, None)
                if problem:
                    report.unreadable.append((path, problem))
                    continue
                report.images[name].append(path)
                if size:
                    report.sizes[name].append(size)

    if not classes:
        report.problems.append(
            "no class folders: put each class's images in a sub-folder named after the class"
        )
    elif len(classes) == 1:
        report.problems.append(
            f"only one class ({classes[0]}): a classifier needs at least two sub-folders"
        )
    for name, count in report.counts.items():
        if count < min_images:
            report.problems.append(
                f"class {name} has {count} usable images; it needs at least {min_images}"
            )
    if report.unreadable:
        report.problems.append(
            f"{len(report.unreadable)} image files cannot be read and would stop training: "
            "fix or delete them"
        )
    return report


COLAB_DRIVE = Path("/content/drive")
"""Where :func:`find_image_folder` mounts Google Drive on Colab (Colab's own convention)."""


def _on_colab() -> bool:
    return "google.colab" in sys.modules


def _colab(module: str, choice: str):
    """``google.colab.<module>``, or a clear error where there is no Colab."""
    if not _on_colab():
        raise RuntimeError(
            f"{choice!r} works on Colab only, and this notebook is not running there: on this "
            "machine, give the path of your folder instead (for example 'my_images')"
        )
    import importlib

    return getattr(importlib.import_module("google.colab"), module)


def unpack_image_zip(source, target="my_images") -> Path:
    """Unpack a zip of a folder of images into ``target``; return the folder of class folders.

    ``source`` is the zip's path or its bytes. The zip may hold the class folders themselves or
    one folder around them (what zipping ``my_images/`` gives); the folder returned is the one
    whose sub-folders are the classes. What a Mac adds to a zip (``__MACOSX/``, ``._`` files)
    is left out, and so is anything that would land outside ``target``.

    Raises
    ------
    ValueError
        If ``source`` is not a zip file, or holds no folder.
    """
    target = Path(target)
    data = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        archive = zipfile.ZipFile(data)
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"not a zip file ({error}): zip the folder of images (one sub-folder per class) "
            "and upload the .zip"
        ) from None
    with archive:
        for member in archive.infolist():
            parts = Path(member.filename).parts
            unsafe = member.filename.startswith(("/", "\\")) or ".." in parts
            mac = parts[:1] == ("__MACOSX",) or (parts and parts[-1].startswith("._"))
            if not (unsafe or mac):
                archive.extract(member, target)
    folder = target
    while True:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
        inner = [p for p in entries if p.is_dir()]
        if len(entries) == 1 and inner and all(p.is_dir() for p in inner[0].iterdir()):
            folder = inner[0]  # one folder around the class folders
        else:
            break
    if not any(p.is_dir() for p in folder.iterdir()):
        raise ValueError(
            f"the zip holds no folder: zip the folder of images itself, with one sub-folder "
            f"per class inside it (unpacked into {target})"
        )
    return folder


def find_image_folder(choice, *, target="my_images") -> Path:
    """The folder of images that chapter 9's one choice names.

    ``choice`` is one of:

    - the path of a folder on this machine (a ``str`` or ``Path``), returned as it is;
    - ``"upload"``, on Colab: asks for a zip of the folder (Colab's file chooser,
      ``google.colab.files.upload``) and unpacks it into ``target`` (:func:`unpack_image_zip`);
    - ``"drive:<folder>"``, on Colab: mounts Google Drive at ``/content/drive`` and returns
      ``<folder>`` inside "My Drive" (for example ``"drive:my_images"``).

    Raises
    ------
    RuntimeError
        For ``"upload"`` or ``"drive:..."`` where the notebook does not run on Colab.
    FileNotFoundError
        If the folder does not exist, or nothing was uploaded.
    ValueError
        If the uploaded file is not a zip of a folder, or ``choice`` is empty.
    """
    if isinstance(choice, str) and choice.strip() == "":
        raise ValueError("no folder chosen: give a path, 'upload' or 'drive:<folder>' (on Colab)")
    if choice == "upload":
        files = _colab("files", choice)
        uploaded = files.upload()
        zips = {name: data for name, data in (uploaded or {}).items() if name.endswith(".zip")}
        if not zips:
            names = ", ".join(uploaded or {}) or "nothing"
            raise FileNotFoundError(
                f"no .zip was uploaded (got {names}): zip the folder of images and choose the .zip"
            )
        name, data = next(iter(zips.items()))
        return unpack_image_zip(data, target)
    if isinstance(choice, str) and choice.startswith("drive:"):
        drive = _colab("drive", "drive:")
        drive.mount(str(COLAB_DRIVE))
        inside = choice.removeprefix("drive:").strip("/")
        folder = COLAB_DRIVE / "MyDrive" / inside
        if not folder.is_dir():
            raise FileNotFoundError(
                f"no folder {inside!r} in your Google Drive ({folder}): check its name in "
                "'My Drive', or upload a zip with 'upload'"
            )
        return folder
    return _existing_folder(choice)
