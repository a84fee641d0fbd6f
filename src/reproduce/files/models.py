"""Content-addressed storage of uploaded files.

A ``Blob`` is one sequence of bytes, named by its SHA-256: the same drawing uploaded by two
organisations is stored once. Blobs hold no organisation data by themselves; the app that
attaches a blob (a design version, a photo of a work order) owns the link and serves the
bytes through its own permission-checked view.
"""

from __future__ import annotations

from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What the content is, as detected from the bytes (never from the name)."""

    STL = "stl", _("STL mesh")
    THREEMF = "threemf", _("3MF model")
    STEP = "step", _("STEP model")
    DXF = "dxf", _("DXF drawing")
    SVG = "svg", _("SVG drawing")
    PDF = "pdf", _("PDF document")
    PNG = "png", _("PNG image")
    JPEG = "jpeg", _("JPEG image")
    WEBP = "webp", _("WebP image")
    GIF = "gif", _("GIF image")
    ZIP = "zip", _("ZIP archive")
    TEXT = "text", _("Plain text")


IMAGE_KINDS = frozenset({Kind.PNG, Kind.JPEG, Kind.WEBP, Kind.GIF})
THUMBNAIL_KINDS = IMAGE_KINDS | {Kind.STL}


class ThumbnailState(models.TextChoices):
    PENDING = "pending", _("Being made")  # queued after the upload committed
    READY = "ready", _("Ready")  # ``thumbnail`` points at the PNG
    NONE = "none", _("No preview for this type")  # kinds without a thumbnail
    FAILED = "failed", _("Could not be made")  # the renderer failed; the file itself is fine


class Blob(models.Model):
    """One stored file, deduplicated by content hash."""

    tenancy = "global"  # content-addressed; only served through the attaching app's views

    Kind = Kind
    ThumbnailState = ThumbnailState

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.BigIntegerField(_("size in bytes"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    media_type = models.CharField(_("media type"), max_length=100)
    storage_name = models.CharField(_("storage name"), max_length=255)
    meta = models.JSONField(_("details"), default=dict, blank=True)
    thumbnail = models.ForeignKey(
        "self",
        verbose_name=_("thumbnail"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    thumbnail_state = models.CharField(
        _("thumbnail"),
        max_length=10,
        choices=ThumbnailState.choices,
        default=ThumbnailState.NONE,
    )
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return f"{self.kind} {self.sha256[:12]}"

    @property
    def is_image(self) -> bool:
        return self.kind in IMAGE_KINDS

    @property
    def is_previewable_3d(self) -> bool:
        return self.kind == Kind.STL

    @property
    def human_size(self) -> str:
        return str(filesizeformat(self.size))
