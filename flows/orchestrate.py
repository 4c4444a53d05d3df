"""Carry out queued work in batches: dispatch reviews to agencies, deliver results, send notices."""

from __future__ import annotations

from collections.abc import Callable

from prefect import flow, get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from flows.remote import call_remote, chunks, settle_chunks, with_backoff
from services import outbox, remote
from services.db import UnitOfWork
from services.outbox import ItemOutcome, WorkItem
from services.remote import RemoteCall
from services.settings import get_settings

FLOW_NAME = "onevisit-orchestrate"
MAX_TAGGED_CASES = 50  # beyond this a run's tags say "+N more"; task runs still carry every case


class OrchestrateInput(BaseModel):
    case_no: str | None = None  # only this case's work; None: whatever is queued
    limit: int | None = None  # items per run; None: the configured batch size
    kinds: list[str] | None = None  # only these kinds of work (e.g. dispatch_review); None: every kind


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


def _carry_out(step: Callable[[Session, WorkItem, str, object], ItemOutcome], item: WorkItem, run_id: str) -> ItemOutcome:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        outcome = step(uow.session, item, run_id, settings.current_time())
        uow.commit()
    return outcome


@task(name="dispatch-review", retries=2, retry_delay_seconds=1, retry_condition_fn=transient, task_run_name="dispatch {item.case_no} task {item.task_id}")
def dispatch_review(item: WorkItem, run_id: str) -> ItemOutcome:
    return _carry_out(outbox.dispatch_review, item, run_id)


@task(name="deliver-results", retries=2, retry_delay_seconds=1, retry_condition_fn=transient, task_run_name="deliver {item.case_no}")
def deliver_results(item: WorkItem, run_id: str) -> ItemOutcome:
    return _carry_out(outbox.deliver_results, item, run_id)


@task(name="send-notice", retries=2, retry_delay_seconds=1, retry_condition_fn=transient, task_run_name="notify {item.case_no} {item.key}")
def send_notice(item: WorkItem, run_id: str) -> ItemOutcome:
    return _carry_out(outbox.send_notice, item, run_id)


STEPS = {"dispatch_review": dispatch_review, "deliver_results": deliver_results, "notify": send_notice}  # in the database


@task(name="claim-work", cache_policy=NO_CACHE)
def claim_work(run_id: str, request: OrchestrateInput) -> list[WorkItem]:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        now = settings.current_time()
        outbox.start_run(uow.session, run_id, FLOW_NAME, f"{FLOW_NAME} {request.case_no or 'batch'}", now)
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


def _label_run(run_id: str, cases: list[str]) -> str:
    """Name and tag the run after the cases it took on, so the Prefect UI finds it by case number."""
    shown = cases[:3]
    name = f"{FLOW_NAME} {', '.join(shown)}" + (f" +{len(cases) - len(shown)}" if len(cases) > len(shown) else "")
    case_tags = [f"case:{c}" for c in cases[:MAX_TAGGED_CASES]]
    if len(cases) > MAX_TAGGED_CASES:
        case_tags.append(f"cases:+{len(cases) - MAX_TAGGED_CASES}")
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, name=name, tags=["onevisit", *case_tags])
    return name


@flow(name=FLOW_NAME, task_runner=ThreadPoolTaskRunner(max_workers=8), log_prints=True)
def orchestrate(request: OrchestrateInput | None = None) -> OrchestrateReport:
    """Claim a batch of queued work and carry it out in parallel, one task per item."""
    request = request or OrchestrateInput()
    run_id = str(flow_run.id)
    items = claim_work(run_id, request)
    cases = list(dict.fromkeys(item.case_no for item in items))
    name = _label_run(run_id, cases) if cases else None

    calls = plan_remote(items) if items else []
    over_http = {c.item_id for c in calls}
    by_kind: dict[str, list[RemoteCall]] = {}
    for call in calls:
        by_kind.setdefault(call.kind, []).append(call)
    # quote: the task gets the calls as they are; Prefect does not walk hundreds of models looking for futures
    calling = with_backoff(call_remote)
    chunk_futures = [calling.submit(quote(chunk), run_id) for kind_calls in by_kind.values() for chunk in chunks(kind_calls)]

    futures = []
    for item in items:
        if item.id in over_http:
            continue
        # Task runs carry the case number in their names; tags stay on the flow run, because every tagged
        # task run asks the server for concurrency slots, which the embedded server answers 503 under load.
        futures.append((item, STEPS[item.kind].submit(item, run_id)))
    done, incidents, failures = settle_chunks(chunk_futures)
    already = 0
    for item, future in futures:
        future.wait()
        if future.state.is_completed():
            outcome: ItemOutcome = future.result()
            done += outcome.done
            already += not outcome.done
        else:
            failures.append(f"{item.key}: {future.state.message or future.state.name}")

    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        if failures:  # a chunk failed outright (not a fault of the other side): its calls go back to the queue
            for call in calls:
                outbox.release(uow.session, call.item_id, "; ".join(failures))
        for item, future in futures:
            if not future.state.is_completed():
                outbox.release(uow.session, item.id, future.state.message or "failed")
        outbox.end_run(uow.session, run_id, "FAILED" if failures else "COMPLETED", settings.current_time(),
                       name=name, message="; ".join(failures)[:2000] or None)
        uow.commit()
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(items)} items failed: {failures[0]}")
    return OrchestrateReport(flow_run_id=run_id, claimed=len(items), done=done, already_done=already,
                             failed=len(failures), cases=cases, incidents=incidents)
