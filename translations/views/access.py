"""How views find the project and objects a request is about.

Every project page goes through ``project_for``: a project the user is not a
member of is answered 404, exactly like one that does not exist, so URL
guessing reveals nothing (invariant 9); a member whose role lacks the action
gets 403. Objects are always looked up *within* the project, never by id
alone.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from .. import security_log
from ..exceptions import NotAllowed
from ..models import Document, DocumentImage, Project, Segment, Translation
from ..permissions import Action, can, is_member


def project_for(request, slug: str, action: Action = Action.VIEW) -> Project:
    project = Project.objects.filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    if not is_member(request.user, project):
        # The user gets the same 404 as above; only the log tells the two apart.
        security_log.access_refused(request, status=404, reason="not a member", project_slug=slug)
        raise Http404("No such project.")
    if not can(request.user, action, project):
        raise NotAllowed(f"Your role in {project.name} does not allow this.")
    return project


def document_in(project: Project, document_id: int) -> Document:
    return get_object_or_404(Document, project=project, pk=document_id)


def segment_in(project: Project, segment_id: int) -> Segment:
    return get_object_or_404(Segment.objects.select_related("document"), document__project=project, pk=segment_id)


def translation_in(project: Project, translation_id: int) -> Translation:
    return get_object_or_404(
        Translation.objects.select_related("segment__document", "author"),
        segment__document__project=project,
        pk=translation_id,
    )


def image_in(project: Project, image_id: int) -> DocumentImage:
    return get_object_or_404(DocumentImage.objects.select_related("document"), document__project=project, pk=image_id)


def language_in(project: Project, language: str) -> str:
    if language not in project.target_languages:
        raise Http404("Not a target language of this project.")
    return language
