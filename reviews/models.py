"""The judgement: reviews of exact translation versions, and discussion."""

from django.conf import settings
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
