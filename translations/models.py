"""The material: projects, members, documents, page images, segments, translations.

Models hold fields, constraints and small derived properties. Every change of
state goes through ``translations.services`` (and ``reviews.services``), which
record the acting user and a reason in history.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from .history import TrackedManager, tracked_history

language_code_validator = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Use a language code such as ko, en or pt-BR."
)


class Role(models.TextChoices):
    TRANSLATOR = "translator", "Translator"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"


class Project(models.Model):
    """A body of material with its languages and review policy."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    source_language = models.CharField(max_length=16, validators=[language_code_validator])
    target_languages = models.JSONField(default=list, help_text="Language codes, e.g. [\"en\"].")
    required_approvals = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Distinct reviewers who must approve a version before it is published.",
    )
    allow_self_approval = models.BooleanField(
        default=False, help_text="Whether reviewers may approve translations they wrote themselves."
    )
    final_stage_required = models.BooleanField(
        default=False,
        help_text="After review, a rendering also needs a final edit by a manager or a designated final editor.",
    )
    translators_may_create_documents = models.BooleanField(default=False)
    shares_memory = models.BooleanField(
        default=False,
        help_text="Offer this project's approved renderings as translation-memory suggestions in the other "
        "projects its members belong to.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(required_approvals__gte=1) & Q(required_approvals__lte=10),
                name="project_required_approvals_1_to_10",
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role in one project. Roles are per project."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_final_editor = models.BooleanField(
        default=False, help_text="May pass the final-edit stage (managers always may)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_one_role_per_project"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} in {self.project}"


class Authenticity(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    AUTHENTICATED = "authenticated", "Authenticated"
    DISPUTED = "disputed", "Disputed"


class Document(models.Model):
    """One artifact — a note, letter, diary or leaflet — with its provenance."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    obtained_from = models.CharField(max_length=300, blank=True, help_text="Who or what the document came from.")
    obtained_when = models.CharField(max_length=100, blank=True, help_text="Date or period, as precise as known.")
    obtained_where = models.CharField(max_length=300, blank=True)
    obtained_by = models.CharField(max_length=300, blank=True, help_text="Who obtained or photographed it.")
    reference_number = models.CharField(max_length=100, blank=True)
    authenticity = models.CharField(max_length=16, choices=Authenticity.choices, default=Authenticity.UNVERIFIED)
    sensitivity_notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["project", "title"], name="document_project_title")]
        constraints = [
            models.CheckConstraint(
                condition=Q(authenticity__in=Authenticity.values), name="document_authenticity_valid"
            ),
        ]

    def __str__(self):
        return self.title


def original_upload_path(instance, filename):
    return f"originals/{instance.document.project_id}/{instance.document_id}/{instance.sha256}{instance.extension}"


def display_upload_path(instance, filename):
    return f"display/{instance.document.project_id}/{instance.document_id}/{instance.sha256}{filename[-4:]}"


class DocumentImage(models.Model):
    """A photograph or scan of one page.

    ``original`` holds the uploaded bytes unaltered, with ``sha256`` computed
    from exactly those bytes; ``display`` is a re-encoded copy with every
    metadata block (EXIF GPS, camera serials) removed, which is all that
    non-managers ever receive.
    """

    EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif"}

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="images")
    position = models.PositiveIntegerField(default=1)
    original = models.FileField(upload_to=original_upload_path, max_length=300)
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    image_format = models.CharField(max_length=8)
    byte_size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    display = models.FileField(upload_to=display_upload_path, max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "sha256"], name="image_unique_bytes_per_document"),
        ]

    @property
    def extension(self):
        return self.EXTENSIONS.get(self.image_format, "")

    def __str__(self):
        return f"{self.document} p.{self.position}"


class Segment(models.Model):
    """One unit (line or sentence) of a document's transcription, in order.

    ``source_hash`` fingerprints the source ignoring whitespace; reviews bind
    to it, so only a real change of the source invalidates approvals
    (invariant 5). Deleted segments are kept, flagged, so their translations
    and reviews stay traceable and the segment can be restored.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="segments")
    position = models.PositiveIntegerField()
    source_text = models.TextField()
    source_hash = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["document", "is_deleted", "position"], name="segment_document_order")]
        constraints = [models.CheckConstraint(condition=Q(version__gte=1), name="segment_version_positive")]

    def __str__(self):
        return f"{self.document_id}#{self.position}: {self.source_text[:40]}"


class TranslationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Awaiting final edit"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"


class Translation(models.Model):
    """One candidate rendering of a segment into one target language, by one translator.

    ``version`` grows by one with every change of ``text``. ``state`` is derived
    from the reviews of the current text against the current source and is
    recomputed by the services whenever either changes.

    The ``published_*`` fields hold the text that was last approved. They stay
    while a newer version awaits review, so what is published is always what
    was approved (invariant 4). At most one candidate per segment and language
    is published at a time, enforced by the database.
    """

    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="translations")
    language = models.CharField(max_length=16, validators=[language_code_validator])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="translations")
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    note = models.TextField(blank=True, help_text="Translator's note to reviewers.")
    version = models.PositiveIntegerField(default=1)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", help_text="Who wrote the current version."
    )
    state = models.CharField(max_length=20, choices=TranslationState.choices, default=TranslationState.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_published = models.BooleanField(default=False)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    published_text = models.TextField(blank=True)
    published_text_hash = models.CharField(max_length=64, blank=True)
    published_source_hash = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["segment_id", "language", "id"]
        indexes = [
            models.Index(fields=["segment", "language"], name="translation_segment_language"),
            # The review queue, oldest first, cut on (updated_at, id): only the waiting
            # versions, so a reviewer in every project and one in a single project read
            # the same small index in queue order.
            models.Index(
                fields=["updated_at", "id"],
                condition=Q(state__in=["submitted", "reviewed"]),
                name="translation_waiting_queue",
            ),
            # Per-document progress on the dashboard: the submitted candidates of a page's
            # segments, without reading every candidate of every segment.
            models.Index(fields=["segment", "language"], condition=Q(state="submitted"), name="translation_submitted"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "language"],
                condition=Q(is_published=True),
                name="translation_one_published_per_segment_language",
            ),
            models.UniqueConstraint(
                fields=["segment", "language", "author"], name="translation_one_candidate_per_translator"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="translation_version_positive"),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(published_version__isnull=False),
                name="translation_published_names_version",
            ),
            models.CheckConstraint(
                condition=Q(published_version__isnull=True) | Q(published_version__lte=models.F("version")),
                name="translation_published_version_exists",
            ),
            models.CheckConstraint(
                condition=Q(state__in=TranslationState.values), name="translation_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.language} v{self.version} of segment {self.segment_id} by {self.author}"

    @property
    def has_unpublished_changes(self) -> bool:
        return self.is_published and self.published_text_hash != self.text_hash

    @property
    def source_changed_since_publication(self) -> bool:
        return self.is_published and self.published_source_hash != self.segment.source_hash


class PartOfSpeech(models.TextChoices):
    NOUN = "noun", "Noun"
    VERB = "verb", "Verb"
    ADJECTIVE = "adjective", "Adjective"
    ADVERB = "adverb", "Adverb"
    PHRASE = "phrase", "Phrase"
    NAME = "name", "Proper name"
    TITLE = "title", "Title or form of address"
    OTHER = "other", "Other"


class GlossaryTerm(models.Model):
    """A project's fixed rendering of a source term in one target language.

    ``approved`` lists the renderings a translation may use (the first is the
    preferred one); ``forbidden`` lists renderings the team has ruled out. A
    translation of a segment whose source contains the term should use one of
    the approved renderings and none of the forbidden ones (a quality check).
    Managers edit the glossary; every change is in history.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="glossary_terms")
    language = models.CharField(max_length=16, validators=[language_code_validator])
    source_term = models.CharField(max_length=200)
    approved = models.JSONField(default=list, blank=True, help_text="Approved renderings, preferred first.")
    forbidden = models.JSONField(default=list, blank=True, help_text="Renderings not to be used.")
    part_of_speech = models.CharField(max_length=12, choices=PartOfSpeech.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["source_term", "language", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "language", "source_term"], name="glossary_term_unique"),
            models.CheckConstraint(condition=~Q(source_term=""), name="glossary_term_not_empty"),
            models.CheckConstraint(
                condition=Q(part_of_speech__in=[""] + PartOfSpeech.values), name="glossary_part_of_speech_valid"
            ),
        ]

    def __str__(self):
        return f"{self.source_term} → {', '.join(self.approved) or '—'} ({self.language})"


class MemoryEntry(models.Model):
    """A source/target pair imported into a project's translation memory (e.g. from TMX).

    Approved renderings of the project's own segments are the memory too; these
    are pairs from outside (an earlier tool, another archive). They suggest,
    never publish: inserting one makes an ordinary candidate that is reviewed
    like any other.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="memory_entries")
    language = models.CharField(max_length=16, validators=[language_code_validator])
    source_text = models.TextField()
    target_text = models.TextField()
    origin = models.CharField(max_length=255, blank=True, help_text="Where the pair came from, e.g. a TMX file name.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "language"], name="memory_entry_project_language")]
        constraints = [
            models.CheckConstraint(condition=~Q(source_text="") & ~Q(target_text=""), name="memory_entry_not_empty"),
        ]

    def __str__(self):
        return f"{self.source_text[:40]} → {self.target_text[:40]}"


class ApiToken(models.Model):
    """A personal credential for the REST API, acting as its owner.

    Only the SHA-256 digest of the secret is stored: the secret is shown once,
    when the token is made, and cannot be recovered from the database. Tokens
    carry 256 random bits, so a plain digest is enough (a slow password hash
    would only slow every request). A token has exactly its owner's roles;
    revoking it (or deactivating the owner) ends its use at the next request.

    Not history-tracked: a credential is not project material. Creation,
    revocation and refused tokens go to the security log instead.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “CMS import”.")
    prefix = models.CharField(max_length=12, help_text="The first characters of the secret, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
