"""Page images: originals byte for byte with their SHA-256, display copies without metadata,
and every bad upload refused with a clear message and nothing stored."""

import hashlib
import io

import pytest
from PIL import Image

from translations import services
from translations.exceptions import DuplicateImage, ImageRejected
from translations.models import DocumentImage


def jpeg_with_gps(size=(64, 48), orientation=None):
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    gps = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}
    exif[0x8825] = gps
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def add(document, user, data, filename="page.jpg"):
    return services.document_image_add(document=document, user=user, upload=io.BytesIO(data), filename=filename)


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_original_is_kept_byte_for_byte_with_its_sha256(document, people):
    data = jpeg_with_gps()
    image = add(document, people["translator"], data)
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    with image.original.open("rb") as stored:
        assert stored.read() == data
    assert (image.image_format, image.width, image.height, image.byte_size) == ("JPEG", 64, 48, len(data))


def test_the_display_copy_carries_no_exif_and_is_upright(document, people):
    data = jpeg_with_gps(size=(64, 48), orientation=6)  # rotated 90° on the camera
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    image = add(document, people["translator"], data)
    with image.display.open("rb") as stored:
        display = Image.open(io.BytesIO(stored.read()))
        assert len(display.getexif()) == 0
        assert "exif" not in display.info and "icc_profile" not in display.info
        assert display.size == (48, 64)
    with image.display.open("rb") as stored:
        raw = stored.read()
    assert b"SERIAL-12345" not in raw and b"CameraMaker" not in raw


@pytest.mark.parametrize(
    ("label", "payload", "filename", "message"),
    [
        ("text named .jpg", b"just some text, not a picture", "page.jpg", "not a JPEG, PNG, WebP or TIFF"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "page.svg",
         "not a JPEG, PNG, WebP or TIFF"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "page.gif", "not a JPEG, PNG, WebP or TIFF"),
        ("empty", b"", "page.png", "empty"),
        ("truncated", None, "page.jpg", "damaged or truncated"),
    ],
)
def test_bad_uploads_are_refused_clearly_and_store_nothing(document, people, settings, label, payload, filename, message):
    if payload is None:
        payload = jpeg_with_gps(size=(400, 400))[:600]
    with pytest.raises(ImageRejected, match=message):
        add(document, people["translator"], payload, filename)
    assert DocumentImage.objects.count() == 0 and DocumentImage.history.count() == 0
    assert stored_files(settings) == []


def test_files_over_the_size_limit_are_refused(document, people, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ImageRejected, match="larger than the limit"):
        add(document, people["translator"], jpeg_with_gps(size=(300, 300)) + b"\0" * 2000)
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_decompression_bombs_are_refused(document, people, settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    buffer = io.BytesIO()
    Image.new("1", (2000, 2000)).save(buffer, format="PNG")  # tiny file, 4 megapixels
    with pytest.raises(ImageRejected, match="decompression bomb"):
        add(document, people["translator"], buffer.getvalue(), "bomb.png")
    assert DocumentImage.objects.count() == 0 and stored_files(settings) == []


def test_the_same_bytes_twice_on_one_document_are_detected(document, people, settings):
    data = jpeg_with_gps()
    add(document, people["translator"], data)
    files = stored_files(settings)
    with pytest.raises(DuplicateImage):
        add(document, people["translator"], data, "copy.jpg")
    assert DocumentImage.objects.count() == 1 and stored_files(settings) == files


@pytest.mark.parametrize("image_format", ["PNG", "WEBP", "TIFF"])
def test_other_allowed_formats_are_accepted(document, people, image_format):
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 128)).save(buffer, format=image_format)
    image = add(document, people["translator"], buffer.getvalue(), f"page.{image_format.lower()}")
    assert image.image_format == image_format
