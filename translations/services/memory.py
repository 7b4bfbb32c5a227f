"""A project's imported translation memory: TMX in, TMX out, and removal.

Imported pairs (``MemoryEntry``) only ever *suggest*: inserting one into an
editor makes an ordinary candidate, reviewed like any other. An import lands
whole or changes nothing (invariant 8), with one history row per pair naming
the manager and the file (invariant 1).

Reading a TMX file: the bytes go through the interchange's decoder (UTF-8, or
UTF-16/32 with a byte-order mark; NUL bytes refused, offsets named) and its
hostile-XML guard (``xmlsafe.parse``: entity declarations refused, nothing
fetched, malformed XML named by line and column) before translate-toolkit's
``translate.storage.tmx`` reads the units. Each ``<tu>`` gives one pair per
target language of the project it has a variant in, matched by primary
subtag (``en-GB`` is ``en``), with its variant in the project's source
language as the source; units with no such pair are counted and skipped.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from lxml import etree
from translate.misc.xml_helpers import getXMLspace
from translate.storage.tmx import tmxfile

from ..exceptions import DomainError, InvalidText
from ..history import bulk_create_tracked, delete_tracked
from ..interchange import xmlsafe
from ..interchange.decoding import decode
from ..interchange.errors import ImportRejected
from ..interchange.readers import check_size
from ..models import MemoryEntry, Project, Translation
from ..permissions import Action, require
from ..texts import normalise

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
MAX_PAIRS = 50_000
MAX_TEXT_LENGTH = 20_000
MAX_ORIGIN_LENGTH = 255
TMX_CONTENT_TYPE = "application/x-tmx+xml"


def primary(language: str) -> str:
    return (language or "").replace("_", "-").split("-")[0].lower()


@dataclass
class MemoryImport:
    """What an import did: pairs added per language, and what it left out."""

    origin: str
    added: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    skipped_units: int = 0

    @property
    def total(self) -> int:
        return sum(self.added.values())


@dataclass(frozen=True)
class MemoryPair:
    where: str
    language: str
    source: str
    target: str


def _clean(text: str, *, where: str, what: str) -> str:
    try:
        text = normalise(text, field=what).strip()
    except InvalidText as error:
        raise ImportRejected(f"{where}: {error.message[:1].lower()}{error.message[1:]}") from None
    if len(text) > MAX_TEXT_LENGTH:
        raise ImportRejected(f"{where}: the {what} is longer than {MAX_TEXT_LENGTH:,} characters.")
    return text


def read_tmx(data: bytes, *, project: Project) -> tuple[list[MemoryPair], int]:
    """The pairs of a TMX file in the project's languages, and how many units had none.

    Raises ImportRejected naming the byte offset, line or unit at fault."""
    check_size(len(data))
    text = decode(data)
    root = xmlsafe.parse(text)  # refuses entities and malformed XML, naming line and column
    if xmlsafe.localname(root) != "tmx":
        raise ImportRejected(f"This is not a TMX file: its root element is <{xmlsafe.localname(root)}>, not <tmx>.")
    if xmlsafe.child(root, "body") is None:
        raise ImportRejected("The TMX file has no <body>.")
    try:
        # The text is decoded already: drop a declaration naming another encoding (UTF-16).
        store = tmxfile.parsestring(_XML_DECLARATION.sub("", text, count=1).encode("utf-8"))
    except (etree.XMLSyntaxError, ValueError, AssertionError) as error:  # checked above; kept as a message anyway
        raise ImportRejected(f"The TMX file cannot be read: {error}") from None
    source_primary = primary(project.source_language)
    targets = {primary(code): code for code in project.target_languages}
    pairs: list[MemoryPair] = []
    skipped = 0
    for index, unit in enumerate(store.units, start=1):
        element = unit.xmlelement
        tuid = element.get("tuid")
        where = f"Unit “{tuid}” (line {element.sourceline})" if tuid else f"Unit #{index} (line {element.sourceline})"
        space = getXMLspace(element, unit._default_xml_space)
        variants: dict[str, str] = {}
        for node in unit.getlanguageNodes():
            language = primary(xmlsafe.attribute(node, "lang") or "")
            if language in variants:
                continue  # the first variant of a language is the one taken
            if xmlsafe.child(node, "seg") is None:
                if language == source_primary or language in targets:
                    raise ImportRejected(f"{where}: its <tuv xml:lang=\"{language}\"> has no <seg>.")
                continue
            variants[language] = unit.getNodeText(node, space) or ""
        if source_primary not in variants or not any(lang in variants for lang in targets):
            skipped += 1
            continue
        source = _clean(variants[source_primary], where=where, what="source")
        for language_primary, code in targets.items():
            if language_primary not in variants:
                continue
            target = _clean(variants[language_primary], where=where, what=f"{code} text")
            if not source or not target:
                raise ImportRejected(f"{where}: the {'source' if not source else code + ' text'} is empty.")
            pairs.append(MemoryPair(where=where, language=code, source=source, target=target))
        if len(pairs) > MAX_PAIRS:
            raise ImportRejected(f"The file holds more than {MAX_PAIRS:,} pairs; split it into smaller files.")
    if not pairs:
        languages = ", ".join([project.source_language] + list(project.target_languages))
        raise ImportRejected(
            f"The file holds no pair in this project's languages ({languages}): none of its "
            f"{len(store.units)} unit(s) has both a {project.source_language} variant and a variant in a "
            "target language."
        )
    return pairs, skipped


@transaction.atomic
def memory_import_tmx(*, project: Project, user, data: bytes, filename: str) -> MemoryImport:
    """Add a TMX file's pairs to the project's memory: all of them, or none.

    Pairs already in the memory (same language, source and target) are not
    added twice. Every added pair has a history row naming the user and file."""
    require(user, Action.MANAGE_POLICY, project)
    pairs, skipped = read_tmx(data, project=project)
    origin = (filename or "upload.tmx").replace("\\", "/").rsplit("/", 1)[-1].strip()[:MAX_ORIGIN_LENGTH] or "upload.tmx"
    existing = set()
    sources = sorted({pair.source for pair in pairs})
    for start in range(0, len(sources), 500):
        existing.update(
            MemoryEntry.objects.filter(project=project, source_text__in=sources[start : start + 500]).values_list(
                "language", "source_text", "target_text"
            )
        )
    report = MemoryImport(origin=origin, skipped_units=skipped)
    entries = []
    for pair in pairs:
        key = (pair.language, pair.source, pair.target)
        if key in existing:
            report.duplicates += 1
            continue
        existing.add(key)
        entries.append(
            MemoryEntry(
                project=project, language=pair.language, source_text=pair.source, target_text=pair.target,
                origin=origin, created_by=user,
            )
        )
        report.added[pair.language] = report.added.get(pair.language, 0) + 1
    bulk_create_tracked(entries, user=user, reason=f"Imported into translation memory from {origin}")
    return report


@transaction.atomic
def memory_origin_delete(*, project: Project, user, origin: str) -> int:
    """Remove every imported pair of one origin (one file) from the project's memory.

    Each removal leaves a deletion history row naming the user."""
    require(user, Action.MANAGE_POLICY, project)
    entries = list(MemoryEntry.objects.select_for_update().filter(project=project, origin=origin))
    if not entries:
        raise DomainError("There are no imported pairs from that file (any more).")
    for entry in entries:
        delete_tracked(entry, user=user, reason=f"Removed from translation memory: the pairs imported from {origin}")
    return len(entries)


def memory_export_tmx(*, project: Project, user) -> bytes:
    """The project's memory as TMX 1.4: its published renderings approved against the current
    source, and its imported pairs. Reads three queries' worth, whatever the size."""
    require(user, Action.VIEW, project)
    root = etree.Element("tmx", version="1.4")
    now = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    header = etree.SubElement(
        root, "header", creationtool="Interlinear", creationtoolversion="1", segtype="sentence", adminlang="en",
        srclang=project.source_language, datatype="plaintext", creationdate=now, **{"o-tmf": "Interlinear"},
    )
    etree.SubElement(header, "note").text = (
        f"Translation memory of {project.name}: approved renderings of the current transcription and imported pairs."
    )
    body = etree.SubElement(root, "body")
    lang = f"{{{xmlsafe.XML_NAMESPACE}}}lang"

    def unit(tuid, language, source, target, origin, changed=None):
        attributes = {"tuid": tuid}
        if changed:
            attributes["changedate"] = changed.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        tu = etree.SubElement(body, "tu", attributes)
        etree.SubElement(tu, "prop", type="x-origin").text = origin
        for code, text in ((project.source_language, source), (language, target)):
            tuv = etree.SubElement(tu, "tuv", {lang: code})
            etree.SubElement(tuv, "seg").text = text

    renderings = (
        Translation.objects.filter(
            segment__document__project=project, is_published=True, segment__is_deleted=False,
            published_source_hash=F("segment__source_hash"), language__in=project.target_languages,
        )
        .order_by("segment__document_id", "segment__position", "language", "pk")
        .values_list("segment_id", "language", "segment__source_text", "published_text", "segment__document__title",
                     "published_at")
    )
    for segment_id, language, source, target, title, published_at in renderings.iterator(chunk_size=2000):
        unit(f"s{segment_id}-{language}", language, source, target, title, published_at)
    entries = MemoryEntry.objects.filter(project=project).order_by("pk").values_list(
        "pk", "language", "source_text", "target_text", "origin", "created_at"
    )
    for pk, language, source, target, origin, created_at in entries.iterator(chunk_size=2000):
        unit(f"m{pk}", language, source, target, origin or "imported", created_at)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">')

