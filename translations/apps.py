from django.apps import AppConfig


class TranslationsConfig(AppConfig):
    name = "translations"
    verbose_name = "Material"

    def ready(self):
        from . import history  # noqa: F401  (connects the history guard)
