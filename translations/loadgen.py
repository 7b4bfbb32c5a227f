"""Synthetic but realistic load: projects, people, documents, transcriptions,
candidates, versions, reviews and discussions at a chosen scale.

Everything is written the way the application writes it, so the load keeps
every invariant and can be checked like real data:

* tracked rows only through ``bulk_create_tracked`` / ``bulk_update_tracked``
  (one history row each, indexed as an AuditEvent), naming per row the member
  who acted and why (simple-history's per-instance ``_history_user`` and
  ``_change_reason``), so ``verify_history`` passes afterwards;
* every decision through ``reviews_record_bulk`` (four eyes, versions,
  required approvals, the final edit, one published rendering per segment and
  language), and late source corrections through ``segment_edit``, so states
  and publication are the services' own, never computed here;
* an edit makes a new version whose text differs from every earlier one of
  that candidate, so no old approval silently counts again.

Work is cut into batches of documents. Each batch is planned from its own
random stream (seeded by the seed and the batch number; ``BatchPlanner``) and
written in its own transaction (``BatchWriter``), so memory stays flat, a
crash leaves whole batches only, and the same seed gives the same data (up to
ids and timestamps) whether the batches are written here or by worker
processes (``--jobs``, PostgreSQL), in whatever order. Scale 1 is about
1 000 documents, 50 000 segments, 150 000 candidates, 250 000 reviews and
1 000 000 history rows (each also an audit event).
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import random
import re
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, connections, reset_queries, transaction
from django.utils import timezone

from reviews.models import AuditEvent, Comment, Decision, Review
from reviews.services import reviews_record_bulk

from .history import bulk_create_tracked, bulk_update_tracked
from .management.commands.verify_history import tracked_models
from .models import Authenticity, Document, Membership, Project, Role, Segment, Translation
from .permissions import forget_roles
from .services import segment_edit
from .services.segments import clean_source_text
from .services.translations import clean_translation_text, state_for
from .texts import source_fingerprint, text_fingerprint

DOCUMENTS_PER_SCALE = 1_000
DOCUMENTS_PER_PROJECT = 25
BATCH_DOCUMENTS = 50
# People per scale unit, with the minimum any scale needs (four candidates per
# segment, two approvals by people other than the author, final editors).
CAST = {Role.TRANSLATOR: (60, 8), Role.REVIEWER: (16, 4), Role.MANAGER: (8, 2), Role.AUDITOR: (4, 1)}
LEAD_REVIEWER = "load-reviewer-1"  # reviews in every load project: the long queue
# The tables whose rows the review services and the writer look up while loading.
LOOKED_UP = (Document, Segment, Translation, Review)
# A worker that died without a word (killed, out of memory) is given up on
# after this many seconds of silence.
SILENT_WORKER_SECONDS = 5

# --- The phrasebook ---------------------------------------------------------
# Korean sentences of the kinds the project translates (notebooks, letters,
# diaries, leaflets), each with English and Ukrainian renderings of differing
# wording, so candidates by different translators differ as real ones do.
# {n} and {m} are numbers; a rendering keeps them (the numbers check).

PHRASES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "나는 당의 사랑과 은덕을 배신하였다.",
        (
            "I have betrayed the love and grace of the Party.",
            "I betrayed the Party's love and benevolence.",
            "I have been a traitor to the Party's love and kindness.",
        ),
        ("Я зрадив любов і ласку партії.",),
    ),
    (
        "최고사령관동지의 은혜를 저버렸다.",
        (
            "I turned my back on the grace of Comrade Supreme Commander.",
            "I have spurned the kindness of the Comrade Supreme Commander.",
        ),
        ("Я знехтував милістю товариша Верховного головнокомандувача.",),
    ),
    (
        "이번 전투에서 나의 죄를 씻고 싶다.",
        (
            "In this battle I want to wash away my sins.",
            "I want to cleanse my guilt in this fight.",
            "In this battle I wish to atone for my crimes.",
        ),
        ("У цьому бою я хочу змити свою провину.",),
    ),
    (
        "살아서 돌아가면 어머니당의 품에 다시 안기겠다.",
        (
            "If I return alive, I will be held again in the embrace of the mother party.",
            "Should I come back alive, I will return to the bosom of the mother party.",
        ),
        ("Якщо повернуся живим, знову пригорнуся до матері-партії.",),
    ),
    (
        "동지들에게 부끄럽지 않은 전사가 되겠다.",
        (
            "I will become a soldier my comrades need not be ashamed of.",
            "I will be a fighter who is not ashamed before his comrades.",
        ),
        ("Я стану бійцем, за якого товаришам не буде соромно.",),
    ),
    (
        "오늘도 적의 무인기가 날아왔다.",
        (
            "Today again the enemy's drones came.",
            "The enemy drones flew over again today.",
            "Enemy drones came again today.",
        ),
        ("Сьогодні знову прилетіли ворожі дрони.", "Ворожі дрони знову прилетіли сьогодні."),
    ),
    (
        "어머니, 걱정하지 마십시오.",
        ("Mother, please do not worry.", "Do not worry, Mother."),
        ("Мамо, не хвилюйтеся.",),
    ),
    (
        "건강한 몸으로 고향에 돌아오라.",
        ("Come back home safe and sound.", "Return to your home town in good health."),
        ("Повертайтеся додому здоровими.",),
    ),
    (
        "피할 곳이 없다.",
        ("There is nowhere to hide.", "There is no place to take cover."),
        ("Сховатися ніде.", "Немає де сховатися."),
    ),
    (
        "밤새 포성이 멎지 않았다.",
        ("The guns did not stop all night.", "The shelling went on through the night."),
        ("Всю ніч не вщухала канонада.",),
    ),
    (
        "우리 분대는 숲속에 참호를 팠다.",
        ("Our squad dug trenches in the forest.", "My squad dug in among the trees."),
        ("Наше відділення викопало окопи в лісі.",),
    ),
    (
        "동무들이 무사히 돌아오기를 기원한다.",
        ("I pray that my comrades return safely.", "I wish for the comrades to come back unharmed."),
        ("Я молюся, щоб товариші повернулися неушкодженими.",),
    ),
    (
        "적의 무인기를 보면 움직이지 말고 서 있어야 한다.",
        (
            "When you see an enemy drone, you must stand still and not move.",
            "On sighting an enemy drone, stand still and do not move.",
        ),
        ("Побачивши ворожий дрон, треба стояти нерухомо.",),
    ),
    (
        "한 사람이 무인기를 유인하면 다른 사람이 쏜다.",
        ("One man lures the drone while another shoots it.", "One soldier draws the drone in and the other fires."),
        ("Один заманює дрон, а інший стріляє.",),
    ),
    (
        "배가 고파서 잠을 이룰 수 없었다.",
        ("I was too hungry to sleep.", "Hunger kept me awake."),
        ("Я був такий голодний, що не міг заснути.",),
    ),
    (
        "고향 하늘이 그립다.",
        ("I miss the sky over my home town.", "I long for the skies of home."),
        ("Я сумую за небом рідного краю.",),
    ),
    (
        "조선로동당 만세!",
        ("Long live the Workers' Party of Korea!", "Hurrah for the Workers' Party of Korea!"),
        ("Хай живе Трудова партія Кореї!",),
    ),
    (
        "포로가 되느니 차라리 자폭하겠다.",
        (
            "I would rather blow myself up than be taken prisoner.",
            "Rather than become a prisoner I will detonate myself.",
        ),
        ("Краще підірву себе, ніж потраплю в полон.",),
    ),
    (
        "러시아 군인들은 우리를 형제라고 부른다.",
        ("The Russian soldiers call us brothers.", "The Russians call us their brothers."),
        ("Російські солдати називають нас братами.",),
    ),
    (
        "통역이 없어서 명령을 알아듣기 어렵다.",
        (
            "Without an interpreter, orders are hard to understand.",
            "There is no interpreter, so it is hard to make out the orders.",
        ),
        ("Без перекладача важко зрозуміти накази.",),
    ),
    (
        "오늘 전우 한 명을 잃었다.",
        ("Today I lost a comrade in arms.", "One of my comrades was killed today."),
        ("Сьогодні я втратив бойового товариша.",),
    ),
    (
        "그의 이름을 여기에 적어 둔다.",
        ("I write his name down here.", "I am recording his name here."),
        ("Записую тут його ім'я.",),
    ),
    (
        "눈이 많이 와서 길을 찾기 힘들다.",
        (
            "So much snow has fallen that it is hard to find the way.",
            "The heavy snow makes it hard to find the road.",
        ),
        ("Випало багато снігу, важко знайти дорогу.",),
    ),
    (
        "손가락이 얼어서 글씨를 쓰기 어렵다.",
        (
            "My fingers are frozen, so it is hard to write.",
            "My fingers are numb with cold and writing is difficult.",
        ),
        ("Пальці замерзли, важко писати.",),
    ),
    (
        "아버지의 말씀을 잊지 않겠다.",
        ("I will not forget my father's words.", "I shall remember what father told me."),
        ("Я не забуду батькових слів.",),
    ),
    (
        "우리는 반드시 승리할 것이다.",
        ("We will surely win.", "Victory will certainly be ours."),
        ("Ми неодмінно переможемо.",),
    ),
    (
        "적은 우리의 위치를 알고 있는 것 같다.",
        ("The enemy seems to know our position.", "It looks as though the enemy knows where we are."),
        ("Здається, ворог знає наші позиції.",),
    ),
    (
        "이 편지를 받으면 답장을 해 주십시오.",
        ("When you receive this letter, please write back.", "Please reply when this letter reaches you."),
        ("Коли отримаєте цього листа, будь ласка, напишіть відповідь.",),
    ),
    (
        "누이동생에게 안부를 전해 주십시오.",
        ("Please give my regards to my little sister.", "Send my love to my younger sister."),
        ("Передайте вітання моїй молодшій сестрі.",),
    ),
    (
        "자기비판서를 다시 써야 한다.",
        ("I must write my self-criticism again.", "I have to rewrite my self-criticism."),
        ("Я мушу знову писати самокритику.",),
    ),
    (
        "정치지도원이 오늘 밤 총화를 한다고 했다.",
        (
            "The political instructor said there will be a review session tonight.",
            "The political officer announced a criticism session for tonight.",
        ),
        ("Політрук сказав, що сьогодні ввечері буде підбиття підсумків.",),
    ),
    (
        "총을 깨끗이 닦아 두었다.",
        ("I cleaned my rifle thoroughly.", "I have kept my gun clean."),
        ("Я ретельно почистив гвинтівку.",),
    ),
    (
        "비가 와서 참호에 물이 찼다.",
        ("It rained and the trench filled with water.", "The rain flooded our trench."),
        ("Пішов дощ, і окоп залило водою.",),
    ),
    (
        "부상병들을 후방으로 옮겼다.",
        ("We moved the wounded to the rear.", "The wounded were carried back behind the lines."),
        ("Поранених перенесли в тил.",),
    ),
    (
        "조국을 위하여 목숨을 바치겠다.",
        ("I will give my life for the fatherland.", "I shall lay down my life for my country."),
        ("Я віддам життя за батьківщину.",),
    ),
    (
        "적의 선전물을 읽지 말라는 지시가 내려왔다.",
        ("An order came down not to read enemy leaflets.", "We were ordered not to read the enemy's propaganda."),
        ("Надійшов наказ не читати ворожих листівок.",),
    ),
    (
        "투항하면 생명을 보장한다.",
        ("If you surrender, your life will be guaranteed.", "Surrender and your life will be spared."),
        ("Якщо здасишся, тобі гарантують життя.",),
    ),
    (
        "이 전쟁은 당신들의 전쟁이 아니다.",
        ("This war is not your war.", "This is not your war."),
        ("Ця війна — не ваша війна.",),
    ),
    (
        "집에 돌아가고 싶다.",
        ("I want to go home.", "I wish I could go back home."),
        ("Я хочу додому.",),
    ),
    (
        "어제 밤에 꿈에서 어머니를 보았다.",
        ("Last night I saw my mother in a dream.", "I dreamed of mother last night."),
        ("Минулої ночі мені наснилася мама.",),
    ),
    (
        "{n}일 동안 제대로 먹지 못했다.",
        ("For {n} days we have not eaten properly.", "We have gone {n} days without a proper meal."),
        ("{n} днів ми нормально не їли.",),
    ),
    (
        "오늘 무인기 {n}대가 날아왔다.",
        ("Today {n} drones came over.", "{n} drones flew in today."),
        ("Сьогодні прилетіло {n} дронів.",),
    ),
    (
        "우리 중대에서 {n}명이 다쳤다.",
        ("{n} men in our company were wounded.", "Our company had {n} wounded."),
        ("У нашій роті поранено {n} осіб.",),
    ),
    (
        "{m}월 {n}일. 맑음.",
        ("Day {n} of month {m}. Clear.", "Month {m}, day {n}: fair weather."),
        ("День {n}, місяць {m}. Ясно.",),
    ),
    (
        "고지 {n}에서 밤을 보냈다.",
        ("We spent the night on Hill {n}.", "We passed the night at height {n}."),
        ("Ми провели ніч на висоті {n}.",),
    ),
    (
        "오늘도 적의 무인기가 [세번|네번] 날아왔다.",
        (
            "Today again the enemy drones came [three|four] times.",
            "The enemy drones came over again today, [three|four] times.",
        ),
        ("Сьогодні ворожі дрони знову прилітали [тричі|чотири рази].",),
    ),
    (
        "이 쪽지를 [누나|누이]에게 전해 주십시오.",
        ("Please pass this note to my [elder sister|sister].", "Please give this note to my [older sister|sister]."),
        ("Передайте цю записку моїй [старшій сестрі|сестрі].",),
    ),
]
LANGUAGE_COLUMN = {"en": 1, "uk": 2}
SECOND_LANGUAGE = "uk"
RESOLVED_READING = "반드시"
# Word-level revisions a translator makes between versions (English, Ukrainian).
REVISIONS = {
    "en": [("enemy", "adversary"), ("comrades", "fellow soldiers"), ("Party", "Workers' Party"), ("drones", "UAVs"),
           ("must", "have to"), ("Mother", "Mum"), ("soldier", "fighter"), ("trench", "dugout"), ("will", "shall"),
           ("home town", "hometown"), ("Today", "This day"), ("want", "wish")],
    "uk": [("ворожі", "чужі"), ("товариші", "побратими"), ("Сьогодні", "Нині"), ("дрони", "БПЛА"), ("мама", "мати")],
}
LATE_ADDITIONS = ["피할 곳이 없다.", "집에 돌아가고 싶다.", "고향 하늘이 그립다.", "밤새 포성이 멎지 않았다."]

DOCUMENT_KINDS = [
    # kind, title, segments (min, max), description, weight
    ("notebook", "Soldier's notebook", (10, 30), "Pocket notebook, handwritten in pencil.", 3),
    ("letter", "Letter home", (20, 50), "Folded letter, ink on squared paper.", 3),
    ("diary", "Field diary", (73, 135), "Bound diary, entries dated by hand.", 3),
    ("leaflet", "Leaflet", (15, 40), "Printed leaflet with handwritten annotations.", 1),
]
SUBJECTS = ["self-criticism", "drone tactics", "to his mother", "winter entries", "Party pledge", "the last days",
            "orders and slogans", "to his sister", "names of the fallen", "on hunger", "surrender appeal", "home"]
OBTAINED_FROM = ["Ukrainian Special Operations Forces", "Ukrainian military intelligence", "A volunteer medical unit",
                 "The newsroom's source in Kyiv", "A frontline chaplain"]
OBTAINED_WHERE = ["Kursk region, Russia (as reported by the source)", "Sudzha district (as reported)",
                  "Border area, Bryansk region (unconfirmed)", "Field hospital, Sumy region"]
OBTAINED_BY = ["Photographed by SOF; copies to the Seoul desk", "Photographed by the newsroom's stringer",
               "Scanned at the newsroom from the originals", "Phone photographs forwarded by the source"]
MONTHS = ["January", "February", "March", "April", "October", "November", "December"]
SENSITIVITY = ["", "", "The soldier's name appears on the cover; do not publish the cover photograph.",
               "Names of family members: redact before publication.",
               "Contains a unit number; check with the security desk before quoting."]
AUTHENTICITY_REASONS = {
    Authenticity.AUTHENTICATED: "Authenticity assessed: handwriting and paper match other items from the same unit",
    Authenticity.DISPUTED: "Authenticity disputed: dates and unit designation contradict the source's account",
}
PROJECT_NAMES = ["Recovered notes", "Field diaries", "Letters home", "Leaflets and slogans", "Unit notebooks",
                 "Hospital notes"]
TRANSLATOR_NOTES = ["은덕 rendered as 'grace', as in the Party's usage.", "Kept the uncertain-reading mark in place.",
                    "최고사령관 is the Supreme Commander, not 'the Leader'.", "Word order kept close to the Korean.",
                    "동무 rendered as 'comrade' throughout."]
REQUEST_CHANGES_COMMENTS = [
    "Keep the uncertain-reading mark: the reading is not certain in the transcription.",
    "Too loose; stay closer to the Korean.",
    "최고사령관 is 'Supreme Commander', not 'the Leader'.",
    "The illegible word is missing from the rendering.",
    "Tense: the original is in the past.",
    "Render 동무 as 'comrade' consistently.",
    "Register is too colloquial for a Party slogan.",
    "The number in the source is missing.",
]
REJECT_COMMENTS = [
    "Mistranslation: the subject is the writer, not the unit.",
    "Does not follow the source; reads like machine output.",
    "Leaves out the second sentence entirely.",
    "Adds content that is not in the source.",
    "Renders the previous line, not this one.",
]
SEGMENT_COMMENTS = [
    "Can anyone make out the word before the mark on the photograph?",
    "The photo is blurred here; second opinion on the reading?",
    "Is this a set phrase in Party usage?",
    "This line continues on the back of the page.",
    "The handwriting changes here: a second writer?",
]
TRANSLATION_COMMENTS = [
    "Keep the caveat about authenticity when this is quoted.",
    "Nice: this matches how the other notebooks phrase it.",
    "Should we keep the honorific here?",
    "Compare with the rendering of the same slogan in the diary.",
]
FIRST_NAMES = ["Hana", "Minji", "Jisoo", "Daniel", "Oliver", "Ruth", "Tomás", "Olena", "Taras", "Yuna", "Seojun",
               "Iryna", "Mykola", "Grace", "Sung-min", "Eun-ji", "Petro", "Sofia", "Hyun-woo", "Anna"]
LAST_NAMES = ["Seo", "Park", "Kang", "Grant", "Adler", "Ibarra", "Kovalenko", "Shevchenko", "Kim", "Lee", "Choi",
              "Bondarenko", "Han", "Moroz", "Jung", "Yoon"]
# People per scale unit, with the minimum any scale needs (four candidates per
# Replies in a discussion: to a question on a segment, to a remark on a
# translation (often by its translator), and the translator's answers.
SEGMENT_REPLIES = [
    "I read it the same way on the sharper photograph.",
    "Agreed; the stroke order matches the word two lines up.",
    "Checked against page 2: the same hand wrote both.",
    "Not sure; leaving the uncertain-reading mark until someone checks the original.",
]
TRANSLATION_REPLIES = [
    "Agreed, the published text should keep the caveat.",
    "The diary uses the same wording; keeping it consistent.",
    "I would keep the honorific: it is how the writer addresses him.",
]
TRANSLATOR_REPLIES = [
    "Thanks, changed in the next version.",
    "I kept it deliberately: the Korean is just as stiff.",
    "Fixed; please take another look.",
]

# --- Texts -------------------------------------------------------------------


@dataclass
class Passage:
    """The content of one segment: sentences of the phrasebook and uncertain readings."""

    sentences: list[tuple[int, dict]]
    illegible_at: int | None = None  # token index the [illegible] mark goes before
    illegible_resolved: bool = False
    uncertain_at: int | None = None  # token index wrapped as [?token]

    def source(self) -> str:
        tokens = " ".join(PHRASES[index][0].format(**params) for index, params in self.sentences).split(" ")
        if self.uncertain_at is not None:
            tokens[self.uncertain_at] = f"[?{tokens[self.uncertain_at]}]"
        if self.illegible_at is not None:
            tokens.insert(self.illegible_at, RESOLVED_READING if self.illegible_resolved else "[illegible]")
        return " ".join(tokens)

    @property
    def marks(self) -> tuple[bool, bool]:
        return (self.illegible_at is not None and not self.illegible_resolved, self.uncertain_at is not None)


def _numbers(rng) -> dict:
    return {"n": rng.randint(2, 40), "m": rng.randint(1, 12)}


def compose_passage(rng) -> Passage:
    count = rng.choices((1, 2, 3), weights=(55, 35, 10))[0]
    passage = Passage([(rng.randrange(len(PHRASES)), _numbers(rng)) for _ in range(count)])
    tokens = passage.source().split(" ")
    plain = [i for i, token in enumerate(tokens[:-1]) if "[" not in token and "]" not in token]
    if plain and rng.random() < 0.05:
        passage.uncertain_at = rng.choice(plain)
    if len(tokens) > 1 and rng.random() < 0.06:
        passage.illegible_at = rng.randrange(1, len(tokens))
    return passage


def correct_passage(rng, passage: Passage) -> tuple[Passage, str]:
    """A transcriber's correction before translation starts, with its reason."""
    if passage.illegible_at is not None:
        resolved = Passage(passage.sentences, passage.illegible_at, True, passage.uncertain_at)
        return resolved, "Illegible word read from a sharper photograph"
    if passage.uncertain_at is not None:
        return Passage(passage.sentences, passage.illegible_at, False, None), "Uncertain reading confirmed"
    extended = Passage(passage.sentences + [(rng.randrange(len(PHRASES)), _numbers(rng))])
    return extended, "Transcription completed: the line continues on the next photograph"


_WORD = re.compile(r"^[^\W\d_]+$")
GLOSSES = ("literally", "as written", "sic")
_GLOSS = re.compile(r" \((?:literally|as written|sic)\)$")


def render(rng, passage: Passage, language: str, choices: list[int] | None = None) -> tuple[str, list[int]]:
    """One translator's rendering of a passage, and the wording chosen per sentence."""
    column = LANGUAGE_COLUMN[language]
    variants = [PHRASES[index][column] for index, _ in passage.sentences]
    choices = choices or [rng.randrange(len(v)) for v in variants]
    words = " ".join(
        v[c].format(**params) for v, c, (_, params) in zip(variants, choices, passage.sentences)
    ).split(" ")
    illegible, uncertain = passage.marks
    if uncertain and rng.random() < 0.85:
        plain = [i for i, word in enumerate(words[1:-1], start=1) if _WORD.match(word)]
        if plain:
            i = rng.choice(plain)
            words[i] = f"[?{words[i]}]"
    if illegible and rng.random() < 0.85:
        words.insert(rng.randrange(1, len(words) + 1), "[illegible]")
    return clean_translation_text(" ".join(words)), choices


def revise(rng, passage: Passage, language: str, text: str, choices: list[int], seen: set[str]) -> str:
    """A new version of a rendering that differs from every earlier version of it."""
    for _ in range(6):
        attempt = rng.random()
        if attempt < 0.5:
            column = LANGUAGE_COLUMN[language]
            pick = rng.randrange(len(passage.sentences))
            options = len(PHRASES[passage.sentences[pick][0]][column])
            changed = list(choices)
            changed[pick] = (changed[pick] + 1 + rng.randrange(max(1, options - 1))) % options
            candidate, _ = render(rng, passage, language, changed)
        else:
            found = [
                (old, new) for old, new in REVISIONS[language] if re.search(rf"\b{old}\b", text) and new not in text
            ]
            if not found:
                continue
            old, new = rng.choice(found)
            candidate = re.sub(rf"\b{old}\b", new, text, count=1)
        if candidate not in seen:
            return candidate
    # Nothing left to reword: the translator adds a gloss instead.
    base = _GLOSS.sub("", text)
    for gloss in GLOSSES:
        if f"{base} ({gloss})" not in seen:
            return f"{base} ({gloss})"
    return f"{base} (revision {len(seen) + 1})"


# --- The plan ----------------------------------------------------------------

# What happens to a candidate that is not its segment's approved rendering.
NON_WINNER_STORIES = (
    "pending", "reject", "changes", "revised", "revised-rejected", "rejected-revised", "revised-twice",
)
NON_WINNER_WEIGHTS = (12, 22, 12, 16, 12, 10, 16)
# Phases of a batch after the candidates exist, in order. A candidate's plan
# names its action in each phase it takes part in: drafting before review,
# then rounds of decisions and edits.
PHASES = ["draft1", "draft2"] + [
    f"{kind}{round_}" for round_ in (1, 2, 3, 4) for kind in ("decide", "second", "final", "edit")
]
# Share of the candidates bound for review that start as a saved draft and are
# reworked before they are submitted; of those, how many get a second draft
# version, and how many are edited once more as they are submitted.
DRAFTED = 0.65
REDRAFTED = 0.6
EDITED_ON_SUBMIT = 0.5
# Discussions: how often a segment or a candidate is discussed, and how long a thread runs.
SEGMENT_DISCUSSED = 0.25
CANDIDATE_DISCUSSED = 0.14
THREAD_LENGTHS, THREAD_WEIGHTS = (1, 2, 3), (50, 35, 15)


def batch_random(seed: int, batch: int) -> random.Random:
    """The random stream of one batch (str seeds hash the same in every process)."""
    return random.Random(f"interlinear-load:{seed}:{batch}")


@dataclass
class ProjectPlan:
    project: Project
    languages: list[str]
    translators: list
    reviewers: list
    managers: list
    auditors: list

    @property
    def commenters(self) -> list:
        return self.translators + self.reviewers + self.managers


@dataclass
class CandidatePlan:
    segment: SegmentPlan
    language: str
    author: object
    passage: Passage
    texts: list[str]
    submitted: bool  # goes to review from round 1
    note: str
    drafted: bool = False  # starts as a saved draft and is submitted in the draft phases
    actions: dict[str, tuple] = field(default_factory=dict)
    choices: list[int] = field(default_factory=list)  # wording chosen per sentence
    comments: list[tuple] = field(default_factory=list)  # (author, body), in order
    translation_id: int | None = None
    version: int = 1


@dataclass
class SegmentPlan:
    document: DocumentPlan
    position: int
    source_v1: str
    source: str  # after an early correction, what translators translate
    correction: tuple | None  # (reviewer, reason) of an early correction
    late_correction: tuple | None = None  # (reviewer, new text, reason) after review
    candidates: list[CandidatePlan] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)  # (author, body), in order
    obj: Segment | None = None


@dataclass
class DocumentPlan:
    project: ProjectPlan
    index: int
    fields: dict
    creator: object
    transcriber: object
    authenticity: str
    segments: list[SegmentPlan] = field(default_factory=list)
    obj: Document | None = None


class BatchPlanner:
    """The plan of one batch of documents, drawn from the batch's random stream."""

    def __init__(self, rng: random.Random, run_label: str):
        self.rng = rng
        self.run_label = run_label
        # A few refusal comments per batch: each (reviewer, decision, comment) is one
        # reviews_record_bulk call, so this bounds the calls; variety comes across batches.
        self.palette = {Decision.REJECT: rng.sample(REJECT_COMMENTS, 2),
                        Decision.REQUEST_CHANGES: rng.sample(REQUEST_CHANGES_COMMENTS, 3)}

    def document(self, project: ProjectPlan, index: int) -> DocumentPlan:
        rng = self.rng
        _, title, (low, high), description, _ = rng.choices(DOCUMENT_KINDS, weights=[k[4] for k in DOCUMENT_KINDS])[0]
        year = rng.choice((2024, 2025))
        reference = f"LD-{self.run_label}-{index + 1:05d}"
        roll = rng.random()
        authenticity = (Authenticity.AUTHENTICATED if roll < 0.25 else Authenticity.DISPUTED if roll < 0.45
                        else Authenticity.UNVERIFIED)
        document = DocumentPlan(
            project=project, index=index,
            fields={
                "title": f"{title}: {rng.choice(SUBJECTS)} ({reference})",
                "description": description,
                "obtained_from": rng.choice(OBTAINED_FROM),
                "obtained_when": f"{rng.choice(MONTHS)} {year}",
                "obtained_where": rng.choice(OBTAINED_WHERE),
                "obtained_by": rng.choice(OBTAINED_BY),
                "reference_number": reference,
                "sensitivity_notes": rng.choice(SENSITIVITY),
            },
            creator=rng.choice(project.managers),
            transcriber=rng.choice(project.translators + project.reviewers),
            authenticity=authenticity,
        )
        for position in range(1, rng.randint(low, high) + 1):
            document.segments.append(self._segment(document, position))
        return document

    def _segment(self, document: DocumentPlan, position: int) -> SegmentPlan:
        rng, project = self.rng, document.project
        passage = compose_passage(rng)
        source_v1 = clean_source_text(passage.source())
        correction = None
        if rng.random() < 0.06:
            passage, reason = correct_passage(rng, passage)
            correction = (rng.choice(project.reviewers), reason)
        segment = SegmentPlan(document, position, source_v1, clean_source_text(passage.source()), correction)
        if rng.random() < SEGMENT_DISCUSSED:
            segment.comments = self._discussion(project, SEGMENT_COMMENTS, SEGMENT_REPLIES)
        if rng.random() < 0.04:
            return segment  # not translated yet
        for language in project.languages:
            count = (rng.choices((2, 3, 4), weights=(45, 40, 15)) if language == "en"
                     else rng.choices((1, 2), weights=(60, 40)))[0]
            # Mostly translators; now and then a reviewer proposes a rendering too
            # (and then may not review it).
            pool = project.translators + (project.reviewers[1:] if rng.random() < 0.15 else [])
            group = []
            for author in rng.sample(pool, count):
                text, choices = render(rng, passage, language)
                group.append(CandidatePlan(
                    segment=segment, language=language, author=author, passage=passage, texts=[text],
                    submitted=rng.random() >= 0.08, note=rng.choice(TRANSLATOR_NOTES) if rng.random() < 0.12 else "",
                    choices=choices,
                ))
            for candidate in group:
                if candidate.submitted and rng.random() < DRAFTED:
                    self._draft(candidate)
            self._story(group, project)
            for candidate in group:
                if rng.random() < CANDIDATE_DISCUSSED:
                    candidate.comments = self._discussion(project, TRANSLATION_COMMENTS, TRANSLATION_REPLIES,
                                                          translator=candidate.author)
            segment.candidates.extend(group)
        if segment.candidates and rng.random() < 0.005:
            reviewer = rng.choice(project.reviewers)
            if rng.random() < 0.3:
                segment.late_correction = (reviewer, segment.source.replace(" ", "  ", 1), "Fixed spacing")
            else:
                segment.late_correction = (reviewer, f"{segment.source} {rng.choice(LATE_ADDITIONS)}",
                                           "Transcription corrected after review: the line continues overleaf")
        return segment

    def _discussion(self, project: ProjectPlan, openers, replies, translator=None) -> list[tuple]:
        """A thread: an opening remark and replies, the translator of a candidate often answering."""
        rng = self.rng
        opener = rng.choice(project.commenters)
        body = rng.choice(openers)
        if translator is not None and rng.random() < 0.3:
            body = f"@{translator.username} {body}"
        thread = [(opener, body)]
        for _ in range(rng.choices(THREAD_LENGTHS, weights=THREAD_WEIGHTS)[0] - 1):
            if translator is not None and translator.pk != opener.pk and rng.random() < 0.6:
                thread.append((translator, f"@{opener.username} {rng.choice(TRANSLATOR_REPLIES)}"))
            else:
                others = [m for m in project.commenters if m.pk != thread[-1][0].pk]
                thread.append((rng.choice(others), rng.choice(replies)))
        return thread

    def _draft(self, candidate: CandidatePlan) -> None:
        """Saved as a draft, reworked, then submitted, before the first round of review."""
        candidate.drafted = True
        if self.rng.random() < REDRAFTED:
            self._edit(candidate, "draft1")
        if self.rng.random() < EDITED_ON_SUBMIT:
            self._edit(candidate, "draft2", submit=True)
        else:
            candidate.actions["draft2"] = ("submit",)

    def _story(self, group: list[CandidatePlan], project: ProjectPlan) -> None:
        """What happens to each candidate of one segment and language.

        At most one candidate is the winner, approved in round 1, 2 or 3 after
        requests for changes, sometimes improved afterwards and approved again
        in round 4; now and then an earlier approval of another candidate is
        superseded by it. The others are rejected, sent back, revised or left
        waiting in the queue."""
        rng = self.rng
        submitted = [c for c in group if c.submitted]
        winner = rng.choice(submitted) if submitted and rng.random() < 0.8 else None
        for draft in (c for c in group if not c.submitted):
            if rng.random() < 0.5:
                draft.actions["edit1"] = ("submit",)  # the draft is finished and goes to review
                if rng.random() < 0.5:
                    self._refuse(draft, 2, project, rng.choice((Decision.REQUEST_CHANGES, Decision.REJECT)))
        superseded = None
        if winner and len(submitted) > 1 and rng.random() < 0.06:
            superseded = rng.choice([c for c in submitted if c is not winner])
        for candidate in submitted:
            if candidate is superseded:
                self._approve(candidate, 1, project)
            elif candidate is winner:
                rounds = 2 if superseded else rng.choices((1, 2, 3), weights=(30, 40, 30))[0]
                for round_ in range(1, rounds):
                    self._refuse(candidate, round_, project, Decision.REQUEST_CHANGES)
                    self._edit(candidate, f"edit{round_}")
                if self._approve(candidate, rounds, project) and not superseded and rng.random() < 0.3:
                    # Approved, then improved: the published text stays until the new version is approved.
                    self._edit(candidate, "edit3")
                    if rng.random() < 0.7:
                        self._approve(candidate, 4, project)
            else:
                story = rng.choices(NON_WINNER_STORIES, weights=NON_WINNER_WEIGHTS)[0]
                if story == "pending":
                    continue
                first = Decision.REJECT if story in ("reject", "rejected-revised") else Decision.REQUEST_CHANGES
                self._refuse(candidate, 1, project, first)
                if story in ("revised", "revised-rejected", "rejected-revised", "revised-twice"):
                    self._edit(candidate, "edit1")
                if story == "revised-rejected":
                    self._refuse(candidate, 2, project, Decision.REJECT)
                if story == "revised-twice":
                    self._refuse(candidate, 2, project, Decision.REQUEST_CHANGES)
                    self._edit(candidate, "edit2")

    def _eligible(self, candidate, project, exclude=()) -> list:
        return [r for r in project.reviewers if r.pk != candidate.author.pk and r not in exclude]

    def _refuse(self, candidate, round_, project, decision):
        reviewer = self.rng.choice(self._eligible(candidate, project))
        candidate.actions[f"decide{round_}"] = ("review", reviewer, decision, self.rng.choice(self.palette[decision]))

    def _approve(self, candidate, round_, project) -> bool:
        """Plan enough approvals to approve; return whether it ends approved (not awaiting a final edit)."""
        rng = self.rng
        first = rng.choice(self._eligible(candidate, project))
        candidate.actions[f"decide{round_}"] = ("review", first, Decision.APPROVE, "")
        policy = project.project
        if policy.required_approvals > 1 or (not policy.final_stage_required and rng.random() < 0.4):
            # A second reviewer's approval: required, or concurring with an approval that already counts.
            second = rng.choice(self._eligible(candidate, project, exclude=[first]))
            candidate.actions[f"second{round_}"] = ("review", second, Decision.APPROVE, "")
        if policy.final_stage_required:
            if rng.random() >= 0.9:
                return False  # left awaiting its final edit
            candidate.actions[f"final{round_}"] = ("review", rng.choice(project.managers), Decision.APPROVE, "")
        return True

    def _edit(self, candidate, phase, submit=False):
        """A new version whose text differs from every earlier one (so no old approval counts again)."""
        text = revise(self.rng, candidate.passage, candidate.language, candidate.texts[-1], candidate.choices,
                      set(candidate.texts))
        candidate.texts.append(text)
        candidate.actions[phase] = ("edit", "submit") if submit else ("edit",)


# --- Writing -----------------------------------------------------------------

WRITE_BATCH = 1_000  # rows per INSERT / UPDATE statement inside the bulk helpers
DECISION_CHUNK = 2_000  # below reviews_record_bulk's MAX_BULK
# Only what changes (edited_by stays the author): an UPDATE costs per row and field.
EDIT_FIELDS = ["text", "text_hash", "version", "state", "updated_at"]
SUBMIT_FIELDS = ["submitted_at", "state", "updated_at"]


class LoadError(RuntimeError):
    """The generator planned something the application refused: a bug here, not in the data."""


class BatchWriter:
    """Writes planned batches as ``actor`` (the default attribution), counting rows in ``tally``."""

    def __init__(self, actor, tally: Counter):
        self.actor = actor
        self.tally = tally

    def write(self, documents: list[DocumentPlan]) -> None:
        self._documents(documents)
        segments = [s for d in documents for s in d.segments]
        self._segments(segments)
        candidates = [c for s in segments for c in s.candidates]
        self._candidates(candidates)
        for phase in PHASES:
            acting = [(c, c.actions[phase]) for c in candidates if phase in c.actions]
            if phase.startswith(("draft", "edit")):
                self._edits(acting)
            else:
                self._decisions(acting)
        for segment in segments:
            if segment.late_correction:
                reviewer, text, reason = segment.late_correction
                segment_edit(segment=segment.obj, user=reviewer, base_version=segment.obj.version, source_text=text,
                             reason=reason)
                self.tally["late source corrections"] += 1
        self._comments(segments, candidates)

    def _documents(self, documents):
        objs = []
        for plan in documents:
            plan.obj = Document(project=plan.project.project, created_by=plan.creator, **plan.fields)
            plan.obj._history_user = plan.creator
            objs.append(plan.obj)
        _create(objs, user=documents[0].creator, reason="Document created")
        assessed = []
        for plan in documents:
            if plan.authenticity != Authenticity.UNVERIFIED:
                plan.obj.authenticity = plan.authenticity
                plan.obj.updated_at = timezone.now()
                plan.obj._history_user = plan.creator
                plan.obj._change_reason = AUTHENTICITY_REASONS[plan.authenticity]
                assessed.append(plan.obj)
        _update(assessed, ["authenticity", "updated_at"], user=self.actor, reason="Authenticity assessed")
        self.tally["documents"] += len(objs)

    def _segments(self, segments):
        objs = []
        for plan in segments:
            plan.obj = Segment(document=plan.document.obj, position=plan.position, source_text=plan.source_v1,
                               source_hash=source_fingerprint(plan.source_v1))
            plan.obj._history_user = plan.document.transcriber
            plan.obj._change_reason = f"Transcribed {len(plan.document.segments)} segments (split by line)"
            objs.append(plan.obj)
        _create(objs, user=self.actor, reason="Transcribed")
        corrected = []
        for plan in segments:
            if plan.correction:
                reviewer, reason = plan.correction
                plan.obj.source_text = plan.source
                plan.obj.source_hash = source_fingerprint(plan.source)
                plan.obj.version += 1
                plan.obj.updated_at = timezone.now()
                plan.obj._history_user, plan.obj._change_reason = reviewer, reason
                corrected.append(plan.obj)
        _update(corrected, ["source_text", "source_hash", "version", "updated_at"], user=self.actor,
                reason="Corrected transcription")
        self.tally["segments"] += len(objs)

    def _candidates(self, candidates):
        now = timezone.now()
        objs = []
        for plan in candidates:
            text = plan.texts[0]
            submitted = plan.submitted and not plan.drafted
            obj = Translation(
                segment=plan.segment.obj, language=plan.language, author=plan.author, edited_by=plan.author,
                text=text, text_hash=text_fingerprint(text), note=plan.note, version=1,
                submitted_at=now if submitted else None,
            )
            project = plan.segment.document.project.project
            obj.state = state_for(obj, segment=plan.segment.obj, project=project, reviews=[])
            obj._history_user = plan.author
            obj._change_reason = "Submitted candidate" if submitted else "Saved draft"
            objs.append(obj)
        _create(objs, user=self.actor, reason="Submitted candidate")
        for plan, obj in zip(candidates, objs):
            plan.translation_id = obj.pk
        self.tally["translations"] += len(objs)

    def _decisions(self, acting):
        groups: dict[tuple, list] = {}
        for plan, (_, reviewer, decision, comment) in acting:
            groups.setdefault((reviewer.pk, decision, comment), [reviewer]).append(plan)
        for (_, decision, comment), (reviewer, *plans) in groups.items():
            for start in range(0, len(plans), DECISION_CHUNK):
                chunk = plans[start : start + DECISION_CHUNK]
                outcome = reviews_record_bulk(
                    reviewer=reviewer, items=[(p.translation_id, p.version) for p in chunk], decision=decision,
                    comment=comment,
                )
                if outcome.skipped:
                    translation, message = outcome.skipped[0]
                    raise LoadError(
                        f"{reviewer.username} could not {decision} translation #{translation.pk}: {message}"
                    )
                self.tally["reviews"] += outcome.decided_count

    def _edits(self, acting):
        """New versions of candidates (text edits), drafts submitted for review, or both at once,
        with the reasons translation_edit gives them."""
        if not acting:
            return
        current = Translation.objects.in_bulk([plan.translation_id for plan, _ in acting])
        now = timezone.now()
        by_fields: dict[tuple, list] = {}
        for plan, verbs in acting:
            obj = current[plan.translation_id]
            if obj.version != plan.version or obj.edited_by_id != plan.author.pk:
                raise LoadError(
                    f"Translation #{obj.pk} moved on (version {obj.version}); the plan expected {plan.version}."
                )
            fields, reasons = [], []
            if "edit" in verbs:
                plan.version += 1
                obj.text = plan.texts[plan.version - 1]
                obj.text_hash = text_fingerprint(obj.text)
                obj.version = plan.version
                fields += EDIT_FIELDS
                reasons.append(f"Edited text (version {plan.version})")
                self.tally["edits"] += 1
            if "submit" in verbs:
                obj.submitted_at = now
                fields += SUBMIT_FIELDS
                reasons.append("submitted for review" if reasons else "Submitted for review")
            # A text never seen before on this candidate (or never submitted): no review counts for it yet.
            obj.state = state_for(obj, segment=plan.segment.obj, project=plan.segment.document.project.project,
                                  reviews=[])
            obj.updated_at = now
            obj._history_user = plan.author
            obj._change_reason = "; ".join(reasons)
            by_fields.setdefault(tuple(dict.fromkeys(fields)), []).append(obj)
        for fields, objs in by_fields.items():
            _update(objs, list(fields), user=self.actor, reason="Edited text" if "text" in fields else "Submitted")

    def _comments(self, segments, candidates):
        objs = []
        for plan in segments:
            project = plan.document.project.project
            objs += [Comment(project=project, segment=plan.obj, author=author, body=body)
                     for author, body in plan.comments]
        for plan in candidates:
            project = plan.segment.document.project.project
            objs += [Comment(project=project, translation_id=plan.translation_id, author=author, body=body)
                     for author, body in plan.comments]
        for obj in objs:
            obj._history_user = obj.author
            obj._change_reason = "Commented"
        _create(objs, user=self.actor, reason="Commented")
        self.tally["comments"] += len(objs)


def _create(objs, *, user, reason):
    """bulk_create_tracked, each history row naming the member set on its object."""
    if objs:
        bulk_create_tracked(objs, user=user, reason=reason, batch_size=WRITE_BATCH)
        _forget_attribution(objs)


def _update(objs, fields, *, user, reason):
    if objs:
        bulk_update_tracked(objs, fields, user=user, reason=reason, batch_size=WRITE_BATCH)
        _forget_attribution(objs)


def _forget_attribution(objs):
    # Left in place, they would name the wrong member on the object's next history row.
    for obj in objs:
        for attribute in ("_history_user", "_change_reason"):
            if hasattr(obj, attribute):
                delattr(obj, attribute)


# --- Running -----------------------------------------------------------------


@dataclass
class LoadResult:
    created: dict[str, int]
    seconds: float
    run_label: str
    projects: list[str]
    jobs: int = 1

    @property
    def history_rows(self) -> int:
        return sum(n for label, n in self.created.items() if ".Historical" in label)

    @property
    def audit_events(self) -> int:
        return self.created.get(AuditEvent._meta.label, 0)


def counted_models() -> list:
    models = [get_user_model()]
    for model in tracked_models():
        models += [model, model.history.model]
    return models + [AuditEvent]


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in counted_models()}


def analyze_load_tables(models=None) -> None:
    """Refresh the planner's statistics of the tables a load writes (PostgreSQL).

    Without autovacuum, a table never analyzed is planned as if it were tiny:
    the review services' lookups by lists of ids become sequential scans, and
    each batch would cost more than the one before. ANALYZE changes no rows."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models or counted_models())
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def parallel_jobs_possible() -> bool:
    """Worker processes need their own connections to a server database, and
    must see the projects this process created (so not inside a transaction)."""
    return (
        connection.vendor != "sqlite"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


class LoadGenerator:
    def __init__(self, *, scale: float, seed: int, actor, batch_documents: int = BATCH_DOCUMENTS, jobs: int = 1,
                 progress: Callable | None = None):
        self.scale = scale
        self.seed = seed
        self.actor = actor
        self.batch_documents = max(1, batch_documents)
        self.jobs = max(1, jobs)
        self.progress = progress or (lambda **kwargs: None)
        self.documents_total = max(1, round(DOCUMENTS_PER_SCALE * scale))
        self.projects_total = max(min(3, self.documents_total), round(self.documents_total / DOCUMENTS_PER_PROJECT))
        self.tally = Counter()

    # -- entry point --

    def run(self) -> LoadResult:
        started = time.monotonic()
        before = table_counts()
        run_label = self._run_label()
        with transaction.atomic():
            cast = self._cast()
            projects = self._projects(cast, run_label)
        for user in {u.pk: u for plan in projects for u in plan.reviewers + plan.managers + plan.translators}.values():
            forget_roles(user)
        batches = [range(start, min(start + self.batch_documents, self.documents_total))
                   for start in range(0, self.documents_total, self.batch_documents)]
        jobs = min(self.jobs, len(batches)) if parallel_jobs_possible() else 1
        done = analyzed = 0
        if jobs == 1:
            for number, documents in enumerate(batches):
                self._write_batch(number, documents, projects, run_label)
                done += len(documents)
                analyzed = self._keep_statistics(done, analyzed)
                self._report(done, started)
        else:
            for documents, tally in self._in_workers(jobs, batches, projects, run_label):
                self.tally.update(tally)
                done += documents
                analyzed = self._keep_statistics(done, analyzed)
                self._report(done, started)
        analyze_load_tables()
        after = table_counts()
        created = {label: after[label] - before.get(label, 0) for label in after}
        return LoadResult(created, time.monotonic() - started, run_label, [p.project.slug for p in projects], jobs)

    def _report(self, done, started):
        self.progress(done=done, total=self.documents_total, tally=self.tally, elapsed=time.monotonic() - started)

    def _keep_statistics(self, done: int, analyzed: int) -> int:
        """Analyze the tables the services read after the first batch and each time
        the documents written have doubled since; return the documents written at
        the last analysis."""
        if done < max(2 * analyzed, self.batch_documents):
            return analyzed
        analyze_load_tables(LOOKED_UP)  # the tables the services read; all of them at the end
        return done

    def _write_batch(self, number: int, documents: range, projects: list[ProjectPlan], run_label: str) -> None:
        planner = BatchPlanner(batch_random(self.seed, number), run_label)
        plans = [planner.document(projects[i * len(projects) // self.documents_total], i) for i in documents]
        with transaction.atomic():
            BatchWriter(self.actor, self.tally).write(plans)
        reset_queries()  # DEBUG keeps every statement otherwise

    # -- worker processes --

    def _in_workers(self, jobs, batches, projects, run_label):
        """Write the batches in `jobs` forked processes, each taking the next unwritten
        batch; yield (documents, tally) as batches commit. The first failure stops
        the others after their current batch and is raised as LoadError."""
        context = multiprocessing.get_context("fork")
        # A child must open its own connection: close ours (and the pool's threads) before forking.
        for alias in connections:
            connections[alias].close()
            if hasattr(connections[alias], "close_pool"):
                connections[alias].close_pool()
        messages, stop, next_batch = context.Queue(), context.Event(), context.Value("i", 0)
        workers = [
            context.Process(target=self._work, args=(k, batches, projects, run_label, messages, stop, next_batch),
                            name=f"generate_load worker {k + 1}", daemon=True)
            for k in range(jobs)
        ]
        for worker in workers:
            worker.start()
        running, silent, failure = set(range(jobs)), Counter(), None
        try:
            while running:
                try:
                    kind, k, payload = messages.get(timeout=1)
                except queue.Empty:
                    for k in [k for k in running if workers[k].exitcode is not None]:
                        silent[k] += 1
                        if silent[k] >= SILENT_WORKER_SECONDS:
                            running.discard(k)
                            failure = failure or f"{workers[k].name} died (exit code {workers[k].exitcode})."
                            stop.set()
                    continue
                if kind == "batch":
                    yield payload
                elif kind == "failed":
                    failure = failure or payload
                    stop.set()
                else:
                    running.discard(k)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
                if worker.is_alive():
                    worker.terminate()  # its open transaction is rolled back with its connection
        if failure:
            raise LoadError(failure)

    def _work(self, k, batches, projects, run_label, messages, stop, next_batch):
        """Worker process k: take batches until none is left or another worker failed."""
        try:
            while not stop.is_set():
                with next_batch.get_lock():
                    number = next_batch.value
                    next_batch.value += 1
                if number >= len(batches):
                    break
                before = Counter(self.tally)
                self._write_batch(number, batches[number], projects, run_label)
                messages.put(("batch", k, (len(batches[number]), self.tally - before)))
        except BaseException as error:
            traceback.print_exc()
            messages.put(("failed", k, f"{multiprocessing.current_process().name}: {error}"))
        finally:
            connections.close_all()
            messages.put(("finished", k, None))
            messages.close()
            messages.join_thread()

    def _run_label(self) -> str:
        prefix = f"load-{self.seed}-"
        slugs = Project.objects.filter(slug__startswith=prefix).values_list("slug", flat=True)
        runs = [int(m.group(1)) for slug in slugs if (m := re.match(rf"^{re.escape(prefix)}(\d+)-", slug))]
        return f"{self.seed}-{max(runs, default=0) + 1}"

    # -- people and projects --

    def _cast(self) -> dict[str, list]:
        User = get_user_model()
        wanted = {
            role: [f"load-{role.value}-{n}" for n in range(1, max(minimum, math.ceil(per_scale * self.scale)) + 1)]
            for role, (per_scale, minimum) in CAST.items()
        }
        names = [name for usernames in wanted.values() for name in usernames]
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        missing = []
        for index, name in enumerate(names):
            if name not in existing:
                user = User(username=name, first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                            last_name=LAST_NAMES[index * 7 % len(LAST_NAMES)], email=f"{name}@example.org")
                user.set_unusable_password()
                missing.append(user)
        User.objects.bulk_create(missing)
        existing = {u.username: u for u in User.objects.filter(username__in=names)}
        inactive = sorted(name for name, user in existing.items() if not user.is_active)
        if inactive:
            raise LoadError(f"Load users must be active to review: {', '.join(inactive[:5])} are not.")
        return {role: [existing[name] for name in usernames] for role, usernames in wanted.items()}

    def _projects(self, cast, run_label) -> list[ProjectPlan]:
        rng = random.Random(self.seed)
        plans, projects = [], []
        for k in range(self.projects_total):
            # The first three show each policy at any scale; the rest vary at random.
            bilingual = k == 0 or (k > 2 and rng.random() < 0.3)
            approvals = 2 if k == 1 or (k > 2 and rng.random() < 0.2) else 1
            final_stage = k == 2 or (k > 2 and rng.random() < 0.1)
            languages = ["en", SECOND_LANGUAGE] if bilingual else ["en"]
            lead = [u for u in cast[Role.REVIEWER] if u.username == LEAD_REVIEWER]
            others = [u for u in cast[Role.REVIEWER] if u.username != LEAD_REVIEWER]
            plan = ProjectPlan(
                project=Project(
                    name=f"{PROJECT_NAMES[k % len(PROJECT_NAMES)]} {k // len(PROJECT_NAMES) + 1} (load {run_label})",
                    slug=f"load-{run_label}-{k + 1}",
                    description=f"Synthetic load data: generate_load --scale {self.scale} --seed {self.seed}.",
                    source_language="ko", target_languages=languages, required_approvals=approvals,
                    final_stage_required=final_stage,
                ),
                languages=languages,
                translators=rng.sample(cast[Role.TRANSLATOR], min(len(cast[Role.TRANSLATOR]), rng.randint(5, 8))),
                reviewers=lead + rng.sample(others, min(len(others), rng.randint(2, 3))),
                managers=rng.sample(cast[Role.MANAGER], min(len(cast[Role.MANAGER]), rng.randint(1, 2))),
                auditors=rng.sample(cast[Role.AUDITOR], 1),
            )
            plans.append(plan)
            projects.append(plan.project)
        bulk_create_tracked(projects, user=self.actor, reason="Project created", batch_size=WRITE_BATCH)
        memberships = []
        for plan in plans:
            for role, members in ((Role.TRANSLATOR, plan.translators), (Role.REVIEWER, plan.reviewers),
                                  (Role.MANAGER, plan.managers), (Role.AUDITOR, plan.auditors)):
                for member in members:
                    membership = Membership(project=plan.project, user=member, role=role)
                    membership._change_reason = f"Added {member.username} as {role.value}"
                    memberships.append(membership)
        _create(memberships, user=self.actor, reason="Members added")
        self.tally["projects"] += len(plans)
        self.tally["memberships"] += len(memberships)
        return plans


def generate_load(
    *, scale: float, seed: int, actor, batch_documents: int = BATCH_DOCUMENTS, jobs: int = 1,
    progress: Callable | None = None,
) -> LoadResult:
    """Create synthetic load at `scale` (1 ≈ 1 000 documents), deterministic for `seed`."""
    return LoadGenerator(
        scale=scale, seed=seed, actor=actor, batch_documents=batch_documents, jobs=jobs, progress=progress
    ).run()
