"""What an export says about a document: every live segment, and only approved text as target.

The target of a unit is the segment's *published* text — the approved
version — read through ``reviews.selectors.rendering.approved_rendering``,
which never loads ``Translation.text``; a later, unreviewed draft cannot
reach an export (invariant 4). Each unit also says why it has no approved
target when it has none, and who wrote and approved the one it has.

Six queries per document whatever its length: the five of the approved
rendering and one for the segments whose candidates await review.
"""

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.text import slugify

from ..models import Document, Project, Translation, TranslationState
from .errors import ExportRefused


class Status:
    APPROVED = "approved"
    SOURCE_CHANGED = "source-changed"  # approved against an earlier transcription of the segment
    AWAITING_REVIEW = "awaiting-review"
    NOT_APPROVED = "not-approved"


# Documents read together by a project export (a 10 000-segment project is ~35).
EXPORT_CHUNK_DOCUMENTS = 200
STATUS_EXPLANATIONS = {
    Status.APPROVED: "",
    Status.SOURCE_CHANGED: (
        "Approved against an earlier transcription; the source has changed since and needs re-review."
    ),
    Status.AWAITING_REVIEW: "No approved rendering: a candidate awaits review.",
    Status.NOT_APPROVED: "No approved rendering.",
}


def person(user) -> str:
    if user is None:
        return "an unknown user"
    return user.get_full_name() or user.get_username()


def moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "an unknown time"


@dataclass
class ExportUnit:
    segment_id: int
    position: int
    source: str
    target: str | None
    status: str
    provenance: str
    published_at: datetime | None = None
    approvers: tuple = ()

    @property
    def unit_id(self) -> str:
        return f"s{self.segment_id}"

    @property
    def is_approved(self) -> bool:
        return self.status == Status.APPROVED


@dataclass
class DocumentExport:
    document: Document
    project: Project
    language: str
    units: list[ExportUnit]
    generated_at: datetime

    @property
    def source_language(self) -> str:
        return self.project.source_language

    @property
    def lacking(self) -> int:
        return sum(1 for unit in self.units if not unit.is_approved)

    def header_notes(self) -> list[str]:
        """Provenance and caveats, one line each, for file-level notes and comments."""
        document = self.document
        lines = [f"Document: {document.title}", f"Reference: {document.reference_number or '—'}"]
        lines.append(f"Authenticity: {document.get_authenticity_display()}")
        for label, value in (
            ("Obtained from", document.obtained_from),
            ("Obtained when", document.obtained_when),
            ("Obtained where", document.obtained_where),
            ("Obtained by", document.obtained_by),
            ("Sensitivity", document.sensitivity_notes),
        ):
            if value:
                lines.append(f"{label}: {' '.join(value.split())}")
        lines.append(
            f"Project: {self.project.name}. Source language {self.source_language}, target language {self.language}."
        )
        lines.append(
            f"Exported from Interlinear at {moment(self.generated_at)}. Targets are approved renderings only; "
            f"{self.lacking} of {len(self.units)} segments have no approved rendering in {self.language}."
        )
        return lines

    def filename(self, extension: str) -> str:
        title = slugify(self.document.title)[:50].strip("-") or "document"
        return f"{self.project.slug}-d{self.document.pk}-{title}-{self.language}{extension}"


def _provenance(rendered) -> str:
    if not rendered.is_approved:
        return ""
    written = f"Version {rendered.version} written by {person(rendered.written_by or rendered.author)}"
    if rendered.written_at:
        written += f" on {moment(rendered.written_at)}"
    approvals = "; ".join(
        f"{'final edit' if approval.is_final_edit else 'approved'} by {person(approval.reviewer)} "
        f"on {moment(approval.approved_at)}"
        for approval in rendered.approvals
    )
    if approvals:
        return f"{written}; {approvals}."
    return f"{written}; published {moment(rendered.published_at)}."


def document_export_data(document: Document, language: str) -> DocumentExport:
    return documents_export_data([document], language)[0]


def documents_export_data(documents, language: str) -> list[DocumentExport]:
    """What the exports of `documents` (one project's) hold, in a fixed number of queries."""
    from reviews.selectors.rendering import approved_renderings

    documents = list(documents)
    if not documents:
        return []
    project = documents[0].project
    if language not in project.target_languages:
        raise ExportRefused(f"{language!r} is not a target language of this project.")
    awaiting = set(
        Translation.objects.filter(
            segment__document__in=documents,
            segment__is_deleted=False,
            language=language,
            state__in=(TranslationState.SUBMITTED, TranslationState.REVIEWED),
        ).values_list("segment_id", flat=True)
    )
    exports = []
    for rendering in approved_renderings(documents, language):
        units = []
        for rendered in rendering.segments:
            segment = rendered.segment
            if rendered.is_approved:
                status = Status.SOURCE_CHANGED if rendered.source_changed else Status.APPROVED
            else:
                status = Status.AWAITING_REVIEW if segment.pk in awaiting else Status.NOT_APPROVED
            provenance = " ".join(filter(None, [_provenance(rendered), STATUS_EXPLANATIONS[status]]))
            units.append(
                ExportUnit(
                    segment_id=segment.pk,
                    position=segment.position,
                    source=segment.source_text,
                    target=rendered.text if rendered.is_approved else None,
                    status=status,
                    provenance=provenance,
                    published_at=rendered.published_at,
                    approvers=tuple(approval.reviewer for approval in rendered.approvals),
                )
            )
        exports.append(DocumentExport(
            document=rendering.document, project=project, language=language, units=units,
            generated_at=rendering.generated_at,
        ))
    return exports


def export_document(document: Document, language: str, fmt: str) -> tuple[bytes, str, str]:
    """The document in `fmt` for `language`: (content, content type, file name)."""
    from .writers import WRITERS

    writer = WRITERS.get(fmt)
    if writer is None:
        raise ExportRefused(f"Unknown export format {fmt!r}; use one of {', '.join(WRITERS)}.")
    export = document_export_data(document, language)
    return writer.write(export), writer.CONTENT_TYPE, export.filename(writer.EXTENSION)


def export_project(project: Project, language: str, fmt: str) -> tuple[bytes, str, str]:
    """A zip of every document of the project in `fmt` for `language`, one file per document."""
    from .writers import WRITERS

    if fmt not in WRITERS:
        raise ExportRefused(f"Unknown export format {fmt!r}; use one of {', '.join(WRITERS)}.")
    if language not in project.target_languages:
        raise ExportRefused(f"{language!r} is not a target language of this project.")
    buffer = io.BytesIO()
    documents = list(Document.objects.filter(project=project).order_by("title", "id"))
    for document in documents:
        document.project = project
    writer = WRITERS[fmt]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # Documents in chunks: a fixed number of queries per chunk, memory bounded by its size.
        for start in range(0, len(documents), EXPORT_CHUNK_DOCUMENTS):
            for export in documents_export_data(documents[start : start + EXPORT_CHUNK_DOCUMENTS], language):
                archive.writestr(export.filename(writer.EXTENSION), writer.write(export))
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return buffer.getvalue(), "application/zip", f"{project.slug}-{language}-{fmt}-{stamp}.zip"
