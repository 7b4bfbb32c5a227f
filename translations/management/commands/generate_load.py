"""Generate synthetic but realistic load for performance work and the audit trail.

    manage.py generate_load --scale 1 --seed 7 --user admin

Scale 1 is about 1 000 documents, 50 000 segments, 145 000 candidate
translations, 235 000 reviews and 800 000 history rows (22 minutes on a busy
2-core machine with PostgreSQL); scale is a float (0.01 for a quick look). The same seed gives the same data. Projects, members, documents,
versions, reviews and comments are written through the tracked bulk helpers
and the review services (see ``translations.loadgen``), so history, the audit
trail and every invariant hold, and ``verify_history`` passes afterwards. No
e-mail is sent. Progress goes to stderr, the summary to stdout.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from reviews.notifications import notifications_suppressed

from ...loadgen import LoadError, generate_load
from ..actors import add_actor_argument, resolve_actor

MAX_SCALE = 50
BAR_WIDTH = 30


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class ProgressBar:
    """A one-line text bar on a terminal; one line per batch otherwise (logs, CI)."""

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()

    def __call__(self, *, done, total, tally, elapsed):
        filled = round(BAR_WIDTH * done / total)
        left = elapsed / done * (total - done) if done else 0
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} documents · "
            f"{tally['segments']:,} segments · {tally['translations']:,} translations · "
            f"{tally['reviews']:,} reviews · {_clock(elapsed)} elapsed, ~{_clock(left)} left"
        )
        if self.interactive:
            self.stream.write("\r" + line, ending="\n" if done == total else "")
            self.stream.flush()
        else:
            self.stream.write(line)


class Command(BaseCommand):
    help = (
        "Create synthetic projects, members, documents, translations, versions, reviews and comments "
        "(scale 1 ≈ 800 000 history rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, required=True, help="1 ≈ 1 000 documents and 800 000 history rows; e.g. 0.01."
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same data (default 1).")
        parser.add_argument(
            "--batch-documents", type=int, default=20,
            help="Documents per transaction (default 20): memory stays flat, a crash leaves whole batches.",
        )
        add_actor_argument(parser)

    def handle(self, *args, scale, seed, batch_documents, **options):
        if not 0 < scale <= MAX_SCALE:
            raise CommandError(f"--scale must be above 0 and at most {MAX_SCALE}.")
        if batch_documents < 1:
            raise CommandError("--batch-documents must be at least 1.")
        actor = resolve_actor(options)
        started = time.monotonic()
        try:
            with notifications_suppressed():
                result = generate_load(
                    scale=scale, seed=seed, actor=actor, batch_documents=batch_documents,
                    progress=ProgressBar(self.stderr),
                )
        except LoadError as error:
            raise CommandError(f"Stopped; the batches written so far are complete. {error}") from error
        self.stdout.write(f"Load {result.run_label} (scale {scale}, seed {seed}), projects {result.projects[0]} … "
                          f"{result.projects[-1]}. Rows created:")
        width = max(len(label) for label in result.created)
        for label, count in result.created.items():
            if count:
                self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write(f"  {'history rows (all models)':<{width}}  {result.history_rows:>10,}")
        self.stdout.write(f"  {'audit events':<{width}}  {result.audit_events:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
