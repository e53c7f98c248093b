"""Photos as they arrive and as they are stored: checked by their content (not their name or the
content type the client claims) and re-written without metadata.

Every stored photo loses its metadata, not only the public channel's: any photo of a case may later
be shown outside (Open311, the public case page, an exported report), and a phone's EXIF carries
the GPS position (often a citizen's home), the time and the device's serial number. The case keeps
its own location and times, so nothing of value is lost. The EXIF orientation is applied to the
pixels first, so that the photo still shows upright; the colour profile is kept."""
import io
import os
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ApplicationError

# MPO is what Pillow calls a JPEG carrying extra pictures (depth map, preview), as many phones
# write them: accepted as a JPEG and stored as one (its first picture only).
ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
STORED_FORMATS = {"MPO": "JPEG"}
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
ORIENTATION = 0x0112  # the EXIF tag


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, extra={"field": "photos"})


def photo_validate(photo: UploadedFile) -> str:
    """Check an upload by its content: a JPEG, PNG or WebP image under the size limit
    (MAX_UPLOAD_BYTES) and the pixel limit (MAX_IMAGE_PIXELS, against decompression bombs).
    Returns the content type."""
    limit = settings.MAX_UPLOAD_BYTES
    if photo.size > limit:
        raise _refuse(
            _("照片“%(name)s”过大（%(size).1f MB），上限为 %(limit).0f MB。")
            % {"name": photo.name, "size": photo.size / 2**20, "limit": limit / 2**20}
        )
    max_pixels = settings.MAX_IMAGE_PIXELS
    try:
        photo.seek(0)
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; any bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(photo) as image:
                image_format = image.format
                pixels = image.width * image.height
                if pixels > max_pixels:
                    raise Image.DecompressionBombError(pixels)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            _("图片“%(name)s”的像素过多，上限为 %(limit).0f 百万像素。")
            % {"name": photo.name, "limit": max_pixels / 1e6}
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError):
        raise _refuse(_("文件“%(name)s”不是有效的图片。") % {"name": photo.name}) from None
    finally:
        photo.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise _refuse(
            _("图片“%(name)s”的格式 %(format)s 不受支持，请上传 JPEG、PNG 或 WebP。")
            % {"name": photo.name, "format": image_format}
        )
    return ALLOWED_IMAGE_FORMATS[image_format]


def photo_clean(photo: UploadedFile) -> ContentFile:
    """The photo re-written in its own format without EXIF, XMP, comments or text chunks (no GPS
    position), upright, and named by its real format. Call photo_validate first."""
    photo.seek(0)
    try:
        with Image.open(photo) as image:
            image_format = STORED_FORMATS.get(image.format, image.format)
            icc_profile = image.info.get("icc_profile")
            turned = image.getexif().get(ORIENTATION, 1) not in (1, None)
            upright = ImageOps.exif_transpose(image) if turned else image
            options: dict = {"format": image_format}
            if icc_profile:
                options["icc_profile"] = icc_profile
            if image_format == "JPEG":
                # Pillow copies a JPEG's comment (COM) unless told otherwise: free text a camera
                # or an editor may fill with anything, the position included.
                options["comment"] = b""
                if turned or image.format != "JPEG":  # "keep" needs a plain JPEG, not an MPO
                    options.update(quality=90)
                else:  # the original quantisation: no loss beyond one more rounding
                    options.update(quality="keep", subsampling="keep")
                if upright.mode not in {"RGB", "L", "CMYK"}:
                    upright = upright.convert("RGB")
            elif image_format == "WEBP":
                options.update(lossless=image.info.get("lossless", False), quality=90)
            elif image_format == "PNG":
                options.update(optimize=False)
            buffer = io.BytesIO()
            # Fresh `info`-less save: Pillow writes EXIF/XMP only when passed explicitly.
            upright.save(buffer, **options)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise _refuse(_("文件“%(name)s”不是有效的图片。") % {"name": photo.name}) from None
    finally:
        photo.seek(0)
    stem = os.path.splitext(os.path.basename(photo.name or "photo"))[0] or "photo"
    return ContentFile(buffer.getvalue(), name=stem + EXTENSIONS[image_format])


THUMBNAIL_SIZE = (320, 320)


def photo_thumbnail(cleaned: ContentFile) -> ContentFile:
    """A JPEG of at most 320×320 pixels for the lists and the case page, made once at upload from
    the cleaned photo (already upright and without metadata): a case page of a dozen photos loads
    a few hundred kilobytes instead of their megabytes."""
    cleaned.seek(0)
    with Image.open(cleaned) as image:
        image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))  # JPEG: decode at a smaller scale
        small = image.convert("RGB") if image.mode != "RGB" else image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80, optimize=True)
    cleaned.seek(0)
    return ContentFile(buffer.getvalue(), name="thumbnail.jpg")
