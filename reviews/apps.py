from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Judgement"

    def ready(self):
        from . import audit  # noqa: F401  (indexes every history row into the audit trail)
