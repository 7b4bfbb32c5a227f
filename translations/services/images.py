"""Page images: the original kept byte for byte, a display copy stripped of metadata."""

import hashlib
import io
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import DuplicateImage, ImageRejected
from ..history import save_tracked
from ..models import Document, DocumentImage
from ..permissions import Action, require
from ..storage import refuse_if_disk_full

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")


def _read_limited(upload, limit: int) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImageRejected(f"The file is larger than the limit of {limit // (1024 * 1024)} MB.")
    if not data:
        raise ImageRejected("The file is empty.")
    return data


def _inspect(data: bytes) -> tuple[str, int, int]:
    """Return (format, width, height) of a complete, allowed image, or raise ImageRejected."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
                image.load()
                return image.format, image.width, image.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            "The image has too many pixels to be processed safely (possible decompression bomb)."
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected("The file is not a JPEG, PNG, WebP or TIFF image, whatever its name says.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRejected(f"The image is damaged or truncated ({error}).") from None


def _display_copy(data: bytes) -> tuple[bytes, str]:
    """Re-encode the first frame, upright, with no metadata of any kind."""
    with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as image:
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        if has_alpha:
            clean = upright.convert("RGBA")
            extension, save_kwargs = ".png", {"format": "PNG", "optimize": True}
        else:
            clean = upright.convert("RGB")
            extension, save_kwargs = ".jpg", {"format": "JPEG", "quality": 88, "optimize": True}
        # A fresh image carries no info dict: EXIF, XMP, ICC comments and GPS are not copied.
        stripped = Image.new(clean.mode, clean.size)
        stripped.paste(clean)
        out = io.BytesIO()
        stripped.save(out, **save_kwargs)
        return out.getvalue(), extension


def document_image_add(*, document: Document, user, upload, filename: str, reason: str = "") -> DocumentImage:
    """Store a page photograph. The SHA-256 is of the exact bytes received;
    the same bytes uploaded twice to one document are refused. A full disk
    refuses the upload with StorageFull, leaving no row and no file."""
    require(user, Action.TRANSCRIBE, document.project)
    data = _read_limited(upload, settings.IMAGE_UPLOAD_MAX_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if DocumentImage.objects.filter(document=document, sha256=digest).exists():
        raise DuplicateImage("This exact file is already attached to this document.")
    image_format, width, height = _inspect(data)
    display_bytes, display_extension = _display_copy(data)
    safe_name = (filename or "upload").replace("\x00", "")[-255:]

    stored = []
    try:
        with transaction.atomic():
            position = (DocumentImage.objects.filter(document=document).aggregate(m=Max("position"))["m"] or 0) + 1
            image = DocumentImage(
                document=document,
                position=position,
                original_filename=safe_name,
                sha256=digest,
                image_format=image_format,
                byte_size=len(data),
                width=width,
                height=height,
                uploaded_by=user,
            )
            image.original.save("original", ContentFile(data), save=False)
            stored.append(image.original.name)
            image.display.save(f"display{display_extension}", ContentFile(display_bytes), save=False)
            stored.append(image.display.name)
            save_tracked(image, user=user, reason=reason or f"Uploaded page image {safe_name}")
    except IntegrityError:
        _remove(stored)
        raise DuplicateImage("This exact file is already attached to this document.") from None
    except BaseException as error:
        _remove(stored)
        refuse_if_disk_full(error)
        raise
    return image


def _remove(names):
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass
