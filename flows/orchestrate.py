"""Carry out queued work in batches: dispatch reviews to agencies, deliver results, send notices."""

from __future__ import annotations

import time
from collections.abc import Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from flows.publishing import MAX_TAGGED_CASES, cases_named, label, publish, record_crash
from flows.remote import call_remote, chunks, settle_chunks, with_backoff
from services import outbox, remote
from services.db import UnitOfWork
from services.outbox import ItemOutcome, WorkItem
from services.records import lock_heads, savepoint
from services.remote import RemoteCall
from services.settings import get_settings

FLOW_NAME = "onevisit-orchestrate"


class OrchestrateInput(BaseModel):
    case_no: str | None = None  # only this case's work; None: whatever is queued
    limit: int | None = None  # items per run; None: the configured batch size
    kinds: list[str] | None = None  # only these kinds of work (e.g. dispatch_review); None: every kind
    occasion: str = "orchestrate"  # what the run is named for: "orchestrate", "reopen"


class OrchestrateReport(BaseModel):
    flow_run_id: str
    claimed: int
    done: int
    already_done: int
    failed: int
    cases: list[str]
    incidents: int = 0  # items whose retries over HTTP are spent: parked until `reopen`


TRANSIENT = (OSError, OperationalError, InterfaceError)  # connection refused, timeouts, a locked or lost database


def transient(task, task_run, state) -> bool:
    """Retry only what may pass by itself; anything else (a bug, a refusal) fails at once."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:
        return False
    return False


# A step carries out the items of one kind at once: a few statements for all of them.
STEPS: dict[str, Callable[[Session, list[WorkItem], str, object], list[ItemOutcome]]] = {
    "dispatch_review": lambda *a: outbox.dispatch_reviews(*a),  # looked up when called: tests replace them
    "deliver_results": lambda *a: outbox.deliver_results(*a),
    "notify": lambda *a: outbox.send_notices(*a),
}
# Items per task run, of any kinds. A task run costs milliseconds in the flow's process and tens of them
# in Prefect's server, which records its states (measured: about 50 ms of the server's CPU a task run),
# an item a fraction of one. SQLite has one writer at a time, so there a batch goes in chunks of 1,000
# (parallel chunks would only wait on its lock); PostgreSQL spreads a batch over up to 4 chunks side by
# side (claims are row locks), none smaller than 100 items unless the batch is.
CHUNK = 1000
PARALLEL_CHUNKS, SMALLEST_PARALLEL_CHUNK = 4, 100


class ItemFailure(BaseModel):
    id: int
    key: str
    error: str


class ChunkOutcome(BaseModel):
    outcomes: list[ItemOutcome]
    failures: list[ItemFailure]


# NO_CACHE: a run's outcome is in the database, never in a cached result; Prefect's default policy would
# hash every item and the task's source for a key on each run.
@task(name="carry-out", retries=2, retry_delay_seconds=1, retry_condition_fn=transient, cache_policy=NO_CACHE,
      task_run_name="{what}: {cases}")
def carry_out(what: str, items: list[WorkItem], run_id: str, cases: str) -> ChunkOutcome:
    """Carry out a chunk of items in one transaction, each kind's items at once (`what` names them).

    The timeline heads of all the chunk's cases are locked first, in case-id order (records.lock_heads).
    When a kind's items fail for a reason that will not pass by itself (a bug, a refusal), they are
    rolled back and carried out again one at a time, each under its own savepoint, so the item at fault
    is rolled back alone and reported. A transient fault fails the chunk, which Prefect retries (items
    already done are found done).
    """
    settings = get_settings()
    failures: list[ItemFailure] = []
    outcomes: list[ItemOutcome] = []
    with UnitOfWork(settings.url) as uow:
        now = settings.current_time()
        lock_heads(uow.session, [item.case_id for item in items])
        for kind, group in _by_kind(items).items():
            step = STEPS[kind]
            try:
                with savepoint(uow.session):  # what failed items wrote, and their timeline events, go with them
                    outcomes += step(uow.session, group, run_id, now)
            except TRANSIENT:
                raise
            except Exception:  # noqa: BLE001 - find the item at fault, below
                for item in group:
                    try:
                        with savepoint(uow.session):
                            outcomes += step(uow.session, [item], run_id, now)
                    except TRANSIENT:
                        raise
                    except Exception as exc:  # noqa: BLE001 - reported per item, released by the flow
                        failures.append(ItemFailure(id=item.id, key=item.key, error=f"{type(exc).__name__}: {exc}"))
        uow.commit()
    return ChunkOutcome(outcomes=outcomes, failures=failures)


def _by_kind(items: list[WorkItem]) -> dict[str, list[WorkItem]]:
    by_kind: dict[str, list[WorkItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    return by_kind


def _chunks(items: list[WorkItem]) -> list[list[WorkItem]]:
    size = CHUNK
    if not get_settings().url.startswith("sqlite"):
        size = min(CHUNK, max(SMALLEST_PARALLEL_CHUNK, -(-len(items) // PARALLEL_CHUNKS)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _what(chunk: list[WorkItem]) -> str:
    """A chunk's task run name: its items by kind, e.g. "dispatch_review x25, notify x5"."""
    return ", ".join(f"{kind} x{len(group)}" for kind, group in _by_kind(chunk).items())


@task(name="claim-work", cache_policy=NO_CACHE)
def claim_work(run_id: str, request: OrchestrateInput) -> list[WorkItem]:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        now = settings.current_time()
        flow_name = flow_run.flow_name or FLOW_NAME  # the orchestrate loop records itself as what it is
        outbox.start_run(uow.session, run_id, flow_name, f"{flow_name} {request.case_no or 'batch'}", now)
        items = outbox.claim(uow.session, run_id, now, lease_seconds=settings.claim_lease_seconds,
                             limit=request.limit or settings.batch_size, case_no=request.case_no, kinds=request.kinds)
        uow.commit()
    return items


def plan_remote(items: list[WorkItem]) -> list[RemoteCall]:
    """Which claimed items go over HTTP: reviews for agencies with an endpoint, gateway notices, fetches.
    (A read in the flow itself, not a task: a task would hash its thousands of inputs.)"""
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        return remote.plan(uow.session, items, gateway=settings.notify_gateway_url, sharing=settings.sharing_services)


def _carry_out(run_id: str, items: list[WorkItem]) -> tuple[int, int, list[str], int]:
    """Every claimed item, in parallel task runs of one chunk each: calls to agencies' systems, the data
    sharing service and the notification gateway over HTTP (flows.remote), the rest in the database.
    Failed items go back to the queue; calls whose retries are spent become incidents."""
    calls = plan_remote(items) if items else []
    over_http = {c.item_id for c in calls}
    by_kind: dict[str, list[RemoteCall]] = {}
    for call in calls:
        by_kind.setdefault(call.kind, []).append(call)
    # quote: a task gets its calls or items as they are; Prefect does not walk hundreds of models looking for
    # futures (twice: it records the inputs, then resolves them), a third of what a batch costs `serve`
    calling = with_backoff(call_remote)
    remote_futures = [calling.submit(quote(chunk), run_id) for kind_calls in by_kind.values()
                      for chunk in chunks(kind_calls)]
    futures = []
    for chunk in _chunks([item for item in items if item.id not in over_http]):
        # Task runs carry the case numbers in their names; tags stay on the flow run, because every tagged
        # task run asks the server for concurrency slots, which the embedded server answers 503 under load.
        shown = ", ".join(dict.fromkeys(i.case_no for i in chunk[:3])) + (" ..." if len(chunk) > 3 else "")
        futures.append((chunk, carry_out.submit(_what(chunk), quote(chunk), run_id, shown)))
    done, incidents, failures = settle_chunks(remote_futures)
    already = 0
    released: list[tuple[int, str]] = []
    if failures:  # a chunk of calls failed outright (not a fault of the other side): back to the queue
        released += [(call.item_id, "; ".join(failures)) for call in calls]
    for chunk, future in futures:
        future.wait()
        if future.state.is_completed():
            result: ChunkOutcome = future.result()
            done += sum(o.done for o in result.outcomes)
            already += sum(not o.done for o in result.outcomes)
            failures += [f"{f.key}: {f.error}" for f in result.failures]
            released += [(f.id, f.error) for f in result.failures]
        else:
            message = future.state.message or future.state.name
            failures += [f"{item.key}: {message}" for item in chunk]
            released += [(item.id, message) for item in chunk]
    if released:
        settings = get_settings()
        with UnitOfWork(settings.url) as uow:
            for item_id, message in released:
                outbox.release(uow.session, item_id, message or "failed")
            uow.commit()
    return done, already, failures, incidents


def _end_run(run_id: str, failures: list[str], name: str | None) -> None:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        outbox.end_run(uow.session, run_id, "FAILED" if failures else "COMPLETED", settings.current_time(),
                       name=name, message="; ".join(failures)[:2000] or None)
        uow.commit()


@flow(name=FLOW_NAME, task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True, on_crashed=[record_crash])
def orchestrate(request: OrchestrateInput | None = None) -> OrchestrateReport:
    """Claim a batch of queued work and carry it out in parallel, one task per chunk of items of one kind.

    The run is named after its cases and its work (`orchestrate OV…, OV… +3: dispatch_review x25, notify x5`),
    tagged with the installation and its cases, and publishes what it did per case (flows.publishing)."""
    request = request or OrchestrateInput()
    run_id = str(flow_run.id)
    items = claim_work(run_id, request)
    cases = list(dict.fromkeys(item.case_no for item in items))
    name = f"{request.occasion} {cases_named(cases)}: {_what(items)}" if items else \
        f"{request.occasion} {request.case_no or ''}: nothing queued".replace("  ", " ")
    label(name, cases or ([request.case_no] if request.case_no else []))
    done, already, failures, incidents = _carry_out(run_id, items)
    _end_run(run_id, failures, name)
    publish(run_id, f"**{name}**\n\n{len(items)} items claimed: {done} done, {already} found done already, "
                    f"{len(failures)} failed, {incidents} incidents (retries spent over HTTP)."
            + (f"\n\nFailures: {'; '.join(failures)[:2000]}" if failures else ""))
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(items)} items failed: {failures[0]}")
    return OrchestrateReport(flow_run_id=run_id, claimed=len(items), done=done, already_done=already,
                             failed=len(failures), cases=cases, incidents=incidents)


LOOP_FLOW_NAME = "onevisit-orchestrate-loop"


def _pull_awaited_decisions() -> None:
    """A poll run (a subflow of the loop) only when agencies' own systems hold awaited decisions: none, no run."""
    from flows.remote import PollInput, poll_agencies

    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        awaited = remote.open_tickets(uow.session, 1)
    if awaited:
        try:
            poll_agencies(PollInput())
        except Exception as exc:  # noqa: BLE001 - recorded as a failed poll run; the loop goes on with the queue
            print(f"pulling agencies' decisions failed: {exc}")


class LoopInput(BaseModel):
    seconds: float = 300.0  # how long this run keeps looking for work; the schedule starts the next one
    poll_seconds: float = 0.25  # how often it claims what is queued
    poll_agencies_every: float | None = None  # served on a server: pull agencies' awaited decisions this often


@flow(name=LOOP_FLOW_NAME, task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True,
      on_crashed=[record_crash])
def orchestrate_loop(request: LoopInput | None = None) -> OrchestrateReport:
    """One long flow run that claims and carries out queued work every `poll_seconds`, for `seconds`.

    A flow run costs about a second of start and finish; a claim a few milliseconds. A run that keeps
    polling brings a decision's delivery within a fraction of a second instead of the schedule's
    interval plus that second. Claims are row-locked, so several loops (on several workers) share the
    queue; a loop that dies leaves claims that expire after the lease, like any run.
    """
    request = request or LoopInput()
    settings = get_settings()
    run_id = str(flow_run.id)
    began = settings.current_time().astimezone(settings.tz)
    label(f"orchestrate-loop from {began:%Y-%m-%d %H:%M}")
    until = time.monotonic() + request.seconds
    claimed = done = already = 0
    next_pull = time.monotonic()
    cases: dict[str, None] = {}
    failures: list[str] = []
    while (claimed_at := time.monotonic()) < until:
        items = claim_work.fn(run_id, OrchestrateInput(limit=settings.batch_size))
        if not items:
            if request.poll_agencies_every and claimed_at >= next_pull:
                next_pull = claimed_at + request.poll_agencies_every
                _pull_awaited_decisions()
            time.sleep(request.poll_seconds)
            continue
        batch_done, batch_already, batch_failures, _ = _carry_out(run_id, items)
        claimed, done, already = claimed + len(items), done + batch_done, already + batch_already
        failures += batch_failures
        cases.update(dict.fromkeys(item.case_no for item in items))
        # One claim a poll at most, busy or not: what is queued meanwhile waits for the next one. Back to
        # back, a busy hall's trickle made a batch (and a task run, ~50 ms of the server's CPU) of a few
        # items every tenth of a second.
        time.sleep(max(0.0, claimed_at + request.poll_seconds - time.monotonic()))
    ended = settings.current_time().astimezone(settings.tz)
    name = (f"orchestrate-loop {began:%Y-%m-%d %H:%M}-{ended:%H:%M}: "
            + (f"{cases_named(list(cases))}: {claimed} items" if cases else "nothing queued"))
    _end_run(run_id, failures, name)
    label(name, list(cases))
    publish(run_id, f"**{name}**\n\n{claimed} items claimed: {done} done, {already} found done already, "
                    f"{len(failures)} failed.")
    return OrchestrateReport(flow_run_id=run_id, claimed=claimed, done=done, already_done=already,
                             failed=len(failures), cases=list(cases)[:MAX_TAGGED_CASES])
