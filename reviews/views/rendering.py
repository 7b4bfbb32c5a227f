"""The approved rendering of a document: the packet an editor attaches to a story.

Any member of the project may read it (Action.VIEW), auditors included;
non-members get 404 like for a document that does not exist (invariant 9).
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from translations.links import ID, IdLink
from translations.views.access import document_in, language_in, project_for

from ..selectors.rendering import approved_rendering


@require_safe
def document_rendering(request, slug, document_id, language):
    project = project_for(request, slug)
    document = document_in(project, document_id)
    language = language_in(project, language)
    document.project = project  # the selector and template read it without another query
    rendering = approved_rendering(document, language)
    history = IdLink("translation_history", project.slug, ID)  # one reverse() for the page, not one per segment
    for item in rendering.segments:
        item.history_url = history(item.translation_id) if item.is_approved else None
    context = {
        "project": project,
        "document": document,
        "language": language,
        "rendering": rendering,
        "crumb": f"Approved rendering · {language.upper()}",
    }
    return render(request, "reviews/rendering.html", context)
