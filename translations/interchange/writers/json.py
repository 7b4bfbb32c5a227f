"""JSON: the document's provenance and its units, the shape the import reads back."""

import json

from ..exporting import DocumentExport

EXTENSION = ".json"
CONTENT_TYPE = "application/json"


def write(export: DocumentExport) -> bytes:
    document = export.document
    data = {
        "format": "interlinear-document",
        "format_version": 1,
        "project": export.project.slug,
        "document": {
            "id": document.pk,
            "title": document.title,
            "reference_number": document.reference_number,
            "authenticity": document.authenticity,
            "obtained_from": document.obtained_from,
            "obtained_when": document.obtained_when,
            "obtained_where": document.obtained_where,
            "obtained_by": document.obtained_by,
        },
        "source_language": export.source_language,
        "target_language": export.language,
        "exported_at": export.generated_at.isoformat(),
        "notes": export.header_notes(),
        "units": [
            {
                "id": unit.unit_id,
                "position": unit.position,
                "source": unit.source,
                "target": unit.target,
                "status": unit.status,
                "provenance": unit.provenance,
            }
            for unit in export.units
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
