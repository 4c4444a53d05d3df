"""Key projects as projects (重点项目, “五个一”): one enterprise's cases under one leader, on the green channel;
a leader lists the projects he follows, nobody else's."""

from __future__ import annotations

import json
import uuid

from tests.conftest import new_uscc
from tests.support import show, submit


def test_a_project_groups_its_enterprises_cases_under_its_leader(env, run, application, tmp_path):
    uscc, code, other = new_uscc(), f"KP-{uuid.uuid4().hex[:8]}", f"KP-{uuid.uuid4().hex[:8]}"
    leader, rival = f"leader-{uuid.uuid4().hex[:6]}", f"leader-{uuid.uuid4().hex[:6]}"
    for who, name in ((leader, "王副县长"), (rival, "李副县长")):
        assert run("operator", "add", who, "--role", "leader", "--name", name, "--operator", "admin").code == 0
    added = run("project", "add", code, "--name", "东部工业园智能制造项目", "--uscc", uscc, "--leader", leader,
                "--team", "招商专班", "--plan", "4月开工")
    assert added.code == 0, added.err
    assert run("project", "add", code, "--name", "东部工业园智能制造项目", "--uscc", uscc, "--leader", leader).out \
        .endswith("(unchanged)\n")
    assert run("project", "add", other, "--name", "另一个项目", "--uscc", new_uscc(), "--leader", rival).code == 0

    path = application("INDUSTRIAL_PROJECT")
    body = json.loads(path.read_text("utf-8"))
    body["applicant"]["uscc"] = uscc
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    case_no = submit(run, path)["case_no"]
    before = show(run, case_no)
    attached = run("project", "attach", code, case_no, "--stage", "land")
    assert attached.code == 0, attached.err
    shown = show(run, case_no)
    assert shown["key_project"] is True and shown["leader"] == "王副县长"
    assert shown["due_date"] < before["due_date"]  # the green channel's shortened limit
    assert run("project", "attach", code, case_no, "--stage", "land").out.startswith(f"{case_no} already in")
    assert run("project", "attach", code, case_no, "--stage", "construction").code == 1
    assert run("project", "attach", other, case_no, "--stage", "land").code == 1  # another enterprise's project

    mine = run("project", "list", "--json", "--operator", leader).json()
    assert [p["code"] for p in mine] == [code]
    assert (mine[0]["cases"], mine[0]["leader_name"], mine[0]["team"], mine[0]["plan"]) == (1, "王副县长", "招商专班", "4月开工")
    assert mine[0]["open_tasks"] >= 1 and mine[0]["progress"] == 0.0
    everyone = {p["code"] for p in run("project", "list", "--json", "--operator", "supervisor-1").json()}
    assert {code, other} <= everyone


def test_bad_projects_are_refused_and_nothing_is_written(env, run):
    before = run("project", "list", "--json", "--operator", "admin").json()
    for args, code in (
        (("project", "add", "KP 1", "--name", "x", "--uscc", new_uscc(), "--leader", "admin"), 2),
        (("project", "add", "KP-BAD", "--name", "x", "--uscc", "91350200MA2YJ1XR9X", "--leader", "admin"), 2),
        (("project", "add", "KP-BAD", "--name", "x", "--uscc", new_uscc(), "--leader", "supervisor-1"), 2),
        (("project", "add", "KP-BAD", "--name", "x", "--uscc", new_uscc(), "--leader", "admin",
          "--operator", "SAMR-reviewer"), 1),
        (("project", "attach", "KP-NONE", "OV00000000000000", "--stage", "land"), 1),
        (("project", "attach", "KP-NONE", "OV00000000000000", "--stage", "moon"), 2),
    ):
        result = run(*args)
        assert result.code == code, (args, result.err)
        assert result.err.startswith("onevisit: ") and "Traceback" not in result.err
    assert run("project", "list", "--json", "--operator", "admin").json() == before
