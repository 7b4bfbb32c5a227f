"""Generate synthetic but realistic load for performance work and the audit trail.

    manage.py generate_load --scale 1 --seed 7 --user admin

Scale 1 is 1 000 documents, about 50 000 segments, 150 000 candidate
translations, 245 000 reviews, 55 000 comments and 1 000 000 history rows
(each also an audit event); scale is a float (0.01 for a quick look). On
PostgreSQL two processes write batches at once (``--jobs``): scale 1 took
16 minutes on a 2-core machine shared with other work (load ≈ 5.6), using
about 520 CPU-seconds in Python and 190 in PostgreSQL, so some 6 to 8 minutes
on a quiet one. The same seed and batch size give the same data, whatever
the number of processes. Projects, members, documents, versions, reviews and
comments are written through the tracked bulk helpers and the review services
(see ``translations.loadgen``), so history, the audit trail and every
invariant hold, and ``verify_history`` passes afterwards (15 s at scale 1).
No e-mail is sent. Progress goes to stderr, the summary to stdout; the
tables are analyzed as they grow and at the end (PostgreSQL).
"""

import os
import time

from django.core.management.base import BaseCommand, CommandError

from reviews.notifications import notifications_suppressed

from ...loadgen import BATCH_DOCUMENTS, LoadError, generate_load, parallel_jobs_possible
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
        "(scale 1 ≈ 1 000 000 history rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, required=True, help="1 ≈ 1 000 documents and 1 000 000 history rows; e.g. 0.01."
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same data (default 1).")
        parser.add_argument(
            "--batch-documents", type=int, default=BATCH_DOCUMENTS,
            help=f"Documents per transaction (default {BATCH_DOCUMENTS}): memory stays flat, a crash leaves "
                 "whole batches.",
        )
        parser.add_argument(
            "--jobs", type=int, default=None,
            help="Processes writing batches at once (default: 2 on PostgreSQL with two or more cores, else 1; "
                 "always 1 on SQLite). The same seed gives the same data whatever the number.",
        )
        add_actor_argument(parser)

    def handle(self, *args, scale, seed, batch_documents, jobs, **options):
        if not 0 < scale <= MAX_SCALE:
            raise CommandError(f"--scale must be above 0 and at most {MAX_SCALE}.")
        if batch_documents < 1:
            raise CommandError("--batch-documents must be at least 1.")
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be at least 1.")
        if jobs is not None and jobs > 1 and not parallel_jobs_possible():
            raise CommandError("--jobs above 1 needs PostgreSQL (SQLite has one writer at a time) and no "
                               "surrounding transaction.")
        if jobs is None:
            jobs = min(2, os.cpu_count() or 1) if parallel_jobs_possible() else 1
        actor = resolve_actor(options)
        started = time.monotonic()
        try:
            with notifications_suppressed():
                result = generate_load(
                    scale=scale, seed=seed, actor=actor, batch_documents=batch_documents, jobs=jobs,
                    progress=ProgressBar(self.stderr),
                )
        except LoadError as error:
            raise CommandError(f"Stopped; the batches written so far are complete. {error}") from error
        self.stdout.write(f"Load {result.run_label} (scale {scale}, seed {seed}, {result.jobs} "
                          f"{'process' if result.jobs == 1 else 'processes'}), projects {result.projects[0]} … "
                          f"{result.projects[-1]}. Rows created:")
        width = max(len(label) for label in result.created)
        for label, count in result.created.items():
            if count:
                self.stdout.write(f"  {label:<{width}}  {count:>10,}")
        self.stdout.write(f"  {'history rows (all models)':<{width}}  {result.history_rows:>10,}")
        self.stdout.write(f"  {'audit events':<{width}}  {result.audit_events:>10,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
