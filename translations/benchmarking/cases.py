"""The cases: one registered function per page or action measured.

A case function receives the ``Dataset`` and the number of runs it will be
asked for (warm-ups, repeats and diagnosis runs), and returns a ``Plan``: the
user who asks, and how to make run *n*'s request through the test client.
Adding a page or an API endpoint is one more function::

    @case("api_queue", "API: review queue", target=PAGE)
    def api_queue(data, runs):
        return Plan(user=data.queue_reviewer, request=get("/api/review/"))

Write actions (``writes=True``) run each request in a transaction that is
rolled back afterwards, so the data stays as generated and every repeat
meets the same data; ``setup`` and ``check`` run inside that transaction but
outside the timed part. The price: ``on_commit`` callbacks (notification
e-mail) never run, and neither the commit nor the rollback is timed.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.urls import reverse

from reviews.models import Decision, Review

from ..interchange import document_import, import_plan, read_upload
from ..models import Segment
from ..services import document_create
from .dataset import SEED, Dataset, passages


@dataclass(frozen=True)
class Target:
    """What 'fast enough' means for a case; None: no bound on that figure."""

    median_ms: float | None = 100
    p95_ms: float | None = 250
    floor_multiple: float | None = 5

    def describe(self) -> str:
        parts = []
        if self.median_ms:
            parts.append(f"median<{self.median_ms:g}")
        if self.p95_ms:
            parts.append(f"p95<{self.p95_ms:g}")
        if self.floor_multiple:
            parts.append(f"≤{self.floor_multiple:g}×floor")
        return ", ".join(parts) or "—"


PAGE = Target()
NONE = Target(None, None, None)


@dataclass
class Plan:
    """One case made ready to run.

    ``setup(n)`` makes what run n needs (untimed) and returns its context
    (default: n); ``request(client, context)`` is the timed part and returns
    the response (or anything, for a service call); ``check(response,
    context)`` returns what went wrong, if anything (untimed)."""

    user: object
    request: Callable
    label: str = ""
    expect: tuple[int, ...] = (200,)
    setup: Callable | None = None
    check: Callable | None = None


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    build: Callable[[Dataset, int], Plan]
    target: Target = PAGE
    writes: bool = False
    max_repeat: int | None = None  # heavy cases: at most this many timed repeats
    warmups: int = 2


REGISTRY: dict[str, Case] = {}
FLOOR = "floor"


def case(name: str, title: str, **options):
    def register(build):
        REGISTRY[name] = Case(name=name, title=title, build=build, **options)
        return build

    return register


def get(url: str, **headers) -> Callable:
    return lambda client, context: client.get(url, **headers)


# --- Pages ---------------------------------------------------------------------------------------


@case(FLOOR, "Trivial view (/__floor__/)", target=NONE)
def floor(data: Dataset, runs: int) -> Plan:
    return Plan(user=data.queue_reviewer, request=get("/__floor__/"), label="/__floor__/")


@case("dashboard", "Project dashboard, biggest project")
def dashboard(data, runs):
    url = reverse("project_dashboard", args=[data.biggest_project.slug])
    return Plan(user=data.dashboard_user, request=get(url), label=url)


@case("workspace", "Workspace, ~300-segment document")
def workspace(data, runs):
    document, user = data.workspace_document
    url = reverse("workspace", args=[document.project.slug, document.pk, document.project.target_languages[0]])
    return Plan(user=user, request=get(url), label=url)


@case("queue_first", "Review queue, first page")
def queue_first(data, runs):
    return Plan(user=data.queue_reviewer, request=get(reverse("review_queue")), label=reverse("review_queue"))


@case("queue_deep", "Review queue, 100th page")
def queue_deep(data, runs):
    url = data.queue_page_url(data.sizes.queue_page, "queue_deep")  # what the 'Next' link of page 99 says
    return Plan(user=data.queue_reviewer, request=get(url), label=url)


@case("audit_first", "Audit trail, first page")
def audit_first(data, runs):
    return Plan(user=data.audit_user, request=get(reverse("audit_trail")), label=reverse("audit_trail"))


@case("audit_deep", "Audit trail, 1 000th page")
def audit_deep(data, runs):
    before = data.audit_cursor(data.sizes.audit_page, "audit_deep")  # keyset: the id the 'older' links carry
    url = reverse("audit_trail") + (f"?before={before}" if before else "")
    return Plan(user=data.audit_user, request=get(url), label=url)


@case("rendering", "Approved rendering, ~300-segment document")
def rendering(data, runs):
    document, user = data.workspace_document
    url = reverse("approved_rendering", args=[document.project.slug, document.pk, document.project.target_languages[0]])
    return Plan(user=user, request=get(url), label=url)


# --- Actions -------------------------------------------------------------------------------------


@case("approve", "Approve one translation (htmx)", target=Target(50, 250, None), writes=True)
def approve(data, runs):
    """Each run approves a different waiting translation of the reviewer's queue, from the front."""
    reviewer = data.queue_reviewer
    items = data.queue_items(runs)
    if not items:
        raise LookupError(f"{reviewer.username}'s review queue is empty.")
    if len(items) < runs:
        data.notes["approve"] = f"only {len(items)} waiting translation(s); some runs approve the same one"

    def request(client, index):
        translation_id, version = items[index % len(items)]
        data = {"decision": Decision.APPROVE, "version": version, "comment": ""}
        return client.post(reverse("review_decide", args=[translation_id]), data, headers={"HX-Request": "true"})

    def check(response, index):
        if not Review.objects.filter(translation_id=items[index % len(items)][0], reviewer=reviewer).exists():
            return "no review was recorded"

    return Plan(user=reviewer, request=request, check=check, label="POST /review/t/<id>/decide/ (HX-Request)")


@case("bulk_approve", "Bulk approve 500 (review_bulk)", target=Target(2_000, None, None), writes=True,
      max_repeat=3, warmups=1)
def bulk_approve(data, runs):
    """Each run approves the next distinct slice of the reviewer's queue."""
    reviewer, size = data.queue_reviewer, data.sizes.bulk
    items = data.queue_items(size * runs)
    if not items:
        raise LookupError(f"{reviewer.username}'s review queue is empty.")
    slices = [items[start : start + size] for start in range(0, len(items), size)]
    if len(slices) < runs or len(slices[0]) < size:
        data.notes["bulk_approve"] = f"{len(items)} waiting translation(s): {len(slices)} distinct slice(s) of ≤{size}"

    def setup(index):
        chosen = slices[index % len(slices)]
        return chosen, Review.objects.filter(reviewer=reviewer).count()

    def request(client, context):
        chosen, _ = context
        return client.post(reverse("review_bulk"),
                           {"decision": Decision.APPROVE, "item": [f"{pk}:{version}" for pk, version in chosen]})

    def check(response, context):
        chosen, before = context
        recorded = Review.objects.filter(reviewer=reviewer).count() - before
        if recorded != len(chosen):
            return f"{recorded} of {len(chosen)} decisions recorded"

    return Plan(user=reviewer, request=request, setup=setup, check=check, expect=(302,),
                label="POST " + reverse("review_bulk"))


def xliff(pairs: list[tuple[str, str]]) -> bytes:
    units = "".join(
        f'<trans-unit id="u{k}"><source>{escape(source)}</source><target>{escape(target)}</target></trans-unit>\n'
        for k, (source, target) in enumerate(pairs, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        '<file original="benchmark" source-language="ko" target-language="en" datatype="plaintext"><body>\n'
        f"{units}</body></file></xliff>\n"
    ).encode()


@case("import", "Import 10 000 segments (XLIFF, with history)", target=Target(10_000, None, None), writes=True,
      max_repeat=3, warmups=1)
def import_segments(data, runs):
    """What ``import_document`` does (read, plan, import), into a new empty document of the benchmark
    project each run: every unit a new segment with a submitted candidate, each with its history row."""
    bench, count = data.bench, data.sizes.import_segments
    content = xliff(passages(random.Random(SEED + 1), count))

    def setup(index):
        return document_create(project=bench.project, user=bench.manager, title=f"Benchmark import {index}")

    def request(client, document):
        parsed = read_upload(content, filename="benchmark.xlf", format="xliff", language="en")
        plan = import_plan(document=document, user=bench.translator, language="en", parsed=parsed,
                           filename="benchmark.xlf")
        return document_import(document=document, user=bench.translator, language="en", parsed=parsed,
                               filename="benchmark.xlf", expected=plan.fingerprint)

    def check(plan, document):
        created = Segment.objects.filter(document=document).count()
        history = Segment.history.filter(document_id=document.pk).count()
        if created != count or history != count:
            return f"{created} segments and {history} history rows, expected {count}"

    return Plan(user=bench.translator, request=request, setup=setup, check=check, expect=(),
                label=f"document_import of {count:,} units")


@case("export", "Export 10 000-segment project (XLIFF zip)", target=Target(10_000, None, None), max_repeat=3,
      warmups=1)
def export(data, runs):
    bench = data.bench
    url = reverse("project_export", args=[bench.project.slug, "en", "xliff"])
    return Plan(user=bench.translator, request=get(url), label=f"{url} ({data.sizes.project_segments:,} segments)")


@case("tm_suggestions", "Translation-memory aid panel for one segment (htmx)")
def tm_suggestions(data, runs):
    """Each run asks for a different segment of the ~300-segment document, in order, so the
    figure covers short and long, rare and common sources rather than one lucky one."""
    document, user = data.workspace_document
    language = document.project.target_languages[0]
    segment_ids = list(
        Segment.objects.filter(document=document, is_deleted=False).order_by("position").values_list("id", flat=True)
    )
    slug = document.project.slug

    def request(client, index):
        url = reverse("segment_aids", args=[slug, segment_ids[index % len(segment_ids)], language])
        return client.get(url, HTTP_HX_REQUEST="true")

    return Plan(user=user, request=request, label=f"segment_aids × {len(segment_ids)} segments of document {document.pk}")


# --- REST API lists (session-authenticated through the test client, like the pages) -------------


def _api(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


@case("api_documents", "API: documents of the biggest project, first page")
def api_documents(data, runs):
    url = _api("document-list", slug=data.biggest_project.slug)
    return Plan(user=data.dashboard_user, request=get(url), label=url)


@case("api_segments", "API: segments of a ~300-segment document, 200 per page")
def api_segments(data, runs):
    document, user = data.workspace_document
    url = _api("segment-list", slug=document.project.slug, document_id=document.pk) + "?page_size=200"
    return Plan(user=user, request=get(url), label=url)


@case("api_document_translations", "API: candidates of a ~300-segment document, 200 per page")
def api_document_translations(data, runs):
    document, user = data.workspace_document
    url = _api("document-translation-list", slug=document.project.slug, document_id=document.pk) + "?page_size=200"
    return Plan(user=user, request=get(url), label=url)


@case("api_queue", "API: review queue, first page")
def api_queue(data, runs):
    url = _api("review-queue")
    return Plan(user=data.queue_reviewer, request=get(url), label=url)


@case("api_audit", "API: audit trail, first page")
def api_audit(data, runs):
    url = _api("audit-list")
    return Plan(user=data.audit_user, request=get(url), label=url)


@case("api_rendering", "API: approved rendering of a ~300-segment document")
def api_rendering(data, runs):
    document, user = data.workspace_document
    language = document.project.target_languages[0]
    url = _api("rendering", slug=document.project.slug, document_id=document.pk, language=language)
    return Plan(user=user, request=get(url), label=url)


@case("api_webhooks", "API: a project's webhooks and one hook's deliveries")
def api_webhooks(data, runs):
    """Reads the biggest project's hook list and the deliveries of its first hook, if any
    (generated data has none unless a manager added them: then only the hook list)."""
    from reviews.models import Webhook

    project, manager = data.biggest_project, data.dashboard_user  # a manager when the project has one
    hook = Webhook.objects.filter(project=project).order_by("id").first()
    urls = [_api("webhook-list", slug=project.slug)]
    if hook is not None:
        urls.append(_api("webhook-delivery-list", slug=project.slug, webhook_id=hook.pk))

    def request(client, index):
        return client.get(urls[index % len(urls)])

    return Plan(user=manager, request=request, label=" + ".join(urls))
