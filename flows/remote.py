"""Outward work over HTTP, in batches: one Prefect task calls many agencies at once.

A flow run costs about a second and a task run several milliseconds, so a task here takes a chunk
of calls and makes them concurrently (bounded), then records what they achieved in one short
transaction. A transient fault makes the task fail and Prefect retry it with backoff; the retry
calls again only what is still undone, with the same idempotency keys, so the other side sees
each request once. When the retries are spent, what is still undone becomes an incident.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run, task_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import select

from approvals.deadlines import Clock
from flows.publishing import cases_named, label, publish, record_crash
from schemas.orchestration import OutboxItem
from schemas.review import ReviewTask
from services import agency_answers, outbox, remote, remote_http
from services.db import UnitOfWork
from services.remote import RemoteCall, TicketPoll
from services.remote_http import Permanent
from services.settings import get_settings
from services.workdays import calendar_for

POLL_FLOW_NAME = "onevisit-poll-agencies"
CHUNK = 1000  # calls per task run: amortises a task run and its recording transaction; big batches still spread


class StillFailing(Exception):
    """Some calls of a chunk met a transient fault: the task is retried for those."""


class ChunkTally(BaseModel):
    done: int
    incidents: int


def retry_transient(task, task_run, state) -> bool:
    try:
        state.result()
    except (StillFailing, OperationalError, InterfaceError):  # a fault over HTTP; a locked or lost database
        return True
    except Exception:
        return False
    return False


def chunks(items: list, size: int = CHUNK) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def with_backoff(step):
    """The task with the configured retries, the delay doubling after each one."""
    settings = get_settings()
    delays = [settings.http_retry_delay_seconds * 2 ** n for n in range(settings.http_retries)]
    return step.with_options(retries=settings.http_retries, retry_delay_seconds=delays or 0)


def _last_attempt() -> bool:
    return task_run.run_count > get_settings().http_retries


def _perform(http, call: RemoteCall):
    if call.url is None:
        raise Permanent(f"no URL configured for {call.kind} ({call.body.get('source', 'gateway')})")
    if call.kind == "dispatch_review":
        return remote_http.dispatch_review(http, call.url, call.key, call.body)
    if call.kind == "gateway_notice":
        return remote_http.send_notification(http, call.url, call.key, call.body)
    return remote_http.fetch_document(http, call.url, call.body["uscc"], call.body["material"])


# No cache policy: hashing hundreds of calls per task run costs more than the calls themselves.
@task(name="call-remote", retry_condition_fn=retry_transient, cache_policy=NO_CACHE,
      task_run_name="call-remote {run_id}")
def call_remote(calls: list[RemoteCall], run_id: str) -> ChunkTally:
    """Make a chunk of calls (review requests, notices, fetches), concurrently, and keep the outcomes."""
    settings = get_settings()
    ids = [c.item_id for c in calls]
    with UnitOfWork(settings.url, write=False) as uow:  # a retry calls again only what is still undone
        undone = set(uow.session.exec(select(OutboxItem.id).where(
            OutboxItem.id.in_(ids), OutboxItem.done_at.is_(None), OutboxItem.incident_at.is_(None))))
    todo = [c for c in calls if c.item_id in undone]
    results = remote_http.each(_perform, todo, concurrency=settings.http_concurrency,
                               timeout=settings.http_timeout_seconds)
    final = _last_attempt()
    with UnitOfWork(settings.url) as uow:
        now = settings.current_time()
        outcomes = remote.record_outcomes(uow.session, todo, results, run_id, now, final=final)
        uow.commit()
    retry = [str(r) for r, o in zip(results, outcomes) if o == "retry"]
    if retry:
        raise StillFailing(f"{len(retry)} of {len(todo)} calls failed, first: {retry[0]}")
    with UnitOfWork(settings.url, write=False) as uow:
        rows = uow.session.exec(select(OutboxItem.done_at, OutboxItem.incident_at).where(OutboxItem.id.in_(ids))).all()
    return ChunkTally(done=sum(d is not None for d, _ in rows), incidents=sum(i is not None for _, i in rows))


@task(name="poll-tickets", retry_condition_fn=retry_transient, cache_policy=NO_CACHE,
      task_run_name="poll-tickets {run_id}")
def poll_tickets(polls: list[TicketPoll], run_id: str) -> ChunkTally:
    """Pull decisions from the agencies' systems; each decision is the reviewer's use case, one transaction."""
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        open_ids = set(uow.session.exec(select(ReviewTask.id).where(
            ReviewTask.id.in_([p.task_id for p in polls]), ReviewTask.status == "pending",
            ReviewTask.remote_incident.is_(None))))
    todo = [p for p in polls if p.task_id in open_ids]
    results = remote_http.each(lambda http, p: remote_http.poll_review(http, p.endpoint, p.ticket), todo,
                               concurrency=settings.http_concurrency, timeout=settings.http_timeout_seconds)
    final = _last_attempt()
    outcomes = []
    for poll, result in zip(todo, results):
        with UnitOfWork(settings.url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            outcomes.append(agency_answers.apply_decision(uow.session, poll, result, clock, run_id, final=final))
            uow.commit()
    retry = [str(r) for r, o in zip(results, outcomes) if o == "retry"]
    if retry:
        raise StillFailing(f"{len(retry)} of {len(todo)} polls failed, first: {retry[0]}")
    return ChunkTally(done=sum(o in ("approved", "denied") for o in outcomes),
                      incidents=sum(o == "incident" for o in outcomes))


def settle_chunks(futures) -> tuple[int, int, list[str]]:
    """(done, incidents, failures) over the chunk tasks of a run."""
    done = incidents = 0
    failures = []
    for future in futures:
        future.wait()
        if future.state.is_completed():
            tally: ChunkTally = future.result()
            done, incidents = done + tally.done, incidents + tally.incidents
        else:
            failures.append(future.state.message or future.state.name)
    return done, incidents, failures


class PollInput(BaseModel):
    case_no: str | None = None  # only this case's tickets; None: every open ticket (up to a batch)


class PollReport(BaseModel):
    flow_run_id: str
    polled: int
    decided: int
    incidents: int
    cases: list[str]


@flow(name=POLL_FLOW_NAME, task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True,
      on_crashed=[record_crash])
def poll_agencies(request: PollInput | None = None) -> PollReport:
    """Pull the decisions of agencies that review in their own systems (pull: no inbound port needed)."""
    request = request or PollInput()
    run_id = str(flow_run.id)
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        now = settings.current_time()
        outbox.start_run(uow.session, run_id, POLL_FLOW_NAME, f"{POLL_FLOW_NAME} {request.case_no or 'batch'}", now)
        polls = remote.open_tickets(uow.session, settings.batch_size, request.case_no)
        for case_id in remote.case_ids(uow.session, [p.task_id for p in polls]):
            outbox.link_run(uow.session, run_id, case_id)
        uow.commit()
    polling = with_backoff(poll_tickets)
    futures = [polling.submit(quote(chunk), run_id) for chunk in chunks(polls)]
    done, incidents, failures = settle_chunks(futures)
    cases = list(dict.fromkeys(p.case_no for p in polls))
    name = f"poll-agencies {cases_named(cases) or request.case_no or ''}: {done} decided of {len(polls)} awaited"
    with UnitOfWork(settings.url) as uow:
        outbox.end_run(uow.session, run_id, "FAILED" if failures else "COMPLETED", settings.current_time(),
                       name=name, message="; ".join(failures)[:2000] or None)
        uow.commit()
    label(name, cases)
    publish(run_id, f"**{name}**\n\n{incidents} incidents (retries spent over HTTP)."
            + (f"\n\nFailures: {'; '.join(failures)[:2000]}" if failures else ""))
    if failures:
        raise RuntimeError(f"{len(failures)} poll chunks failed: {failures[0]}")
    return PollReport(flow_run_id=run_id, polled=len(polls), decided=done, incidents=incidents, cases=cases)
