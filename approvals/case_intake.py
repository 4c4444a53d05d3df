"""The case aggregate at the window: acceptance (受理) or a correction request (补正), materials handed
in afterwards (补正, 补齐补正), and the green channel (重点项目)."""

from __future__ import annotations

from collections.abc import Sequence

from approvals.case_parts import Policy, SharedRequest, Task
from approvals.catalog import Catalog
from approvals.deadlines import Clock, StopKind
from approvals.errors import BadInput, Refused
from approvals.review import CaseStatus, TaskStatus, initial_status

ON_THE_SPOT = "当场办结 (decided at the window on acceptance)"


class CaseIntake:
    """The window's rules of `approvals.casefile.CaseFile` (its attributes: status, tasks, materials...)."""

    # --- intake (受理) -------------------------------------------------------------------------------

    def ask_shared(self, material: str, source: str, key: str, clock: Clock) -> None:
        """数据共享: the material is written down as pending and its fetch queued (`key`), never asked of the
        applicant."""
        self.shared.append(SharedRequest(self.id, material, source, "pending", clock.now))
        self.queue(clock.now, key, "fetch_shared", payload={"material": material, "source": source})

    def request_correction(self, missing: list[str], actor: str, clock: Clock) -> None:
        """补正: every missing material is listed at once."""
        self.status = CaseStatus.CORRECTION_REQUIRED
        self.record(clock.now, "correction_requested", actor, "missing: " + ", ".join(missing))
        self.notify(clock.now, "correction_requested", {"missing": missing})

    def accept(self, catalog: Catalog, policy: Policy, task_ids: Sequence[int], actor: str, clock: Clock,
               promised: tuple[str, ...] = ()) -> None:
        """受理: one review task per matter (ids given, one a matter); those without prerequisites start at
        once, and one decided on the spot (当场办结) is approved now. Under 容缺 the clock starts when the
        promise is signed, which is now."""
        bundle = catalog.bundle_of(self.bundle, self.single_matter)
        self.status = CaseStatus.IN_REVIEW
        self.accepted_at = clock.now
        self.refresh_due(clock)
        replaced = [m for m in catalog.materials_of(self.matters)
                    if m not in self.required_materials and m not in self.provided_materials]
        self.record(clock.now, "accepted", actor, f"{len(self.matters)} matters to review in parallel"
                    + (f"; 容缺 on the promise of {', '.join(promised)}" if promised else "")
                    + (f"; 告知承诺 in place of {', '.join(replaced)}" if replaced else ""))
        self.sign_promises(catalog, promised, actor, clock)
        if self.due_note:
            self.record(clock.now, "deadline_unknown", "system", self.due_note)
        for task_id, code in zip(task_ids, self.matters, strict=True):
            matter = catalog.matters[code]
            depends_on = [d for d in matter.depends_on if d in self.matters]  # 事项单办: prerequisites already held
            self.tasks.append(Task(task_id, self.id, code, matter.agency, bundle.is_optional(code), depends_on,
                                   initial_status(depends_on), policy.promised(matter.promised_days, self.key_project),
                                   matter.statutory_days, [], clock.now))
        decided = []
        for task in self.tasks:
            if task.status is not TaskStatus.PENDING:
                continue
            task.start_clock(clock)
            if catalog.matters[task.matter].on_the_spot:  # nothing to dispatch
                task.status, task.light, task.decided_by, task.decided_at = TaskStatus.APPROVED, None, actor, clock.now
                task.reason, task.dispatched_at = ON_THE_SPOT, clock.now
                decided.append(task)
            else:
                self._dispatch(task, catalog, clock)
        self.notify(clock.now, "accepted", {"due_date": _iso(self.due_date)})
        for task in decided:
            self.record(clock.now, "approved", actor, f"task {task.id} {task.matter}: {ON_THE_SPOT}")
        if decided:
            self.settle(catalog, actor, clock)  # releases what they held up; may issue at once

    # --- materials handed in (补正, 补齐补正) -----------------------------------------------------------

    def supply(self, materials: list[str], actor: str, catalog: Catalog, policy: Policy, clock: Clock,
               task_ids=None, *, at_window: bool) -> list[str]:
        """The applicant supplies materials: a correction completes intake (`task_ids`: a callable giving the
        ids of the tasks acceptance opens), a supplement resumes review. Returns what is still missing.
        `at_window`: handed in at the window, one more visit to the hall (最多跑一次)."""
        if self.status is CaseStatus.CORRECTION_REQUIRED:
            missing = self.missing()
            unexpected = [m for m in materials if m not in self.required_materials]
            if unexpected:
                raise BadInput(f"{', '.join(unexpected)} not needed for case {self.case_no} "
                               f"(missing: {', '.join(missing)})")
            self._provide(materials)
            self.updated_at = self.last_acted_at = clock.now
            self.visits += at_window
            still = self.missing()
            self.record(clock.now, "materials_received", actor, ", ".join(materials))
            if still:
                self.record(clock.now, "correction_pending", "system", "still missing: " + ", ".join(still))
            else:
                self.accept(catalog, policy, task_ids(len(self.matters)), actor, clock)
            return still
        awaiting = [t for t in self.tasks if t.status is TaskStatus.SUPPLEMENT_REQUESTED]
        awaited = {m for t in awaiting for m in t.requested_materials} | set(self.promised_awaited())
        if not awaited or self.finished:
            raise Refused(f"case {self.case_no} is {self.status}: no material is awaited")
        unexpected = [m for m in materials if m not in awaited]
        if unexpected:
            raise Refused(f"case {self.case_no} is not waiting for {', '.join(unexpected)} "
                          f"(awaited: {', '.join(sorted(awaited))})")
        self.record(clock.now, "materials_received", actor, ", ".join(materials))
        self._provide(materials)
        self.updated_at = self.last_acted_at = clock.now
        self.visits += at_window
        for task in awaiting:
            remaining = [m for m in task.requested_materials if m not in materials]
            if remaining == task.requested_materials:
                continue
            task.requested_materials = remaining
            task.updated_at = clock.now
            if not remaining:
                task.status = TaskStatus.PENDING
                self.record(clock.now, "review_resumed", actor, f"task {task.id} {task.matter}")
                self.resume_clock(task, actor, clock)
                if self.status is CaseStatus.SUSPENDED:
                    self.stop_clock(task, StopKind.SUSPENDED, "case suspended: promise past due", actor, clock)
        if self.keep_promise(actor, clock):
            self.settle(catalog, actor, clock)  # withheld results go out now, all together
        return sorted({m for t in awaiting for m in t.requested_materials} | set(self.promised_awaited()))

    # --- the green channel (重点项目) ------------------------------------------------------------------

    def mark_key_project(self, leader: str, catalog: Catalog, policy: Policy, actor: str, clock: Clock) -> int:
        """Shorten the promised limits of the case and of its open tasks; returns how many tasks."""
        if self.finished:
            raise Refused(f"case {self.case_no} is {self.status}: too late for the green channel")
        self.key_project, self.leader, self.updated_at = True, leader, clock.now
        self.promised_days = policy.promised(catalog.bundle_of(self.bundle, self.single_matter).promised_days, True)
        if self.accepted_at is not None:  # awaiting corrections (补正): the clock starts, shortened, at acceptance
            self.refresh_due(clock)
        count = 0
        for task in self.tasks:
            if task.status in (TaskStatus.WAITING, TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED):
                task.promised_days = policy.promised(catalog.matters[task.matter].promised_days, True)
                if task.started_on is not None:
                    task.refresh_due(clock)
                task.updated_at = clock.now
                count += 1
        self.record(clock.now, "key_project", actor,
                    f"green channel: promised limits shortened; responsible leader {leader}")
        return count


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
