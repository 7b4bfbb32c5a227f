"""The import form: a file, its format, how to split plain text, the target language."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms

from .readers import IMPORT_FORMATS


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="XLIFF, PO, CSV, JSON, TMX or plain text, in UTF-8 (or UTF-16 with a byte-order mark).",
    )
    format = forms.ChoiceField(choices=list(IMPORT_FORMATS.items()), initial="auto")
    split = forms.ChoiceField(
        label="Plain text",
        choices=[("line", "One segment per line"), ("sentence", "One segment per sentence (. ? ! 。)")],
        initial="line",
        help_text="Only for plain text files.",
    )
    language = forms.ChoiceField(label="Target language", help_text="The language of the file’s targets.")

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, code.upper()) for code in project.target_languages]
        self.fields["language"].initial = project.target_languages[0] if project.target_languages else None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("file"),
            Div(
                Div(Field("format"), css_class="col-md-5"),
                Div(Field("split"), css_class="col-md-4"),
                Div(Field("language"), css_class="col-md-3"),
                css_class="row",
            ),
            Submit("preview", "Preview the import"),
        )
