"""Load a realistic demo project, idempotently, and print the demo logins.

Every demo change goes through the services as one of the demo users, so the
demo history is attributed exactly as real work would be.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from reviews.services import comment_create, review_record
from translations.models import Project, Role, Segment
from translations.services import (
    document_create,
    membership_set,
    project_create,
    segment_edit,
    segments_append_from_text,
    translation_create,
    translation_edit,
)

PASSWORD = "interlinear-demo"
PROJECT_SLUG = "recovered-notes"

DEMO_USERS = [
    # username, first name, last name, project role (None: site admin)
    ("translator", "Hana", "Seo", Role.TRANSLATOR),
    ("translator2", "Daniel", "Park", Role.TRANSLATOR),
    ("reviewer", "Minji", "Kang", Role.REVIEWER),
    ("reviewer2", "Oliver", "Grant", Role.REVIEWER),
    ("manager", "Ruth", "Adler", Role.MANAGER),
    ("auditor", "Tomás", "Ibarra", Role.AUDITOR),
    ("admin", "Site", "Administrator", None),
]

DESCRIPTION = (
    "Notes and personal items recovered from North Korean soldiers killed in the war in "
    "Ukraine, photographed by Ukrainian Special Operations Forces and passed to the newsroom. "
    "The Korean texts in this demo are illustrative reconstructions written for the demo, "
    "not the originals; authenticity of the originals is unverified."
)

NOTEBOOK = [
    "나는 당의 사랑과 은덕을 배신하였고 최고사령관동지의 은혜를 저버렸다.",
    "이번 전투에서 [illegible] 나의 죄를 씻고 싶다.",
    "살아서 돌아가면 어머니당의 품에 다시 안기겠다.",
    "동지들에게 [?부끄럽지] 않은 전사가 되겠다.",
    "오늘도 적의 무인기가 [세번|네번] 날아왔다.",
    "어머니, 걱정하지 마십시오.",
]

LETTER = [
    "건강한 몸으로 고향에 돌아오라.",
    "나는 언제나 동무들이 무사히 돌아오기를 기원하고 있다는 것을 잊지 말라.",
    "김정은",
]


class Command(BaseCommand):
    help = "Create the demo project 'Recovered notes' with users for every role (idempotent)."

    def handle(self, *args, **options):
        users = self._users()
        if Project.objects.filter(slug=PROJECT_SLUG).exists():
            self.stdout.write("Demo project already present; left as it is.")
        else:
            from reviews.notifications import notifications_suppressed

            with notifications_suppressed(), transaction.atomic():
                self._project(users)
            self.stdout.write(self.style.SUCCESS("Demo project 'Recovered notes' created."))
        self._print_logins()

    def _users(self):
        User = get_user_model()
        users = {}
        for username, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
            )
            if created or not user.has_usable_password():
                user.set_password(PASSWORD)
            user.is_active = True
            user.is_staff = user.is_superuser = role is None
            user.save()
            users[username] = user
        return users

    def _project(self, u):
        admin = u["admin"]
        project = project_create(
            user=admin,
            name="Recovered notes",
            slug=PROJECT_SLUG,
            source_language="ko",
            target_languages=["en"],
            description=DESCRIPTION,
            reason="Demo project created",
        )
        for username, _, _, role in DEMO_USERS:
            if role is not None:
                membership_set(project=project, user=admin, member=u[username], role=role)

        notebook = document_create(
            project=project,
            user=u["manager"],
            title="Soldier's notebook: self-criticism",
            description="Pocket notebook, six handwritten lines on one page, pencil.",
            obtained_from="Ukrainian Special Operations Forces",
            obtained_when="Winter 2024–25 (photographs received January 2025)",
            obtained_where="Kursk region, Russia (as reported by the source)",
            obtained_by="Photographed by SOF; copies to the newsroom's Seoul desk",
            reference_number="RN-2025-001",
            sensitivity_notes="The soldier's name appears on the cover; do not publish the cover photograph.",
        )
        letter = document_create(
            project=project,
            user=u["manager"],
            title="Note attributed to Kim Jong Un",
            description="Printed card with a handwritten signature.",
            obtained_from="Ukrainian Special Operations Forces",
            obtained_when="January 2025",
            obtained_where="Kursk region, Russia (as reported by the source)",
            obtained_by="Photographed by SOF",
            reference_number="RN-2025-002",
            sensitivity_notes="Authenticity unverified: any quotation must say so.",
        )
        document_create(
            project=project,
            user=u["manager"],
            title="Diary page (not yet transcribed)",
            obtained_from="Ukrainian Special Operations Forces",
            reference_number="RN-2025-003",
        )
        n = segments_append_from_text(document=notebook, user=u["translator"], text="\n".join(NOTEBOOK))
        l = segments_append_from_text(document=letter, user=u["translator2"], text="\n".join(LETTER))

        def candidate(segment, who, text, note="", submit=True):
            return translation_create(segment=segment, user=u[who], language="en", text=text, note=note, submit=submit)

        # 1 — approved and published; a second candidate rejected.
        t = candidate(n[0], "translator", "I have betrayed the love and grace of the Party and turned my back on "
                      "the grace of the Supreme Commander.", note="은덕 rendered as 'grace', as in the Party's usage.")
        review_record(translation=t, reviewer=u["reviewer"], version=1, decision="approve")
        t2 = candidate(n[0], "translator2", "I let the Party down and ignored the Leader's kindness.")
        review_record(translation=t2, reviewer=u["reviewer"], version=1, decision="reject",
                      comment="Too loose: 배신 is 'betray', and 최고사령관 is the Supreme Commander, not 'the Leader'.")
        # 2 — awaiting review, and another translator's draft.
        candidate(n[1], "translator", "In this battle I want to wash away my sins [illegible].",
                  note="The illegible word sits before 나의 죄; kept the mark in place.")
        candidate(n[1], "translator2", "I want to cleanse my guilt in this fight.", submit=False)
        # 3 — approved, then edited: the approval is stale, the published text stays v1.
        t = candidate(n[2], "translator", "If I return alive, I will be embraced by the mother party again.")
        review_record(translation=t, reviewer=u["reviewer2"], version=1, decision="approve")
        translation_edit(translation=t, user=u["translator"], base_version=1,
                         text="If I return home alive, I will once more be held in the embrace of the mother party.",
                         reason="Closer to 품에 안기다 ('to be held in the embrace')")
        # 4 — changes requested.
        t = candidate(n[3], "translator2", "I will become a soldier who is not ashamed before my comrades.")
        review_record(translation=t, reviewer=u["reviewer"], version=1, decision="request_changes",
                      comment="The reading 부끄럽지 is uncertain in the transcription: keep the [?…] mark.")
        # 5 — approved, then a real source correction sends it back to review.
        t = candidate(n[4], "translator", "Today again the enemy's drones came [three|four] times.")
        review_record(translation=t, reviewer=u["reviewer"], version=1, decision="approve")
        segment = Segment.objects.get(pk=n[4].pk)
        segment_edit(segment=segment, user=u["reviewer"], base_version=segment.version,
                     source_text="오늘도 적의 무인기가 [세번|네번] 날아왔다. 피할 곳이 없다.",
                     reason="Transcription corrected: a second sentence continues on the next line of the photo")
        # 6 — untranslated: shows the gap in the approved rendering.

        # The letter: two approvals by different reviewers, one awaiting.
        t = candidate(l[0], "translator2", "Come back home safe and sound.")
        review_record(translation=t, reviewer=u["reviewer"], version=1, decision="approve")
        t = candidate(l[1], "translator2", "Never forget that I am always praying for your safe return.")
        review_record(translation=t, reviewer=u["reviewer2"], version=1, decision="approve")
        t = candidate(l[2], "translator", "Kim Jong Un", note="Signature; whether it is autograph is unverified.")

        comment_create(user=u["reviewer"], segment=n[1],
                       body="Can anyone make out the word before 나의 죄 on the photograph? Looks like 반드시.")
        comment_create(user=u["manager"], translation=t,
                       body="Keep the caveat about the signature in the published packet.")

    def _print_logins(self):
        self.stdout.write("\nDemo logins (password for all: %s)" % PASSWORD)
        for username, first, last, role in DEMO_USERS:
            label = role.label if role else "Site admin (staff, superuser)"
            self.stdout.write(f"  {username:<12} {label:<32} {first} {last}")
        self.stdout.write("")
