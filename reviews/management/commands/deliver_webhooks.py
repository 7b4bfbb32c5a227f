"""Send the webhook events that are due: first attempts the request's own
thread did not finish, and retries of failed ones.

Each approval starts sending its events in a background thread as soon as it
commits; what that thread cannot deliver (the receiver down, answering 5xx,
or the app server restarted mid-send) waits in the outbox with its next
attempt time. Something has to come back for it. In production run one
worker process beside the app servers::

    python manage.py deliver_webhooks --loop --interval 10

(a systemd service, a container of its own, or ``*/1 * * * *`` in cron
without ``--loop``). Several workers are safe: each delivery is claimed by
one of them. ``--loop`` stops cleanly on Ctrl+C or SIGTERM after the send in
progress.
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from reviews.webhooks.delivery import BATCH, deliver_due


class Command(BaseCommand):
    help = "Send due webhook deliveries (retries included); --loop keeps doing so."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval seconds.")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="Seconds between checks with --loop (default 10)."
        )

    def handle(self, *args, loop=False, interval=10.0, **options):
        if not 0.1 <= interval <= 3600:
            raise CommandError("--interval must be between 0.1 and 3600 seconds.")
        stopping = []
        if loop:
            for name in ("SIGTERM", "SIGINT"):
                signal.signal(getattr(signal, name), lambda *_: stopping.append(True))
        while True:
            delivered = retrying = failed = 0
            while not stopping:
                run = deliver_due(limit=BATCH)
                delivered, retrying, failed = delivered + run.delivered, retrying + run.retrying, failed + run.failed
                if run.attempted < BATCH:
                    break  # nothing more is due
            if delivered + retrying + failed or not loop:
                self.stdout.write(f"{delivered} delivered, {retrying} to retry later, {failed} failed for good.")
            if not loop or stopping:
                return
            close_old_connections()
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
