"""The other desks in a browser: a reviewer is kept out of another agency's task (403 page); an administrator
registers an agent, sets its password and records its mandate, and the agent files under it; the
administration pages; the hall in English when the operator picks it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.browser.conftest import PASSWORD, inspect
from tests.browser.test_hall_path import file_restaurant
from tests.conftest import new_resident_id, new_uscc

ALL_MATERIALS = ["ID_LEGAL_REP", "ARTICLES", "LEASE", "SHAREHOLDER_ID", "OFFICER_APPOINTMENT", "FLOOR_PLAN",
                 "FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST", "FIRE_ACCEPTANCE", "FIRE_SAFETY_RULES", "SIGN_DESIGN",
                 "OWNER_CONSENT", "SIGN_STRUCTURE"]


def _filed(hall) -> tuple[str, dict[str, int]]:
    """A restaurant case filed straight through the use case (not the subject here): its number and task ids."""
    from schemas.case import ApplicationIn
    from services import cases
    from services.case_repository import cases as case_files

    application = ApplicationIn(bundle="RESTAURANT", applicant={
        "name": "川味小厨餐饮有限公司", "uscc": new_uscc(),
        "legal_representative": {"name": "王川", "id_number": new_resident_id()}},
        materials=ALL_MATERIALS, optional_matters=["SIGNBOARD"])

    def file(session, clock):
        result = cases.submit(session, application, actor="window-1", clock=clock)
        return result.case_no, {t.matter: t.id for t in case_files(session).get(result.case_no).tasks}

    return hall.act(file)


def test_a_reviewer_cannot_open_another_agencys_task(desk, hall):
    case_no, tasks = _filed(hall)
    fire = desk("FIRE-reviewer")
    response = fire.goto(f"{hall.base}/hall/review/tasks/{tasks['BIZ_LICENCE']}")
    assert response.status == 403
    assert "该任务属于其他部门" in fire.inner_text("main")
    inspect(fire, "forbidden")
    posted = fire.request.post(f"{hall.base}/hall/review/tasks/{tasks['BIZ_LICENCE']}",
                               form={"action": "approve", "csrf_token": fire.locator("input[name=csrf_token]").first.get_attribute("value")})
    assert posted.status == 403
    samr = desk("SAMR-reviewer")
    samr.goto(f"{hall.base}/hall/review/tasks/{tasks['BIZ_LICENCE']}")
    assert "审批中" in samr.locator("section.card").first.inner_text()  # nothing was decided by the 403


def test_an_administrator_enrols_an_agent_who_files_under_the_mandate(desk, hall):
    uscc = new_uscc()
    agent_id = f"AG-{uscc[-6:]}"
    admin = desk("admin")
    assert admin.url.endswith("/hall/admin")
    admin.fill("#ag-id", agent_id)
    admin.fill("#ag-name", "代办员刘")
    admin.click("form[action='/hall/admin/agents'] button")
    admin.wait_for_load_state()
    admin.select_option("#pw-who", agent_id)
    admin.fill("#pw-new", PASSWORD)
    admin.fill("#pw-again", PASSWORD)
    admin.click("form[action='/hall/admin/passwords'] button")
    admin.wait_for_load_state()
    admin.select_option("#md-agent", agent_id)
    admin.fill("#md-uscc", uscc)
    admin.uncheck("#md-sign_commitment")
    admin.fill("#md-until", (date(2026, 3, 2) + timedelta(days=90)).isoformat())
    admin.click("form[action='/hall/admin/mandates'] button")
    admin.wait_for_load_state()
    assert "已完成" in admin.inner_text("main")
    assert uscc in admin.locator("section", has_text="委托书").first.inner_text()
    inspect(admin, "admin-staff")

    agent = desk(agent_id)
    assert agent.url.endswith("/hall/agent")
    inspect(agent, "agent-worklist")
    agent.click("a:has-text('凭委托书代为申请')")
    case_no = file_restaurant(agent, applicant="粤味茶餐厅有限公司", uscc=uscc, materials=ALL_MATERIALS)
    assert agent.url.endswith(f"/hall/cases/{case_no}/receipt")
    agent.goto(f"{hall.base}/hall/agent")
    assert case_no in agent.inner_text("main")

    stranger = new_uscc()  # no mandate from this applicant: refused, shown on the form, nothing filed
    agent.goto(f"{hall.base}/hall/window")
    agent.click("a[href='/hall/window/apply/RESTAURANT']")
    agent.fill("#applicant_name", "无委托餐饮有限公司")
    agent.fill("#uscc", stranger)
    agent.fill("#legal_rep_name", "赵六")
    agent.fill("#legal_rep_id", new_resident_id())
    for code in ALL_MATERIALS:
        agent.check(f"#mat-{code}")
    agent.click("button[type=submit]:has-text('提交申请')")
    agent.wait_for_load_state()
    assert "/hall/window/apply/RESTAURANT" in agent.url
    assert "按规定不能办理" in agent.inner_text("main")
    assert f"该代办员没有申请人 {stranger} 的委托书" in agent.inner_text("main")  # the refusal, in Chinese
    assert agent.input_value("#uscc") == stranger  # the form keeps what was typed
    inspect(agent, "agent-refused")


def test_the_administration_pages(desk, hall):
    case_no, _tasks = _filed(hall)
    admin = desk("admin")
    for path, name in [("/hall/admin/calendar?year=2026", "admin-calendar"), ("/hall/admin/catalog", "admin-catalog"),
                       ("/hall/admin/audit", "admin-audit"), ("/hall/admin/reopen", "admin-reopen"),
                       (f"/hall/admin/cases/{case_no}/runs", "admin-runs"), (f"/hall/cases/{case_no}", "case"),
                       ("/hall/cases", "cases")]:
        response = admin.goto(hall.base + path)
        assert response.status == 200, path
        inspect(admin, name)
    admin.goto(hall.base + "/hall/admin/audit")
    assert "办件过程记录完整" in admin.inner_text("main")

    admin.goto(hall.base + "/hall/admin")  # a leader added by the administrator; the same ID again is explained
    for _ in range(2):
        admin.fill("#op-id", "leader-wang")
        admin.fill("#op-name", "王副县长")
        admin.select_option("#op-role", "leader")
        admin.click("form[action='/hall/admin/operators'] button")
        admin.wait_for_load_state()
    assert "账号 leader-wang 已存在" in admin.inner_text("main")
    admin.goto(hall.base + "/hall/admin")
    assert "包联领导" in admin.locator("tr", has_text="leader-wang").inner_text()

    admin.goto(hall.base + "/hall/admin/calendar?year=2026")  # a local holiday, pasted as a line
    admin.fill("#days", "2026-12-31 holiday")
    admin.fill("#cal-reason", "县政府通知（测试）")
    admin.click("form[action='/hall/admin/calendar'] button")
    admin.wait_for_load_state()
    assert "已完成" in admin.inner_text("main")
    assert "12-31 放假" in admin.locator("tr", has_text="12 月").inner_text()

    from services.catalog import builtin_catalog_text  # the catalog in force, loaded again: unchanged, accepted

    admin.goto(hall.base + "/hall/admin/catalog")
    admin.set_input_files("#cat-file", files=[{"name": "catalog.yaml", "mimeType": "text/yaml",
                                               "buffer": builtin_catalog_text().encode()}])
    admin.click("form[action='/hall/admin/catalog'] button")
    admin.wait_for_load_state()
    assert "已完成" in admin.inner_text("main")
    admin.set_input_files("#cat-file", files=[{"name": "bad.yaml", "mimeType": "text/yaml", "buffer": b"agencies: 3"}])
    admin.click("form[action='/hall/admin/catalog'] button")
    admin.wait_for_load_state()
    assert "表单有误" in admin.inner_text("main")  # refused whole, said on the page


def test_the_hall_in_english_when_the_operator_picks_it(desk, hall):
    clerk = desk("window-1")
    assert "综合受理窗口" in clerk.inner_text("main")
    clerk.click("button:has-text('English')")
    clerk.wait_for_load_state()
    assert clerk.url.endswith("/hall/window")
    assert clerk.locator("html").get_attribute("lang") == "en"
    assert "One-window intake" in clerk.inner_text("main")
    assert "开办餐饮店" in clerk.inner_text("main")  # the catalog's names stay as the catalog has them
    inspect(clerk, "window-en", chinese=False)
    clerk.click("a[href='/hall/window/apply/RESTAURANT']")
    assert "Material checklist" in clerk.inner_text("main")
    clerk.click("button:has-text('中文')")
    clerk.wait_for_load_state()
    assert "材料清单" in clerk.inner_text("main")


def test_one_matter_alone_at_the_window_and_a_refusal_at_intake(desk, hall):
    clerk = desk("window-1")
    clerk.select_option("#single-matter", "TOBACCO_RETAIL")
    clerk.click("form[action='/hall/window/single'] button")
    clerk.wait_for_load_state()
    clerk.fill("#applicant_name", "无照经营商店")
    clerk.fill("#uscc", new_uscc())
    clerk.fill("#legal_rep_name", "吴八")
    clerk.fill("#legal_rep_id", new_resident_id())
    clerk.check("#mat-ID_LEGAL_REP")
    clerk.click("button[type=submit]:has-text('提交申请')")
    clerk.wait_for_load_state()
    refused = re.search(r"/hall/cases/(OV\d+)/correction-notice", clerk.url).group(1)
    clerk.goto(f"{hall.base}/hall/cases/{refused}")
    clerk.fill("#refuse-reason", "经营场所位于学校周边，依法不得设立烟草零售点")
    clerk.click("button:has-text('不予受理')")
    clerk.wait_for_load_state()
    head = clerk.locator("section.card").first.inner_text()
    assert "不予受理" in head and "学校周边" in head
    inspect(clerk, "case-refused")

    clerk.goto(f"{hall.base}/hall/window")
    clerk.select_option("#single-matter", "TOBACCO_RETAIL")
    clerk.click("form[action='/hall/window/single'] button")
    clerk.wait_for_load_state()
    assert "烟草专卖零售许可" in clerk.inner_text("h1")
    clerk.fill("#applicant_name", "湘味便利店有限公司")
    clerk.fill("#uscc", new_uscc())
    clerk.fill("#legal_rep_name", "周七")
    clerk.fill("#legal_rep_id", new_resident_id())
    for code in ("ID_LEGAL_REP", "LEASE", "TOBACCO_SITE_MAP"):
        clerk.check(f"#mat-{code}")
    clerk.check("#dm-post")
    clerk.fill("#delivery_address", "湘潭市雨湖区建设路 8 号")
    inspect(clerk, "window-single-matter")
    clerk.click("button[type=submit]:has-text('提交申请')")
    clerk.wait_for_load_state()
    assert "/receipt" in clerk.url
    receipt = clerk.locator("article.notice").inner_text()
    assert "烟草专卖零售许可" in receipt and "烟草专卖局" in receipt


def test_promises_signed_on_the_form_show_on_the_receipt(desk, hall):
    """容缺: a secondary material promised instead of handed in; 告知承诺: a matter decided on the promise."""
    clerk = _restaurant_form(desk, "守信餐饮有限公司", "钱九")
    clerk.uncheck("#opt-TOBACCO_RETAIL")
    for code in ALL_MATERIALS:
        if code != "OWNER_CONSENT":
            clerk.check(f"#mat-{code}")
    clerk.check("#pr-OWNER_CONSENT")  # 容缺: 建筑物所有权人同意设置证明, promised for later
    clerk.check("#nc-FOOD_BUSINESS")  # 告知承诺
    inspect(clerk, "window-promises")
    clerk.click("button[type=submit]:has-text('提交申请')")
    clerk.wait_for_load_state()
    assert "/receipt" in clerk.url, clerk.inner_text("main")[:1000]
    receipt = clerk.locator("article.notice").inner_text()
    assert "容缺后补材料" in receipt and "建筑物所有权人同意设置证明" in receipt
    assert "按告知承诺审批的事项" in receipt and "食品经营许可" in receipt
    clerk.goto(clerk.url.replace("/receipt", ""))
    promises = clerk.locator("section", has_text="承诺书").first.inner_text()
    assert "容缺受理承诺" in promises and "告知承诺" in promises
    inspect(clerk, "case-promises")


def test_the_sign_in_page_and_a_wrong_password(browser, hall):
    from tests.browser.conftest import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(hall.base + "/hall/review")  # not signed in: the sign-in page, which comes back here after
        assert "/login" in page.url
        inspect(page, "sign-in")
        page.fill("input[name=username]", "TOBACCO-reviewer")  # a desk no other test signs in at
        page.fill("input[name=password]", "not-the-password")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "用户名或密码错误" in page.inner_text("main")
        inspect(page, "sign-in-wrong")
    finally:
        context.close()


def test_an_optional_matter_left_out_takes_its_ticked_materials_with_it(desk, hall):
    """The checklist lists the materials of every matter of the bundle: the clerk who ticks the tobacco licence's
    site map and then leaves the tobacco licence out files without it, instead of being refused in English."""
    clerk = _restaurant_form(desk, "不卖烟餐饮有限公司", "孙十")
    for code in [*ALL_MATERIALS, "TOBACCO_SITE_MAP"]:
        clerk.check(f"#mat-{code}")
    clerk.uncheck("#opt-TOBACCO_RETAIL")
    clerk.click("button[type=submit]:has-text('提交申请')")
    clerk.wait_for_load_state()
    assert "/receipt" in clerk.url, clerk.inner_text("main")[:1000]
    receipt = clerk.locator("article.notice").inner_text()
    assert "受理回执" in receipt and "烟草" not in receipt


def _restaurant_form(desk, applicant: str, legal_representative: str):
    """The window clerk's page with 开办餐饮店's merged form open, the applicant filled in."""
    clerk = desk("window-1")
    clerk.click("a[href='/hall/window/apply/RESTAURANT']")
    clerk.fill("#applicant_name", applicant)
    clerk.fill("#uscc", new_uscc())
    clerk.fill("#legal_rep_name", legal_representative)
    clerk.fill("#legal_rep_id", new_resident_id())
    return clerk


def test_a_promise_not_accepted_is_said_on_the_correction_notice(desk, hall):
    """容缺 covers only what remains once everything else is there: with another material missing too, the
    promise is not accepted, and the one-time notice says why (the promised material is asked for with the rest)."""
    clerk = _restaurant_form(desk, "缺两样餐饮有限公司", "周十一")
    clerk.uncheck("#opt-TOBACCO_RETAIL")
    for code in ALL_MATERIALS:
        if code not in ("OWNER_CONSENT", "FOOD_EQUIPMENT_LIST"):
            clerk.check(f"#mat-{code}")
    clerk.check("#pr-OWNER_CONSENT")
    clerk.click("button[type=submit]:has-text('提交申请')")
    clerk.wait_for_load_state()
    assert clerk.url.endswith("/correction-notice"), clerk.inner_text("main")[:1000]
    notice = clerk.locator("article.notice").inner_text()
    assert "容缺受理未予接受：另缺 主要设备设施清单 且未承诺后补" in notice, notice  # why, in the catalog's words
    assert "建筑物所有权人同意设置证明" in notice  # the promised material, asked for with the rest
    assert "refused" not in notice
    inspect(clerk, "correction-notice-promise-refused")


def test_the_hand_over_sheet_gives_a_matter_not_granted_with_its_reason(desk, hall):
    """A case partly issued: the certificates go over the counter together, and the matter the agency refused
    is on the same sheet with the decision's reason, so the applicant leaves with both."""
    from approvals.review import Action
    from services import cases

    case_no, tasks = _filed(hall)
    for matter, task_id in tasks.items():
        agency = {"BIZ_LICENCE": "SAMR", "FOOD_BUSINESS": "SAMR", "FIRE_CHECK": "FIRE", "SIGNBOARD": "CITY_MGMT"}[matter]
        action, reason = (Action.DENY, "招牌位置占用消防通道") if matter == "SIGNBOARD" else (Action.APPROVE, None)
        hall.act(lambda session, clock, t=task_id, a=action, r=reason, who=f"{agency}-reviewer": cases.decide(
            session, t, a, operator=who, reason=r, materials=(), clock=clock))
    clerk = desk("window-1")
    clerk.goto(f"{hall.base}/hall/cases/{case_no}/handover")
    sheet = clerk.locator("article.notice").inner_text()
    assert "不予许可的事项" in sheet and "户外招牌设置" in sheet and "招牌位置占用消防通道" in sheet
    assert "营业执照（设立登记）" in sheet  # and the certificates, together
    inspect(clerk, "handover-partly-issued")
