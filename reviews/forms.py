"""Validation of user input: discussion, notification settings, MQM annotations, back-translations, quality policy."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model

from . import mqm
from .models import MqmSeverity, NotificationPreference
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


# --- MQM assessment, back-translation and quality policy -----------------------


class ErrorAnnotationForm(forms.Form):
    """An MQM error on a span, given by offsets (filled by the page's script when
    the reviewer selects words) or by the span's text and its occurrence number
    (typed, for keyboards and screen readers)."""

    version = forms.IntegerField(min_value=1, error_messages={"required": "The version you looked at is missing; reload the page."})
    start = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    end = forms.IntegerField(min_value=0, max_value=10**6, required=False)
    quote = forms.CharField(max_length=20_000, required=False, strip=False, label="Words in error")
    occurrence = forms.IntegerField(min_value=1, max_value=10_000, required=False, label="Occurrence")
    dimension = forms.ChoiceField(
        choices=[("", "Choose…")] + list(mqm.DIMENSIONS.items()), label="Error type",
        error_messages={"required": "Choose an error type.", "invalid_choice": "Choose an error type from the MQM typology."},
    )
    subtype = forms.CharField(max_length=60, required=False, label="Subtype")
    severity = forms.ChoiceField(
        choices=MqmSeverity.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose a severity.", "invalid_choice": "Choose a severity."},
    )
    note = forms.CharField(max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        dimension, subtype = data.get("dimension"), (data.get("subtype") or "").strip()
        if dimension and not mqm.is_valid(dimension, subtype):
            self.add_error("subtype", f"“{subtype}” is not a subtype of {mqm.DIMENSIONS[dimension]}.")
        data["subtype"] = subtype
        if (data.get("start") is None) != (data.get("end") is None):
            raise forms.ValidationError("Select the words again: the span is incomplete.")
        if data.get("start") is None and not data.get("quote"):
            raise forms.ValidationError("Select the words in error, or type them and say which occurrence.")
        return data


class BackTranslationRequestForm(forms.Form):
    version = forms.IntegerField(min_value=1, error_messages={"required": "The version you looked at is missing; reload the page."})
    assignee = forms.ModelChoiceField(
        queryset=None, label="Ask", empty_label="Choose a member…",
        error_messages={"required": "Choose whom to ask.", "invalid_choice": "Choose a member of this project who translates."},
    )
    note = forms.CharField(max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Note to them", help_text="What to look out for (optional).")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(pk__in=[m.pk for m in members])
        self.fields["assignee"].choices = [("", "Choose a member…")] + [
            (m.pk, m.get_full_name() or m.get_username()) for m in members
        ]


class BackTranslationAnswerForm(forms.Form):
    back_translation = forms.IntegerField(min_value=1, max_value=10**17)
    action = forms.ChoiceField(choices=[("complete", "Save"), ("decline", "Decline")])
    text = forms.CharField(max_length=20_000, required=False, strip=False)
    reason = forms.CharField(max_length=2_000, required=False)


class QualityPolicyForm(forms.Form):
    weight_neutral = forms.IntegerField(min_value=0, max_value=1000, label="Neutral")
    weight_minor = forms.IntegerField(min_value=0, max_value=1000, label="Minor")
    weight_major = forms.IntegerField(min_value=0, max_value=1000, label="Major")
    weight_critical = forms.IntegerField(min_value=0, max_value=1000, label="Critical")
    pass_threshold = forms.DecimalField(
        min_value=0, max_value=100, max_digits=5, decimal_places=2, label="Pass mark (0–100)",
        help_text="A document or translator passes at this MQM score or above, with no critical error.",
    )
    length_ratio_tolerance = forms.DecimalField(
        min_value=1.1, max_value=10, max_digits=4, decimal_places=2, label="Length-ratio tolerance",
        help_text="The length check flags a rendering this many times longer or shorter than the project's norm.",
    )
    shares_memory = forms.BooleanField(
        required=False, label="Offer this project's approved renderings as memory suggestions in its members' other projects",
    )
    reason = forms.CharField(max_length=300, label="Why the change", help_text="Recorded in the project's history.")

    def clean(self):
        data = super().clean()
        weights = [data.get(f"weight_{name}") for name in ("neutral", "minor", "major", "critical")]
        if None not in weights and weights != sorted(weights):
            raise forms.ValidationError("Weights must not decrease with severity (neutral ≤ minor ≤ major ≤ critical).")
        return data
