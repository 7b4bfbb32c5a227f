"""Reads of the stored findings of the automatic checks."""

from typing import NamedTuple

from ..checks import CHECKS
from ..models import CheckFinding

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
CHECK_ORDER = {check_id: index for index, check_id in enumerate(CHECKS)}


class OpenFinding(NamedTuple):
    """What a page shows of an open finding (tuples: a workspace reads hundreds)."""

    pk: int
    translation_id: int
    version: int
    check_id: str
    severity: str
    message: str


def open_findings(translations) -> dict[int, list[OpenFinding]]:
    """{translation id: open findings of its current version, most severe first} (1 query, none without
    translations). Read by the translations' ids through the (translation, version, check) key."""
    versions = {t.pk: t.version for t in translations}
    if not versions:
        return {}
    found: dict[int, list[OpenFinding]] = {}
    rows = CheckFinding.objects.filter(translation_id__in=list(versions), dismissed_at__isnull=True).values_list(
        "id", "translation_id", "version", "check_id", "severity", "message"
    )
    for row in rows:
        if versions.get(row[1]) == row[2]:
            found.setdefault(row[1], []).append(OpenFinding(*row))
    for findings in found.values():
        if len(findings) > 1:
            findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), CHECK_ORDER.get(f.check_id, 99)))
    return found
