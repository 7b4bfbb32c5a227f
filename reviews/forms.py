"""Validation of user input for discussion and notification settings."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms

from .models import NotificationPreference
from .services.decisions import MAX_COMMENT_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_COMMENT_LENGTH,
        strip=False,
        error_messages={
            "required": "Write a comment before posting.",
            "max_length": f"The comment is longer than {MAX_COMMENT_LENGTH} characters.",
        },
    )
    # Empty: the comment is on the segment; otherwise on this translation of it.
    translation_id = forms.IntegerField(min_value=1, required=False)


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_on_decision", "email_on_waiting_work", "email_on_mention"]
        labels = {
            "email_on_decision": "A reviewer decides on my translation",
            "email_on_waiting_work": "New work awaits my review (reviewers and managers)",
            "email_on_mention": "Someone @mentions me in a comment",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.help_text = ""
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("email_on_decision"),
            Field("email_on_waiting_work"),
            Field("email_on_mention"),
            Submit("save", "Save settings"),
        )
