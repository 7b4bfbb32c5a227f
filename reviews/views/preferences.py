"""A user's own e-mail notification settings. Any logged-in user; nobody else's."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..forms import NotificationPreferenceForm
from ..notifications import notification_preference_for, notification_preference_set


@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    preference = notification_preference_for(request.user)
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            notification_preference_set(user=request.user, **form.cleaned_data)
            messages.success(request, "Your notification settings are saved.")
            return redirect("notification_preferences")
    else:
        form = NotificationPreferenceForm(instance=preference)
    return render(request, "reviews/preferences.html", {"form": form})
