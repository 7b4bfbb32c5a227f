"""The judgement: reviews of exact translation versions, and discussion."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from translations.history import TrackedManager, tracked_history
from translations.models import Project, Segment, Translation


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class Stage(models.TextChoices):
    REVIEW = "review", "Review"
    FINAL = "final", "Final edit"


class Review(models.Model):
    """A reviewer's decision on one version of a translation.

    It keeps the version number, the exact text judged and the source it was
    judged against, with their fingerprints. An approval counts only while the
    translation's current text and its segment's current source have the same
    fingerprints (invariants 2 and 5). Reviews are never edited: a reviewer who
    changes their mind records a new decision.
    """

    translation = models.ForeignKey(Translation, on_delete=models.PROTECT, related_name="reviews")
    version = models.PositiveIntegerField()
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    source_text = models.TextField()
    source_hash = models.CharField(max_length=64)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.REVIEW)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["translation", "text_hash", "source_hash"], name="review_binding"),
            models.Index(fields=["reviewer", "created_at"], name="review_by_reviewer"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="review_decision_valid"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="review_stage_valid"),
            models.CheckConstraint(
                condition=Q(decision=Decision.APPROVE) | ~Q(comment=""),
                name="review_refusal_needs_comment",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} of v{self.version} by {self.reviewer}"


class Comment(models.Model):
    """Discussion on a segment or on a translation."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="comments")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="comments")
    translation = models.ForeignKey(
        Translation, on_delete=models.PROTECT, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(segment__isnull=False) | Q(translation__isnull=False),
                name="comment_has_subject",
            ),
        ]

    def __str__(self):
        return f"Comment by {self.author} on {self.created_at:%Y-%m-%d}"


class NotificationPreference(models.Model):
    """A user's e-mail settings. Absent means the defaults (all on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notification_preference")
    email_on_decision = models.BooleanField(default=True, help_text="When a reviewer decides on my translation.")
    email_on_waiting_work = models.BooleanField(default=True, help_text="When new work awaits my review.")
    email_on_mention = models.BooleanField(default=True, help_text="When someone @mentions me in a comment.")

    objects = TrackedManager()
    history = tracked_history()

    def __str__(self):
        return f"Notification settings of {self.user}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RuntimeError("Audit events cannot be changed.")

    def delete(self):
        raise RuntimeError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One line of the audit trail: an index over every history row of every
    tracked model, written in the same transaction as the history row.

    History stays the record; this table makes the timeline of a project one
    indexed read (filters by project, document, actor, kind, action, time,
    and keyset pagination on ``id``). It is append-only and can be rebuilt
    from history (``manage.py rebuild_audit_index``).
    """

    class Action(models.TextChoices):
        CREATED = "+", "created"
        CHANGED = "~", "changed"
        DELETED = "-", "deleted"

    history_label = models.CharField(max_length=60, help_text="app_label.model of the tracked model")
    history_id = models.BigIntegerField()
    object_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    action = models.CharField(max_length=1, choices=Action.choices)
    at = models.DateTimeField()
    # No single-column indexes on the three keys: the (key, -id) indexes below lead
    # with the same column and serve every lookup by it, and each index costs
    # every write (an import of 10 000 segments adds some 20 000 events).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    reason = models.TextField(blank=True)
    project = models.ForeignKey(
        Project, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+", db_index=False
    )
    document = models.ForeignKey(
        "translations.Document", on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+",
        db_index=False,
    )
    summary = models.CharField(max_length=200, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["history_label", "history_id"], name="audit_event_one_per_history_row"),
            models.CheckConstraint(condition=Q(action__in=["+", "~", "-"]), name="audit_event_action_valid"),
        ]
        indexes = [
            models.Index(fields=["project", "-id"], name="audit_project_id"),
            models.Index(fields=["document", "-id"], name="audit_document_id"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id"),
            models.Index(fields=["kind", "-id"], name="audit_kind_id"),
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["history_label", "object_id"], name="audit_object"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Audit events cannot be changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events cannot be deleted.")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} #{self.object_id} {self.get_action_display()}"


class IntegrityCheck(models.Model):
    """The result of a verify_history run started from the audit page or a command."""

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(auto_now_add=True)
    rows_checked = models.BigIntegerField()
    drifted = models.BigIntegerField()
    seconds = models.FloatField()
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["-finished_at"]


# --- Aids to judgement: checks, MQM annotations, back-translations -------------


class Severity(models.TextChoices):
    """Severity of an automatic check's finding."""

    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class CheckFinding(models.Model):
    """What an automatic quality check found in one version of a translation.

    Checks run when a version is saved and their findings are stored, so the
    queue can filter by them. A finding belongs to the version it was found in
    (``version``); a new version gets its own findings. A reviewer or the
    translator may dismiss a finding with a reason, which history records.
    """

    translation = models.ForeignKey(Translation, on_delete=models.PROTECT, related_name="check_findings")
    version = models.PositiveIntegerField()
    check_id = models.CharField(max_length=40)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_reason = models.TextField(blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["translation_id", "version", "id"]
        indexes = [
            # The queue's filter: open findings of one check.
            models.Index(fields=["check_id", "translation"], condition=Q(dismissed_at__isnull=True),
                         name="check_finding_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["translation", "version", "check_id"], name="check_finding_once"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="check_finding_severity_valid"),
            models.CheckConstraint(
                condition=Q(dismissed_at__isnull=True) | (Q(dismissed_by__isnull=False) & ~Q(dismissed_reason="")),
                name="check_finding_dismissal_names_who_and_why",
            ),
        ]

    def __str__(self):
        return f"{self.check_id} on v{self.version} of translation {self.translation_id}"


class QualityPolicy(models.Model):
    """A project's MQM settings: penalty weights per severity and the pass mark.

    Absent means the defaults (MQM Core's 0/1/5/25, pass at 95 of 100).
    """

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="quality_policy")
    weight_neutral = models.PositiveSmallIntegerField(default=0)
    weight_minor = models.PositiveSmallIntegerField(default=1)
    weight_major = models.PositiveSmallIntegerField(default=5)
    weight_critical = models.PositiveSmallIntegerField(default=25)
    pass_threshold = models.DecimalField(
        max_digits=5, decimal_places=2, default=95,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Quality score (0-100) a document or translator must reach to pass.",
    )
    length_ratio_tolerance = models.DecimalField(
        max_digits=4, decimal_places=2, default=2,
        validators=[MinValueValidator(1.1), MaxValueValidator(10)],
        help_text="Flag a rendering whose length ratio to its source is this many times off the project's norm.",
    )

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        verbose_name_plural = "quality policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_threshold__gte=0) & Q(pass_threshold__lte=100), name="quality_pass_threshold_0_100"
            ),
        ]

    def __str__(self):
        return f"Quality policy of {self.project}"


class MqmSeverity(models.TextChoices):
    NEUTRAL = "neutral", "Neutral"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class ErrorAnnotation(models.Model):
    """A reviewer's MQM error on a span of one exact version of a translation.

    ``start``/``end`` are character offsets into ``text``, the version's text as
    it was annotated (kept with its fingerprint): an annotation stays with the
    version it was made on and never moves to a later one.
    """

    translation = models.ForeignKey(Translation, on_delete=models.PROTECT, related_name="error_annotations")
    version = models.PositiveIntegerField()
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    dimension = models.CharField(max_length=40)
    subtype = models.CharField(max_length=60, blank=True)
    severity = models.CharField(max_length=10, choices=MqmSeverity.choices)
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="error_annotations")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["translation_id", "version", "start", "id"]
        indexes = [models.Index(fields=["translation", "version"], name="error_annotation_version")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="error_annotation_span_ordered"),
            models.CheckConstraint(condition=Q(severity__in=MqmSeverity.values), name="error_annotation_severity_valid"),
        ]

    def __str__(self):
        return f"{self.dimension}/{self.subtype} {self.severity} on v{self.version} of translation {self.translation_id}"


class BackTranslationState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


class BackTranslation(models.Model):
    """A rendering translated back into the source language by another member, for comparison.

    Bound to the version it was asked for (``version``, ``rendering``); shown
    beside the source, never published.
    """

    translation = models.ForeignKey(Translation, on_delete=models.PROTECT, related_name="back_translations")
    version = models.PositiveIntegerField()
    rendering = models.TextField(help_text="The version's text, as it was when the back-translation was asked for.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="back_translations")
    request_note = models.TextField(blank=True)
    text = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=BackTranslationState.choices, default=BackTranslationState.REQUESTED)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TrackedManager()
    history = tracked_history()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=BackTranslationState.values), name="back_translation_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=BackTranslationState.DONE) | ~Q(text=""), name="back_translation_done_has_text"
            ),
        ]

    def __str__(self):
        return f"Back-translation of v{self.version} of translation {self.translation_id}"


class WebhookEvent(models.TextChoices):
    TRANSLATION_APPROVED = "translation.approved", "A translation version is approved"
    RENDERING_COMPLETE = "rendering.complete", "A document's rendering is complete in a language"


class Webhook(models.Model):
    """A project's subscription: POST a signed JSON event to ``url``.

    The body is signed with HMAC-SHA256 under ``secret`` (header
    ``X-Interlinear-Signature: sha256=<hex>``), so the receiver can tell our
    events from forged ones. The secret has to be kept to sign, so it is stored;
    it is shown to managers once, when the hook is made. Managers configure
    hooks; every change is in history.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, help_text="Event names to send, e.g. [\"translation.approved\"].")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrackedManager()
    history = tracked_history(excluded_fields=["secret"])

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.url} ({', '.join(self.events)})"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (no more retries)"


class WebhookDelivery(models.Model):
    """One event to one hook: an outbox row written in the same transaction as
    the change it reports, so an event exists exactly when its change committed.

    Sent after commit, off the request; failures are retried with growing
    delays (``next_attempt_at``) until ``attempts`` reaches the limit. A system
    record, not user material, so not history-tracked.
    """

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="pending"), name="webhook_delivery_due"
            ),
        ]

    def __str__(self):
        return f"{self.event} → hook {self.webhook_id} ({self.state})"
