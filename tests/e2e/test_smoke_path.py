"""The restaurant bundle end to end through the CLI: accepted, reviewed in parallel, issued together."""


def test_restaurant_is_issued_together(env, run, application):
    result = run("submit", application("RESTAURANT"), "--json")
    assert result.code == 0, result.err
    case_no = result.json()["case_no"]
    assert result.json()["status"] == "in_review"

    for _ in range(5):
        shown = run("show", case_no, "--json").json()
        pending = [r for r in shown["reviews"] if r["status"] == "pending"]
        if not pending:
            break
        for review in pending:
            decided = run("decide", review["task_id"], "approve", "--operator", f"{review['agency']}-reviewer")
            assert decided.code == 0, decided.err

    shown = run("show", case_no, "--json").json()
    assert shown["status"] == "issued"
    assert len(shown["certificates"]) == len(shown["reviews"])
    assert len({c["issued_at"] for c in shown["certificates"]}) == 1
