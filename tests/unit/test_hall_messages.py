"""The hall speaks through its message catalog: no template carries a word outside gettext, every message
has its Chinese and English text, and the placeholders survive translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import LANGUAGES, po_path
from web.pages.common import TEMPLATES, environment

ROOT = Path(__file__).resolve().parents[2]
WORD = re.compile(r"[A-Za-z\u3400-\u9fff]+")  # a Latin or Chinese word; punctuation and digits are no words
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _template_words(name: str) -> list[str]:
    """Words of a template's own text (outside every {{ }} and {% %}, and outside HTML tags)."""
    env = environment("zh_CN")
    source = (TEMPLATES / name).read_text("utf-8")
    text = "".join(value if kind == "data" else "\0" for _line, kind, value in env.lex(source))
    text = re.sub(r"<[^<>]*>", " ", text)  # tags and their attributes (expressions inside are markers)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    return WORD.findall(text)


TEMPLATE_NAMES = sorted(p.name for p in TEMPLATES.glob("*.html"))


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_no_word_of_a_template_escapes_the_catalog(name):
    assert _template_words(name) == [], f"{name}: words outside gettext"


def _extracted() -> dict[str, tuple]:
    """Every message the hall's code and templates mark, as `pybabel extract -F babel.cfg` finds them."""
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / "web", method_map, options_map=options, keywords=keywords):
        found[message if isinstance(message, str) else message[0]] = filename
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_message_is_translated(language, extracted):
    catalog = read_po(po_path(language).open("rb"), locale=language)
    # English may leave a message's text empty: gettext then shows the message itself, which is English
    untranslated = sorted(m for m in extracted if not catalog.get(m) or not (catalog.get(m).string or language == "en"))
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    stale = sorted(m.id for m in catalog if m.id and m.id not in extracted)
    assert not stale, f"{language}: messages no page uses any more: {stale[:5]}"
    for message in catalog:
        if message.id and message.string:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id


def test_chinese_is_the_default_and_english_is_there():
    from web.i18n import DEFAULT, translations

    assert DEFAULT == "zh_CN"
    assert translations("zh_CN").gettext("Review desk") == "后台审批"
    assert translations("en").gettext("Review desk") == "Review desk"
    assert translations("fr").gettext("Review desk") == "后台审批"  # an unknown language falls back to Chinese


def test_a_template_word_outside_gettext_is_found(tmp_path):
    """The walk finds what it looks for: literal text, but not markup, expressions or punctuation."""
    env = environment("zh_CN")
    kinds = [kind for _l, kind, _v in env.lex('<p class="x">{{ _("Due") }}（{{ n }}）Due 到期</p>')]
    assert "data" in kinds
    text = "".join(v if k == "data" else "\0" for _l, k, v in env.lex('<p class="x">{{ _("Due") }}（{{ n }}）Due 到期</p>'))
    assert WORD.findall(re.sub(r"<[^<>]*>", " ", text)) == ["Due", "到期"]


def test_the_engines_refusals_are_explained_in_the_catalogs_words():
    from approvals.permissions import Mandate, mandate_problem, Scope
    from web.refusals import explained
    from datetime import date

    problem = mandate_problem(None, "AG-1", "91350200MA2YJ1XR9G", Scope.SUBMIT, date(2026, 3, 2))
    message, values = explained(problem)
    assert values == {"uscc": "91350200MA2YJ1XR9G"}
    assert environment("zh_CN").from_string("{{ _(m, **v) }}").render(m=message, v=values) == \
        "该代办员没有申请人 91350200MA2YJ1XR9G 的委托书。"
    expired = Mandate(7, "AG-1", "91350200MA2YJ1XR9G", frozenset({Scope.SUBMIT}), date(2026, 1, 31))
    assert explained(mandate_problem(expired, "AG-1", expired.uscc, Scope.SUBMIT, date(2026, 3, 2)))[1] == \
        {"uscc": "91350200MA2YJ1XR9G", "day": "2026-01-31"}
    assert explained("something no pattern knows") is None


def test_the_reviewers_commonest_refusals_are_each_explained():
    """The patterns follow the engine's words: each refusal a reviewer meets first, raised by the rules
    themselves, finds its sentence in the catalog (a pattern left behind by a reworded message would not)."""
    import pytest

    from approvals.errors import BadInput
    from approvals.extension import check_request
    from approvals.review import Action, TaskStatus, check_decision
    from web.refusals import explained

    for action, materials in ((Action.DENY, ()), (Action.SPECIAL_START, ()), (Action.SUPPLEMENT, ())):
        with pytest.raises(BadInput) as refused:
            check_decision(TaskStatus.PENDING, action, None, materials)
        assert explained(str(refused.value)) is not None, str(refused.value)
    with pytest.raises(BadInput) as refused:
        check_request(TaskStatus.PENDING, None, " ")
    assert explained(str(refused.value)) is not None, str(refused.value)


def test_why_a_case_is_listed_is_said_in_the_catalogs_words():
    from web.refusals import reasons

    found = reasons("case due 2026-03-09; task 1 BIZ_LICENCE due 2026-03-03; something new")
    assert found == [("The case was due on %(day)s", {"day": "2026-03-09"}),
                     ("%(matter)s was due on %(day)s", {"matter": "BIZ_LICENCE", "day": "2026-03-03"}),
                     "something new"]
    macro = environment("zh_CN").from_string('{% from "macros.html" import reasons %}{{ reasons(f, n) }}')
    names = type("N", (), {"matters": {"BIZ_LICENCE": "营业执照（设立登记）"}})()
    text = macro.render(f=found, n=names)
    assert "办件应于 2026年3月9日 办结" in text and "营业执照（设立登记） 应于 2026年3月3日 办结" in text
    assert '<span class="detail" lang="en">something new</span>' in text


def test_a_timeline_entry_is_said_with_the_catalogs_names():
    from web.pages.common import Names
    from web.refusals import detail

    names = Names(agencies={"SAMR": "市场监督管理局"}, matters={"BIZ_LICENCE": "营业执照（设立登记）"},
                  materials={"LEASE": "经营场所证明", "ARTICLES": "公司章程"}, bundles={"RESTAURANT": "开办餐饮店"})
    macro = environment("zh_CN").from_string('{% from "macros.html" import reasons %}{{ reasons(said(d), n) }}')
    said = {d: macro.render(d=d, n=names, said=detail).strip() for d in [
        "bundle RESTAURANT via window", "missing: LEASE, ARTICLES", "task 1 BIZ_LICENCE to SAMR",
        "4 matters to review in parallel", "task 1 BIZ_LICENCE: 不符合条件"]}
    assert said["bundle RESTAURANT via window"] == "开办餐饮店"
    assert said["missing: LEASE, ARTICLES"] == "缺少：经营场所证明、公司章程"
    assert said["task 1 BIZ_LICENCE to SAMR"] == "营业执照（设立登记），推送至市场监督管理局"
    assert said["4 matters to review in parallel"] == "4 个事项并联审批"
    assert 'lang="en">task 1 BIZ_LICENCE: 不符合条件</span>' in said["task 1 BIZ_LICENCE: 不符合条件"]
