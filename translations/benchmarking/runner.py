"""Measuring the cases: warm-ups, timed repeats, query counts, median and p95, the floor.

Every request goes through ``django.test.Client``, signed in with
``force_login``, in this process, against the configured database, with
two settings changed for the run: DEBUG off (no query log, as in
production) and ``ROOT_URLCONF=config.urls_floor``, so the floor —
``/__floor__/``, the cheapest page a signed-in user can get through the same
middleware, session and login — is measured in the same run, first.

Query counts come from ``CaptureQueriesContext`` on the last warm-up (that
run's SQL is also what a diagnosis reads). Timed runs only count statements,
with a bare ``execute_wrapper``: capturing formats every statement's SQL,
which would add to the time of big bulk writes. A count that differs across
runs is reported as a range. Latency is the wall time of the request (or
service call) alone; p95 is the nearest-rank 95th percentile (the maximum
below 20 repeats).
"""

import logging
import math
import statistics
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.shortcuts import resolve_url
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from .cases import FLOOR, REGISTRY, Case, Plan
from .dataset import Dataset
from .diagnosis import diagnose

FLOOR_URLCONF = "config.urls_floor"


class CaseFailed(Exception):
    pass


class SignedOut(Exception):
    """The session stopped authenticating: someone changed the user's password meanwhile
    (scripts/loadtest.py resets the load users' passwords)."""


@dataclass
class Result:
    case: str
    title: str
    label: str = ""
    runs: int = 0
    warmups: int = 0
    queries: int | None = None
    queries_min: int | None = None
    queries_max: int | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    min_ms: float | None = None
    floor_multiple: float | None = None
    target: str = ""
    over_target: list[str] = field(default_factory=list)
    writes: bool = False
    note: str = ""
    error: str | None = None
    times_ms: list[float] = field(default_factory=list)
    diagnosis: dict | None = None


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Runner:
    def __init__(self, dataset: Dataset, *, repeat: int = 20, diagnose: bool = False, log=lambda message: None):
        self.dataset = dataset
        self.repeat = max(1, repeat)
        self.diagnose = diagnose
        self.log = log

    def run(self, names: list[str]) -> list[Result]:
        names = [FLOOR, *(name for name in names if name != FLOOR)]
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        security_log = logging.getLogger("interlinear.security")
        level = security_log.level
        security_log.setLevel(logging.WARNING)  # a sign-in line per case is noise here
        try:
            with override_settings(DEBUG=False, ROOT_URLCONF=FLOOR_URLCONF, ALLOWED_HOSTS=hosts):
                results = [self.measure(REGISTRY[name]) for name in names]
                floor = results[0].median_ms
                for result in results:
                    if result.median_ms is not None and floor:
                        result.floor_multiple = round(result.median_ms / floor, 1)
                    result.note = "; ".join(filter(None, [result.note, self.dataset.notes.get(result.case, "")]))
                    self._judge(result, REGISTRY[result.case])
                    if self.diagnose and result.over_target and not result.error:
                        self.log(f"Diagnosing {result.case} ...")
                        result.diagnosis = self._diagnose(REGISTRY[result.case], result)
        finally:
            security_log.setLevel(level)
        return results

    def measure(self, case: Case) -> Result:
        repeats = min(self.repeat, case.max_repeat or self.repeat)
        result = Result(case=case.name, title=case.title, target=case.target.describe(), writes=case.writes,
                        warmups=case.warmups, runs=repeats)
        self.log(f"{case.name}: {case.warmups} warm-up(s), {repeats} repeat(s) ...")
        try:
            plan = case.build(self.dataset, case.warmups + repeats + (2 if self.diagnose else 0))
            result.label = f"{plan.label} as {plan.user.get_username()}"
            client = self._client(plan)
            counts = []
            for index in range(case.warmups + repeats):
                capture = index == case.warmups - 1 or (case.warmups == 0 and index == 0)
                elapsed, count, captured = self.once(case, plan, client, index, capture=capture)
                if captured is not None:
                    result.queries = len(captured.captured_queries)
                if index >= case.warmups:
                    result.times_ms.append(round(elapsed * 1000, 2))
                    counts.append(count)
            client.logout()
        except Exception as error:  # a failing case is reported, and the others still run
            result.error = f"{type(error).__name__}: {error}"
            self.log(traceback.format_exc())
            return result
        times = result.times_ms
        result.median_ms = round(statistics.median(times), 2)
        result.p95_ms = round(percentile(times, 0.95), 2)
        result.min_ms = min(times)
        result.queries_min, result.queries_max = min(counts), max(counts)
        if result.queries is None:
            result.queries = result.queries_max
        return result

    def _client(self, plan: Plan) -> Client:
        client = Client()
        self._sign_in(client, plan.user)
        return client

    def _sign_in(self, client: Client, user) -> None:
        # With the current password hash: a session made with a stale one is refused at once.
        user.refresh_from_db(fields=["password", "is_active"])
        client.force_login(user)

    def once(self, case: Case, plan: Plan, client: Client, index: int, **options):
        """One run: (seconds, statements, CaptureQueriesContext or None). Write cases run in a
        transaction rolled back afterwards; `inspect(captured)` runs inside it (diagnosis).
        A run answered with the sign-in page signs in again and is made again, once."""
        try:
            return self._once(case, plan, client, index, **options)
        except SignedOut:
            self.log(f"{case.name}: signed out (password changed?); signing in again.")
            self._sign_in(client, plan.user)
            return self._once(case, plan, client, index, **options)

    def _once(self, case: Case, plan: Plan, client: Client, index: int, *, capture=False, profile=None,
              inspect=None):
        with transaction.atomic() if case.writes else nullcontext():
            context = plan.setup(index) if plan.setup else index
            counter = _Counter()
            captured = CaptureQueriesContext(connection) if capture else None
            with connection.execute_wrapper(counter), captured if captured is not None else nullcontext():
                if profile is not None:
                    profile.enable()
                started = time.perf_counter()
                response = plan.request(client, context)
                elapsed = time.perf_counter() - started
                if profile is not None:
                    profile.disable()
            problem = self._problem(plan, response, context)
            if inspect is not None and captured is not None:
                inspect(captured)
            if case.writes:
                transaction.set_rollback(True)
        if problem is SignedOut:
            raise SignedOut()
        if problem:
            raise CaseFailed(problem)
        return elapsed, counter.count, captured

    def _problem(self, plan: Plan, response, context):
        status = getattr(response, "status_code", None)
        if status == 302 and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL)):
            return SignedOut
        if plan.expect and status not in plan.expect:
            where = response.get("Location", "") if status and 300 <= status < 400 else ""
            return f"HTTP {status} {where}".strip() + f", expected {' or '.join(map(str, plan.expect))}"
        return plan.check(response, context) if plan.check else None

    def _judge(self, result: Result, case: Case) -> None:
        target = case.target
        if result.median_ms is None:
            return
        if target.median_ms and result.median_ms > target.median_ms:
            result.over_target.append(f"median {result.median_ms:.0f} > {target.median_ms:g} ms")
        if target.p95_ms and result.p95_ms > target.p95_ms:
            result.over_target.append(f"p95 {result.p95_ms:.0f} > {target.p95_ms:g} ms")
        if target.floor_multiple and result.floor_multiple and result.floor_multiple > target.floor_multiple:
            result.over_target.append(f"{result.floor_multiple:g} × floor > {target.floor_multiple:g}")

    def _diagnose(self, case: Case, result: Result) -> dict:
        try:
            plan = case.build(self.dataset, case.warmups + result.runs + 2)
            client = self._client(plan)
            report = diagnose(self, case, plan, client, case.warmups + result.runs)
            client.logout()
            return report
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"}
