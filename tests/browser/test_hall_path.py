"""The restaurant bundle through the hall in a browser: the clerk files it with a material missing and gets
the one-time correction notice, supplies it and gets the receipt; three agencies' reviewers decide (one asks
for a material, the clerk supplies it); the clerk hands every result over together. Every page is checked
for accessibility (axe-core) and for English showing through the Chinese."""

from __future__ import annotations

import re
from datetime import date

from tests.browser.conftest import VIEWPORT, inspect
from tests.conftest import MONDAY, new_resident_id, new_uscc

ALL_BUT_FIRE_ACCEPTANCE = ["ID_LEGAL_REP", "ARTICLES", "LEASE", "SHAREHOLDER_ID", "OFFICER_APPOINTMENT", "FLOOR_PLAN",
                           "FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST", "FIRE_SAFETY_RULES", "SIGN_DESIGN",
                           "OWNER_CONSENT", "SIGN_STRUCTURE"]


def file_restaurant(page, *, applicant: str, uscc: str, materials: list[str]) -> str:
    """Fill the merged form of 开办餐饮店 (with the signboard, without tobacco) and file it; the case number."""
    page.click("a[href='/hall/window/apply/RESTAURANT']")
    page.fill("#applicant_name", applicant)
    page.fill("#uscc", uscc)
    page.fill("#legal_rep_name", "李湘")
    page.fill("#legal_rep_id", new_resident_id())
    page.uncheck("#opt-TOBACCO_RETAIL")
    for code in materials:
        page.check(f"#mat-{code}")
    inspect(page, "window-form")
    page.click("button[type=submit]:has-text('提交申请')")
    page.wait_for_load_state()
    return re.search(r"/hall/cases/(OV\d+)/", page.url).group(1)


def open_task(page, case_no: str, matter_name: str) -> None:
    page.goto(page.url.split("/hall")[0] + "/hall/review")
    page.locator("tr", has_text=case_no).filter(has_text=matter_name).locator("a").first.click()
    page.wait_for_load_state()


def test_the_restaurant_bundle_from_the_window_to_the_hand_over(desk, hall, browser):
    clerk = desk("window-1")
    assert clerk.url.endswith("/hall/window")
    inspect(clerk, "window")

    case_no = file_restaurant(clerk, applicant="湘味小馆餐饮有限公司", uscc=new_uscc(),
                              materials=ALL_BUT_FIRE_ACCEPTANCE)
    assert clerk.url.endswith(f"/hall/cases/{case_no}/correction-notice")
    notice = clerk.locator("article.notice")
    assert "补正材料一次性告知书" in notice.inner_text()
    assert "建设工程消防验收或备案凭证" in notice.inner_text()  # the one material missing, by its name
    inspect(clerk, "correction-notice")

    clerk.goto(f"{hall.base}/hall/cases/{case_no}")
    inspect(clerk, "case-correction")
    clerk.click("button:has-text('登记收取的材料')")
    clerk.wait_for_load_state()
    assert clerk.url.endswith(f"/hall/cases/{case_no}/receipt")
    receipt = clerk.locator("article.notice").inner_text()
    assert "受理回执" in receipt and case_no in receipt and "营业执照（设立登记）" in receipt
    inspect(clerk, "receipt")
    clerk.emulate_media(media="print")  # printed on A4: the notice alone, without the hall's navigation
    assert clerk.locator("header.top").is_hidden() and clerk.locator("article.notice").is_visible()
    clerk.emulate_media(media="screen")

    samr = desk("SAMR-reviewer")
    assert samr.url.endswith("/hall/review")
    inspect(samr, "review-queue")
    assert "湘味小馆餐饮有限公司" in samr.locator("tr", has_text=case_no).first.inner_text()  # whose case it is
    open_task(samr, case_no, "营业执照（设立登记）")
    inspect(samr, "review-task")
    samr.click("button[value=approve]")
    samr.wait_for_load_state()
    assert "已通过" in samr.locator("section.card").first.inner_text()
    assert "审批意见已记录：已通过" in samr.locator("[role=status]").inner_text()
    inspect(samr, "review-task-decided")

    open_task(samr, case_no, "食品经营许可")
    samr.click("button[value=approve]")
    samr.wait_for_load_state()

    fire = desk("FIRE-reviewer")
    open_task(fire, case_no, "消防安全检查")
    fire.check("#ask-FLOOR_PLAN")
    fire.click("button[value=supplement]")
    fire.wait_for_load_state()
    assert "补齐补正中" in fire.locator("section.card").first.inner_text()
    inspect(fire, "review-task-supplement")

    clerk.goto(f"{hall.base}/hall/cases/{case_no}")
    assert "补齐补正" in clerk.inner_text("main")
    clerk.click("button:has-text('登记收取的材料')")
    clerk.wait_for_load_state()

    open_task(fire, case_no, "消防安全检查")
    fire.click("button[value=approve]")
    fire.wait_for_load_state()

    city = desk("CITY_MGMT-reviewer")
    open_task(city, case_no, "户外招牌设置")
    city.fill("#extension-reason", "需现场核查招牌结构安全")
    city.click("form[action$='/extension'] button")
    city.wait_for_load_state()
    assert "延期 10 个工作日： 已申请" in city.locator("section.card").first.inner_text()
    supervisor = desk("supervisor-1")  # a supervisor approves the extension from the case page
    supervisor.goto(f"{hall.base}/hall/cases/{case_no}")
    supervisor.click("button[name=decision][value=approve]")
    supervisor.wait_for_load_state()
    row = supervisor.locator("tr", has_text="户外招牌设置").first.inner_text()
    assert "延期 10 个工作日： 已通过" in row and "2026年3月19日" in row  # its limit moved by 10 working days
    inspect(supervisor, "case-extension-approved")
    city.reload()
    city.click("button[value=approve]")
    city.wait_for_load_state()

    clerk.goto(f"{hall.base}/hall/window")
    clerk.click(f"a[href='/hall/cases/{case_no}/handover']")
    clerk.wait_for_load_state()
    handed = clerk.locator("article.notice").inner_text()
    for matter in ("营业执照（设立登记）", "食品经营许可", "公众聚集场所投入使用营业前消防安全检查", "户外招牌设置"):
        assert matter in handed
    assert "已办结" in handed
    inspect(clerk, "handover")
    clerk.click("button:has-text('确认出件')")  # the applicant signs for the results: 出件, recorded once
    clerk.wait_for_load_state()
    assert "交付申请人" in clerk.locator("article.notice").inner_text()
    assert clerk.locator("button:has-text('确认出件')").count() == 0
    inspect(clerk, "handover-recorded")
    clerk.goto(f"{hall.base}/hall/window")
    assert clerk.locator(f"a[href='/hall/cases/{case_no}/handover']").count() == 0  # no longer to hand over

    clerk.goto(f"{hall.base}/hall/cases/{case_no}")  # 好差评 at the window, on the clerk's screen
    clerk.click("a:has-text('申请人在窗口评价')")
    clerk.wait_for_load_state()
    assert "服务态度" in clerk.inner_text("main")  # the window's indicators, not the online ones
    clerk.check("input[name=level][value='4']")
    clerk.fill("textarea[name=comment]", "办事快")
    inspect(clerk, "rate-window")
    clerk.click("button:has-text('提交评价')")
    clerk.wait_for_load_state()
    rated = clerk.locator("section", has_text="好差评").first.inner_text()
    assert "满意" in rated and "办事快" in rated and "窗口" in rated
    assert clerk.locator("a:has-text('申请人在窗口评价')").count() == 0  # one rating per case and channel
    inspect(clerk, "case-issued")

    # the applicant opens the link the results notice carries, signed in as nobody, and rates online
    from services.ratings import link_for
    from services.settings import Settings

    _token, link = link_for(Settings(database_url=hall.url), case_no, date.fromisoformat(MONDAY[:10]))
    applicant = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    applicant.goto(f"{hall.base}{link}")
    assert "消防救援大队" in applicant.inner_text("main")
    inspect(applicant, "rate-online")
    applicant.check("input[name=level][value='5']")
    applicant.select_option("select[name=matter-FIRE_CHECK]", "3")
    applicant.fill("textarea[name=comment]", "一次就办好了")
    applicant.click("main button[type=submit]")
    applicant.wait_for_load_state()
    assert "评价已记录" in applicant.inner_text("main")
    applicant.context.close()
