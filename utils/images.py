"""A folder of images, one sub-folder per class, checked before training (chapter 9).

``keras.utils.image_dataset_from_directory`` reads such a folder, but what goes wrong with a
learner's own photos shows late or not at all: a file it cannot decode stops training in the middle
of an epoch with a TensorFlow error, photos in a format it does not read (HEIC, the default of
many phones) are skipped without a word, and a class left empty or alone makes a network that
learns nothing. :func:`check_image_folder` finds all of it first and says it in plain words.
"""

from __future__ import annotations

import os
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

    ``counts`` maps each class (sub-folder) to its number of usable images, in Keras' order;
    ``skipped`` lists ``(path, reason)`` for files Keras will not read; ``unreadable`` lists
    ``(path, reason)`` for image files that cannot be decoded (they would stop training);
    ``problems`` says why training cannot work, if it cannot.
    """

    folder: Path
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{self.folder.name}/: {len(self.counts)} classes"]
        lines += [f"  {name}: {count} usable images" for name, count in self.counts.items()]
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


def _decode_problem(path: Path) -> str | None:
    """Why TensorFlow cannot decode the file as Keras would, or None if it can."""
    import tensorflow as tf

    try:
        data = tf.io.read_file(str(path))
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError) as error:
        message = str(getattr(error, "message", error)).strip().splitlines()[0]
        return f"cannot be decoded ({message}): re-save it, or delete it"
    if min(image.shape[:2]) < 1:
        return "holds no pixels: re-save it, or delete it"
    return None


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
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(
            f"{folder} {what}: give the folder that holds one sub-folder per class"
        )
    if isinstance(min_images, bool) or not isinstance(min_images, int) or min_images < 1:
        raise ValueError(f"min_images must be a positive integer, got {min_images!r}")

    report = FolderReport(folder=folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for stray in sorted(p for p in folder.iterdir() if p.is_file()):
        if not stray.name.startswith("."):
            report.skipped.append((stray, "not inside a class folder"))
    for name in classes:
        usable = 0
        for root, dirs, files in os.walk(folder / name):
            dirs.sort()
            for filename in sorted(files):
                path = Path(root) / filename
                if filename.startswith("."):
                    continue  # system files (.DS_Store): Keras skips them, nobody wants them
                if not filename.lower().endswith(KERAS_FORMATS):
                    report.skipped.append((path, _skip_reason(path)))
                    continue
                problem = _decode_problem(path) if decode else None
                if problem:
                    report.unreadable.append((path, problem))
                else:
                    usable += 1
        report.counts[name] = usable

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
