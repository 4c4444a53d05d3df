"""Personal identifiers never leave unmasked: every CLI output and log line of a whole case is searched."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from tests.conftest import new_resident_id
from tests.support import approve_all, review, show

PHONE = "13912345678"
INTERNATIONAL = "+86 137 0000 4321"


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line():
    handler = _Everything()
    loggers = [logging.getLogger(name) for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs")]
    for lg in loggers:
        lg.addHandler(handler)
    yield handler.lines
    for lg in loggers:
        lg.removeHandler(handler)


def _prefect_records() -> tuple[list[str], str]:
    """What Prefect's API keeps: every flow run's name and parameters, every log line and every artifact."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
        logs = client.read_logs()
        artifacts = client.read_artifacts()
    assert artifacts, "no Prefect artifact: searching them would prove nothing"
    return [r.name for r in runs], json.dumps([r.parameters for r in runs] + [entry.message for entry in logs]
                                              + [[a.key, a.description, a.data] for a in artifacts],
                                              ensure_ascii=False, default=str)


def test_no_identifier_appears_unmasked_in_any_output_or_log(env, run, application, every_log_line):
    resident_id = new_resident_id()
    agent = f"AG-{uuid.uuid4().hex[:6]}"
    path = application("COMPANY_START", omit=("LEASE",))
    body = json.loads(path.read_text("utf-8"))
    body["applicant"]["legal_representative"] |= {"id_number": resident_id, "phone": PHONE}
    # identifiers typed into free text: a name, a leader, reasons (with and without the country code)
    body["applicant"]["name"] = f"测试企业 联系 {INTERNATIONAL}"
    body |= {"key_project": True, "leader": f"王五 {resident_id}"}
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    outputs: list[str] = []

    def cli(*args: str, **kw):
        result = run(*args, **kw)
        outputs.extend((result.out, result.err))
        return result

    assert cli("agent", "add", agent, "--name", "代办员 +8613600002222", "--phone", "13800001111",
               "--operator", "admin").code == 0
    case_no = json.loads(cli("submit", path, "--json").out)["case_no"]
    cli("submit", path)  # the same request again, as a table
    cli("supplement", case_no, "--material", "LEASE")
    licence = review(show(run, case_no), "BIZ_LICENCE")
    cli("decide", licence["task_id"], "special-start", "--reason", f"核查法定代表人 {resident_id}，电话 {PHONE}",
        "--operator", "SAMR-reviewer")
    cli("show", case_no)
    cli("decide", licence["task_id"], "special-end", "--operator", "SAMR-reviewer")
    approve_all(run, case_no)
    for args in (["show", case_no], ["show", case_no, "--json"], ["cases"], ["cases", "--json"], ["tasks"],
                 ["ledger"], ["runs", case_no], ["credit", "show", body["applicant"]["uscc"]],
                 ["operator", "list"], ["operator", "list", "--json"], ["mandate", "list"]):
        assert cli(*args).code == 0, args
    assert cli("orchestrate", "--case", case_no, "--operator", "admin").code == 0  # Prefect runs, logs
    assert cli("sweep", "--operator", "supervisor-1").code == 0
    assert cli("audit", "verify", "--operator", "admin").code == 0
    assert cli("reopen", case_no, "--reason", f"申请人来电 {INTERNATIONAL}", "--operator", "admin").code == 0
    for args in (["show", case_no], ["show", case_no, "--json"], ["cases", "--json"], ["operator", "list", "--json"]):
        assert cli(*args, "--operator", "admin").code == 0
    cli("submit", path.with_name("missing.json"))  # errors too

    shown = show(run, case_no)
    assert shown["legal_representative_id"] == resident_id[:6] + "********" + resident_id[-4:]
    assert shown["legal_representative_phone"] == "139****5678"
    names, prefect_text = _prefect_records()
    assert any(case_no in name for name in names), "no flow run of this case: the search would prove nothing"
    captured = "\n".join(outputs + every_log_line + [prefect_text])
    for secret in (resident_id, PHONE, "13800001111", "137 0000 4321", "13700004321", "13600002222"):
        assert secret not in captured, f"{secret} leaked: ...{captured[max(0, captured.find(secret) - 300):captured.find(secret) + 100]}"
    assert resident_id[:6] + "********" in captured  # what was shown is there, masked

    full = run("show", case_no, "--json", "--unmasked", "--operator", "admin").json()
    assert (full["legal_representative_id"], full["legal_representative_phone"]) == (resident_id, PHONE)
    assert any(resident_id in e["detail"] for e in full["events"])  # the reason, as written, for the administrator
    refused = run("show", case_no, "--json", "--unmasked", "--operator", "window-1")
    assert refused.code == 1 and "may not unmask" in refused.err and resident_id not in refused.out
    assert run("show", case_no, "--unmasked", "--operator", "admin").code == 2  # tables are always masked
