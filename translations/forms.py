"""Validation of user input, with crispy-forms layouts."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms

from .exceptions import InvalidText
from .models import Authenticity, Document
from .services.documents import PROVENANCE_FIELDS
from .texts import normalise


def normalised_text(value: str, *, field: str) -> str:
    """A form field's text as the services store text (NFC, no control characters), or a
    ValidationError saying which character is refused. For text that no service
    normalises itself, such as the reason recorded in history."""
    try:
        return normalise(value, field=field)
    except InvalidText as error:
        raise forms.ValidationError(error.message) from None


class DocumentForm(forms.ModelForm):
    reason = forms.CharField(
        required=False, max_length=500, help_text="Why this change? Recorded in the document's history."
    )

    class Meta:
        model = Document
        fields = list(PROVENANCE_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "sensitivity_notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "obtained_from": "Obtained from",
            "obtained_when": "When",
            "obtained_where": "Where",
            "obtained_by": "By whom",
            "authenticity": "Authenticity status",
        }

    def clean_reason(self):
        return normalised_text(self.cleaned_data["reason"], field="reason")

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authenticity"].choices = Authenticity.choices
        if creating:
            del self.fields["reason"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field("title"),
            Field("description"),
            Div(
                Div(Field("obtained_from"), css_class="col-md-6"),
                Div(Field("obtained_by"), css_class="col-md-6"),
                Div(Field("obtained_when"), css_class="col-md-4"),
                Div(Field("obtained_where"), css_class="col-md-5"),
                Div(Field("reference_number"), css_class="col-md-3"),
                css_class="row",
            ),
            Field("authenticity"),
            Field("sensitivity_notes"),
            *([] if creating else [Field("reason")]),
            Submit("save", "Create document" if creating else "Save changes"),
        )


class PasteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "lang": "ko"}), max_length=500_000)
    mode = forms.ChoiceField(
        choices=[("line", "One segment per line"), ("sentence", "One segment per sentence")],
        initial="line",
        widget=forms.RadioSelect,
    )


class SegmentSaveForm(forms.Form):
    source_text = forms.CharField(max_length=20_000, strip=False)
    base_version = forms.IntegerField(min_value=1)


class TranslationForm(forms.Form):
    text = forms.CharField(max_length=20_000, strip=False)
    note = forms.CharField(max_length=5_000, required=False, strip=False)
    base_version = forms.IntegerField(min_value=1, required=False)
    action = forms.ChoiceField(
        choices=[("submit", "Submit for review"), ("draft", "Save draft"), ("save", "Save new version")], required=False
    )


def form_error_message(form, fallback: str) -> str:
    """All of a bound form's errors as one sentence for a message or htmx alert."""
    messages = [str(error) for errors in form.errors.values() for error in errors]
    return " ".join(messages) or fallback


# --- Glossary ------------------------------------------------------------------------------------


def _lines(value: str) -> list[str]:
    """Renderings typed one per line (a `|` separates them too, as in the CSV files)."""
    return [part.strip() for line in (value or "").splitlines() for part in line.split("|") if part.strip()]


class GlossaryTermForm(forms.Form):
    language = forms.ChoiceField(label="Target language")
    source_term = forms.CharField(max_length=200, label="Source term")
    approved = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Approved renderings",
        help_text="One per line, the preferred one first.",
    )
    forbidden = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Forbidden renderings",
        help_text="One per line: renderings the team has ruled out.",
    )
    part_of_speech = forms.ChoiceField(required=False, label="Part of speech")
    note = forms.CharField(required=False, max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(required=False, max_length=500, help_text="Why this change? Recorded in history.")

    def __init__(self, *args, project, editing: bool = False, **kwargs):
        from .models import PartOfSpeech

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, code.upper()) for code in project.target_languages]
        self.fields["part_of_speech"].choices = [("", "—")] + list(PartOfSpeech.choices)
        self.fields["source_term"].widget.attrs["lang"] = project.source_language
        if editing:
            self.fields["language"].disabled = True
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Div(
                Div(Field("source_term"), css_class="col-md-6"),
                Div(Field("language"), css_class="col-md-3"),
                Div(Field("part_of_speech"), css_class="col-md-3"),
                css_class="row",
            ),
            Div(
                Div(Field("approved"), css_class="col-md-6"),
                Div(Field("forbidden"), css_class="col-md-6"),
                css_class="row",
            ),
            Field("note"),
            Field("reason"),
            Submit("save", "Save term" if editing else "Add term"),
        )

    def clean_approved(self):
        return _lines(self.cleaned_data["approved"])

    def clean_forbidden(self):
        return _lines(self.cleaned_data["forbidden"])

    def clean_reason(self):
        return normalised_text(self.cleaned_data["reason"], field="reason").strip()


class GlossaryImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with a header row (source_term, language, approved, forbidden, part_of_speech, note; "
        "several renderings separated by |) or TBX, in UTF-8.",
    )
    format = forms.ChoiceField(choices=[("auto", "Recognise"), ("csv", "CSV"), ("tbx", "TBX")], initial="auto")
    language = forms.ChoiceField(label="Language of rows that name none")
    reason = forms.CharField(required=False, max_length=500, help_text="Recorded in history.")

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, code.upper()) for code in project.target_languages]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("file"),
            Div(
                Div(Field("format"), css_class="col-md-4"),
                Div(Field("language"), css_class="col-md-4"),
                Div(Field("reason"), css_class="col-md-4"),
                css_class="row",
            ),
            Submit("preview", "Preview the import"),
        )

    def clean_reason(self):
        return normalised_text(self.cleaned_data["reason"], field="reason").strip()
