"""utils.check_image_folder and utils.find_image_folder: a learner's folder of photos.

The folder of bad cases holds what a phone or a file manager leaves behind (a HEIC photo, a text
file, a system file, a file outside any class, a corrupt JPEG, an empty class); the check is held
against what ``keras.utils.image_dataset_from_directory`` itself indexes and what it fails on.
Colab's upload and Google Drive are tried with a stand-in for ``google.colab`` that behaves as
Colab's does: ``files.upload()`` returns the chosen files' names and bytes, ``drive.mount(path)``
makes "My Drive" appear under ``path``.
"""

import io
import shutil
import sys
import types
import zipfile
from pathlib import Path

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


# ----------------------------------------------------------------------------------------------
# Choosing the folder: a path here, an uploaded zip or Google Drive on Colab


def zip_of(folder, *, around=True, extra=()):
    """The bytes of a zip of ``folder`` (inside a folder of its name if ``around``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder.parent if around else folder)
                archive.write(path, str(name))
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def good_folder(tmp_path):
    folder = tmp_path / "source" / "my_images"
    for k in range(10):
        write_image(folder / "cats" / f"cat_{k}.png", k)
        write_image(folder / "dogs" / f"dog_{k}.jpg", 50 + k, fmt="jpeg")
    return folder


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """A stand-in for ``google.colab``: set ``colab.uploads`` to what the learner chooses."""
    module = types.ModuleType("google.colab")
    module.uploads = {}
    module.mounted = []
    module.files = types.SimpleNamespace(upload=lambda: dict(module.uploads))

    def mount(path):
        module.mounted.append(path)
        (Path(path) / "MyDrive").mkdir(parents=True, exist_ok=True)

    module.drive = types.SimpleNamespace(mount=mount)
    monkeypatch.setitem(sys.modules, "google.colab", module)
    monkeypatch.setattr(utils.images, "COLAB_DRIVE", tmp_path / "content" / "drive")
    monkeypatch.chdir(tmp_path)
    return module


def test_a_path_is_the_folder_and_a_wrong_one_is_named(good_folder):
    assert utils.find_image_folder(good_folder) == good_folder
    assert utils.find_image_folder(str(good_folder)) == good_folder
    with pytest.raises(FileNotFoundError, match="my_imags does not exist: give the folder"):
        utils.find_image_folder(good_folder.parent / "my_imags")
    with pytest.raises(ValueError, match="no folder chosen"):
        utils.find_image_folder("  ")


def test_upload_and_drive_say_they_need_colab_elsewhere(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for choice in ("upload", "drive:my_images"):
        with pytest.raises(RuntimeError, match="works on Colab only.*give the path of your"):
            utils.find_image_folder(choice)


def test_an_uploaded_zip_becomes_a_folder_ready_to_train(colab, good_folder, tmp_path):
    junk = [("__MACOSX/my_images/._cat_0.png", b"mac"), ("../escaped.txt", b"outside")]
    colab.uploads = {"my_images.zip": zip_of(good_folder, extra=junk)}
    folder = utils.find_image_folder("upload", target=tmp_path / "unpacked")
    assert folder == tmp_path / "unpacked" / "my_images"
    report = utils.check_image_folder(folder)
    assert report.ok and report.counts == {"cats": 10, "dogs": 10} and report.skipped == []
    assert (
        not (tmp_path / "escaped.txt").exists()
        and not (tmp_path / "unpacked" / "__MACOSX").exists()
    )


def test_a_zip_of_the_class_folders_themselves_works_too(colab, good_folder, tmp_path):
    colab.uploads = {"photos.zip": zip_of(good_folder, around=False)}
    folder = utils.find_image_folder("upload", target=tmp_path / "unpacked")
    assert folder == tmp_path / "unpacked"
    assert utils.check_image_folder(folder).counts == {"cats": 10, "dogs": 10}
    # a single class stays a single class (not mistaken for a folder around the classes)
    single = utils.unpack_image_zip(zip_of(good_folder / "cats"), tmp_path / "one")
    assert utils.check_image_folder(single).problems == [
        "only one class (cats): a classifier needs at least two sub-folders"
    ]


def test_uploads_that_are_not_a_zip_of_a_folder_get_clear_errors(colab, good_folder, tmp_path):
    colab.uploads = {"cat_0.png": b"..."}
    with pytest.raises(FileNotFoundError, match=r"no .zip was uploaded \(got cat_0.png\)"):
        utils.find_image_folder("upload")
    colab.uploads = {}
    with pytest.raises(FileNotFoundError, match=r"\(got nothing\)"):
        utils.find_image_folder("upload")
    colab.uploads = {"my_images.zip": b"not a zip at all"}
    with pytest.raises(ValueError, match="not a zip file .*zip the folder of images"):
        utils.find_image_folder("upload")
    flat = zip_of(good_folder / "cats", around=False)  # images, no folder
    with pytest.raises(ValueError, match="the zip holds no folder"):
        utils.unpack_image_zip(flat, tmp_path / "flat")


def test_drive_is_mounted_and_the_folder_found_in_my_drive(colab, good_folder):
    my_drive = utils.images.COLAB_DRIVE / "MyDrive"
    with pytest.raises(FileNotFoundError, match="no folder 'my_images' in your Google Drive"):
        utils.find_image_folder("drive:my_images")
    assert colab.mounted == [str(utils.images.COLAB_DRIVE)]
    shutil.copytree(good_folder, my_drive / "courses" / "my_images")
    folder = utils.find_image_folder("drive:/courses/my_images/")
    assert folder == my_drive / "courses" / "my_images"
    assert utils.check_image_folder(folder).ok


def test_the_report_gives_each_class_its_image_sizes(good_folder):
    report = utils.check_image_folder(good_folder)
    assert report.sizes == {"cats": [(12, 16)] * 10, "dogs": [(12, 16)] * 10}
    assert [p.name for p in report.images["cats"]] == [f"cat_{k}.png" for k in range(10)]
    assert "cats: 10 usable images, 12 to 12 pixels high, 16 to 16 wide" in str(report)
    assert utils.check_image_folder(good_folder, decode=False).sizes == {}
