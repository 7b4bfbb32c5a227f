from django.apps import AppConfig


class TranslationsConfig(AppConfig):
    name = "translations"
    verbose_name = "Material"

    def ready(self):
        from . import history  # noqa: F401  (connects the history guard)
        from . import security_log  # noqa: F401  (connects the security event receivers)
        from .converters import register

        register()  # <id:...> in every URL conf
