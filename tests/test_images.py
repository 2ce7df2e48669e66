"""utils.check_image_folder: a learner's folder of photos, checked before training.

The folder of bad cases holds what a phone or a file manager leaves behind (a HEIC photo, a text
file, a system file, a file outside any class, a corrupt JPEG, an empty class); the check is held
against what ``keras.utils.image_dataset_from_directory`` itself indexes and what it fails on.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import utils


def write_image(path, seed, fmt="png"):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    encode = tf.io.encode_png if fmt == "png" else tf.io.encode_jpeg
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(pixels).numpy())


@pytest.fixture
def bad_folder(tmp_path):
    folder = tmp_path / "photos"
    for k in range(12):
        write_image(folder / "cats" / f"cat_{k:02}.png", k)
        write_image(folder / "dogs" / f"dog_{k:02}.jpg", 100 + k, fmt="jpeg")
    write_image(folder / "dogs" / "more" / "puppy.PNG", 200)  # nested, upper-case extension
    (folder / "dogs" / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    (folder / "dogs" / "notes.txt").write_text("which dog is which")
    (folder / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "cats" / ".DS_Store").write_bytes(bytes(16))
    (folder / "birds").mkdir()
    (folder / ".thumbnails").mkdir()
    write_image(folder / "stray.png", 300)
    return folder


def test_reports_every_file_it_cannot_use_and_why(bad_folder):
    report = utils.check_image_folder(bad_folder)
    assert report.counts == {"birds": 0, "cats": 12, "dogs": 13}
    skipped = {path.name: why for path, why in report.skipped}
    assert set(skipped) == {"IMG_0001.HEIC", "notes.txt", "stray.png"}
    assert (
        "HEIC photo" in skipped["IMG_0001.HEIC"]
        and "convert it to JPEG" in skipped["IMG_0001.HEIC"]
    )
    assert "not an image format Keras reads (.txt" in skipped["notes.txt"]
    assert skipped["stray.png"] == "not inside a class folder"
    assert [path.name for path, _ in report.unreadable] == ["broken.jpg"]
    assert "cannot be decoded" in report.unreadable[0][1]
    assert not report.ok
    assert report.problems == [
        "class birds has 0 usable images; it needs at least 10",
        "1 image files cannot be read and would stop training: fix or delete them",
    ]
    text = str(report)
    assert "dogs/IMG_0001.HEIC: a HEIC photo" in text and "Training cannot work yet:" in text


def test_agrees_with_what_keras_reads_and_fails_on(bad_folder):
    report = utils.check_image_folder(bad_folder)
    dataset = keras.utils.image_dataset_from_directory(
        bad_folder, image_size=(8, 8), batch_size=None, shuffle=False, verbose=False
    )
    assert dataset.class_names == list(report.counts)  # the same classes, in the same order
    indexed = sorted(dataset.file_paths)
    expected = sorted(
        str(path)
        for path in bad_folder.rglob("*")
        if path.is_file() and path.parent != bad_folder and path not in dict(report.skipped)
        if not path.name.startswith(".")
    )
    assert indexed == expected  # usable + unreadable: every file Keras will try to read
    assert len(indexed) == sum(report.counts.values()) + len(report.unreadable)
    with pytest.raises(tf.errors.InvalidArgumentError):  # the corrupt JPEG stops an epoch
        for _ in dataset:
            pass


def test_a_repaired_folder_is_ready_and_keras_reads_all_of_it(bad_folder):
    (bad_folder / "dogs" / "broken.jpg").unlink()
    for k in range(10):
        write_image(bad_folder / "birds" / f"bird_{k}.png", 400 + k)
    report = utils.check_image_folder(bad_folder)
    assert report.ok and report.unreadable == [] and report.counts["birds"] == 10
    assert str(report).endswith("Ready to train.")
    dataset = keras.utils.image_dataset_from_directory(
        bad_folder, image_size=(8, 8), batch_size=None, verbose=False
    )
    assert sum(1 for _ in dataset) == sum(report.counts.values()) == 35


def test_no_class_or_a_single_class_cannot_train(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    write_image(empty / "loose.png", 0)
    report = utils.check_image_folder(empty)
    assert report.problems == [
        "no class folders: put each class's images in a sub-folder named after the class"
    ]
    single = tmp_path / "single"
    for k in range(10):
        write_image(single / "cats" / f"{k}.png", k)
    assert utils.check_image_folder(single).problems == [
        "only one class (cats): a classifier needs at least two sub-folders"
    ]


def test_min_images_sets_the_bar(bad_folder):
    report = utils.check_image_folder(bad_folder, min_images=13, decode=False)
    assert report.unreadable == []  # not decoded: broken.jpg counts as usable
    assert "class cats has 12 usable images; it needs at least 13" in report.problems
    assert not any("dogs" in problem for problem in report.problems)  # 14 files with .jpg/.png


def test_bad_arguments_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist: give the folder"):
        utils.check_image_folder(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="is a file, not a folder"):
        utils.check_image_folder(tmp_path / "file.png")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="min_images must be a positive integer"):
            utils.check_image_folder(tmp_path, min_images=bad)
