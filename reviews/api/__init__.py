"""The REST API's judgement side: reviews, comments, the review queue, the
approved rendering, the audit trail, webhooks. Shared machinery is in
``translations.api``."""
