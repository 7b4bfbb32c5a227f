from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from translations.views import home as translation_views

handler500 = "translations.views.errors.server_error"  # a lost database answers 503

admin.site.site_header = "Interlinear administration"
admin.site.site_title = "Interlinear admin"

urlpatterns = [
    path("", translation_views.home, name="home"),
    path("healthz", translation_views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Own template names: the admin renders registration/password_change_*.html too.
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(template_name="registration/change_password.html"),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/change_password_done.html"),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.urls_api")),
    path("", include("translations.urls")),
    path("", include("translations.urls_interchange")),
    path("", include("reviews.urls_comments")),
    path("", include("reviews.urls")),
    path("", include("reviews.urls_audit_export")),
    path("", include("reviews.urls_audit_detail")),
    path("", include("reviews.urls_rendering")),
    path("", include("reviews.urls_packets")),
    path("", include("translations.urls_glossary")),
    path("", include("translations.urls_memory")),
    path("", include("reviews.urls_quality")),
]
