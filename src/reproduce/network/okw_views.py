"""Pages of the Open Know-Where import (for managers) and the export download."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, require
from reproduce.network import okw

PENDING_DIR = "okw-pending"  # checked files waiting for "import for real", one per person
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class OkwImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("OKW file (.json)"),
        required=False,
        help_text=gettext_lazy("At most 5 MB."),
    )
    text = forms.CharField(
        label=gettext_lazy("…or paste the document"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy("For large documents, upload the file instead."),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check and show what would change, save nothing"),
        required=False,
        initial=True,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if bool(upload) == bool(text):
            raise forms.ValidationError(_("Choose a file or paste a document (not both)."))
        if upload is not None and upload.size > okw.MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(okw.too_large_message())
        # Never trust the file name or the announced type: the content must parse as JSON.
        raw = upload.read(okw.MAX_DOCUMENT_BYTES + 1) if upload is not None else text.encode()
        try:
            data["document"] = okw.parse_document(raw)
        except okw.OkwDocumentError as exc:
            raise forms.ValidationError(exc.message) from exc
        data["raw"] = raw
        return data


def _importing_organization(actor: Actor) -> Organization:
    """The active organisation, if the person may import into it (403 otherwise)."""
    org_id = actor.active_organization_id
    if org_id is None or actor.role_in(org_id) is None:
        raise PermissionDenied(_("Choose one of your organisations first."))
    require(actor, "okw.import", org_id)
    return Organization.objects.get(pk=org_id)


def _pending_name(actor: Actor, org: Organization, digest: str) -> str:
    return f"{PENDING_DIR}/{actor.user_id}-{org.pk}-{digest}.json"


def _keep_pending(actor: Actor, org: Organization, raw: bytes) -> str:
    """Keep a checked file until the person confirms; only their latest one is kept."""
    digest = okw.digest(raw)
    prefix = f"{actor.user_id}-{org.pk}-"
    if default_storage.exists(PENDING_DIR):
        for name in default_storage.listdir(PENDING_DIR)[1]:
            if name.startswith(prefix):
                default_storage.delete(f"{PENDING_DIR}/{name}")
    default_storage.save(_pending_name(actor, org, digest), ContentFile(raw))
    return digest


def _take_pending(actor: Actor, org: Organization, digest: str) -> bytes | None:
    name = _pending_name(actor, org, digest)
    if not _DIGEST.match(digest) or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        raw: bytes = handle.read()
    default_storage.delete(name)
    return raw if okw.digest(raw) == digest else None


def _run(
    request: HttpRequest, org: Organization, raw: bytes, document: dict[str, Any], dry_run: bool
) -> dict[str, Any]:
    actor = request.actor  # type: ignore[attr-defined]
    report = okw.import_facilities(
        actor=actor, organization=org, document=document, dry_run=dry_run
    )
    context: dict[str, Any] = {"report": report, "counts": report.counts()}
    if report.ok and dry_run:
        context["pending"] = _keep_pending(actor, org, raw)
    elif report.written:
        messages.success(
            request,
            _(
                "The document was imported: %(created)d created, "
                "%(updated)d updated, %(unchanged)d unchanged."
            )
            % report.counts(),
        )
    return context


def _confirm(request: HttpRequest, org: Organization) -> dict[str, Any]:
    raw = _take_pending(request.actor, org, request.POST.get("pending", ""))  # type: ignore[attr-defined]
    if raw is None:
        return {"confirm_error": _("The checked document is no longer available. Upload it again.")}
    return _run(request, org, raw, okw.parse_document(raw), dry_run=False)


@access("member", perm="okw.import")
@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload or paste an OKW document; check it (dry run), then import it for real."""
    org = _importing_organization(request.actor)  # type: ignore[attr-defined]
    context: dict[str, Any] = {"organization": org, "max_mb": okw.MAX_DOCUMENT_BYTES // 2**20}
    form = OkwImportForm()
    if request.method == "POST" and "pending" in request.POST:
        context.update(_confirm(request, org))
    elif request.method == "POST":
        form = OkwImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            context.update(
                _run(request, org, data["raw"], data["document"], dry_run=data["dry_run"])
            )
    context["form"] = form
    return render(request, "network/okw/import.html", context)


@access("public")
def export_json(request: HttpRequest) -> HttpResponse:
    """Download the OKW document of everything the current person may see."""
    document = okw.export_facilities(request.actor)  # type: ignore[attr-defined]
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="reproduce-okw-{stamp}.json"'
    return response
