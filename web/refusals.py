"""The engine's most common refusals, said again in the message catalog's words for the people at the desks.

The engine speaks English codes and ids (the CLI and the API keep them); a page shows the catalog's sentence
when one of these patterns matches, and the engine's own words under it in small print. A refusal no pattern
knows is shown as the engine said it, marked as English.
"""

from __future__ import annotations

import re

from web.i18n import N_

# (pattern on the engine's message, the catalog's message with the pattern's named groups as placeholders)
EXPLAINED: list[tuple[re.Pattern, str]] = [(re.compile(p), m) for p, m in [
    (r"holds no mandate from applicant (?P<uscc>\w+)",
     N_("This agent holds no mandate from applicant %(uscc)s.")),
    (r"mandate \d+ from applicant (?P<uscc>\w+) was revoked", N_("The mandate from applicant %(uscc)s was revoked.")),
    (r"mandate \d+ from applicant (?P<uscc>\w+) expired on (?P<day>[\d-]+)",
     N_("The mandate from applicant %(uscc)s expired on %(day)s.")),
    (r"mandate \d+ from applicant (?P<uscc>\w+) does not cover (?P<scope>\w+)",
     N_("The mandate from applicant %(uscc)s does not cover this act.")),
    (r"is not a valid unified social credit code", N_("The unified social credit code is not valid.")),
    (r"is not a valid resident ID", N_("The resident ID number is not valid.")),
    (r"reviews for \w+, not \w+", N_("This task belongs to another agency.")),
    (r"a denial needs --reason", N_("A denial needs its reason.")),
    (r"a special procedure needs --reason", N_("A special procedure needs its kind and reason.")),
    (r"a supplement request needs at least one --material", N_("Tick at least one material to ask for.")),
    (r"cannot \S+ a task that is (?P<status>\w+)", N_("This task cannot be decided in its present state.")),
    (r"end the special procedure", N_("End the special procedure before asking for materials.")),
    (r"name at least one --material", N_("Tick at least one material.")),
    (r"no material is awaited", N_("No material is awaited for this case.")),
    (r"is not waiting for", N_("The case is not waiting for these materials.")),
    (r"already used for a different application", N_("This form was already filed with different content.")),
    (r"open credit record", N_("The applicant has an open credit record: no promise can be accepted.")),
    (r"does not allow 告知承诺", N_("This matter cannot be decided on a notification-commitment.")),
    (r"--reason is required", N_("The reason is required.")),
    (r"it has ended already", N_("The case has ended already.")),
    (r"can no longer be refused at intake", N_("The case was accepted: it can no longer be refused at intake.")),
    (r"an extension needs --reason", N_("An extension needs the reason the applicant will be told.")),
    (r"a limit is extended once", N_("A limit is extended once only.")),
    (r"operator '(?P<id>[^']+)' already exists", N_("The account %(id)s exists already: pick another ID.")),
    (r"a password has at least (?P<length>\d+) characters", N_("A password has at least %(length)s characters.")),
    (r"the two passwords differ", N_("The two passwords differ.")),
    (r"is suspended \(a 容缺 promise is past due\)", N_("The case is suspended: a promise is past due.")),
]]


# Why a case is listed as overdue or stalled (the engine joins several reasons with "; ")
REASONS: list[tuple[re.Pattern, str]] = [(re.compile(p), m) for p, m in [
    (r"^case due (?P<day>[\d-]+)$", N_("The case was due on %(day)s")),
    (r"^task \d+ (?P<matter>\w+) due (?P<day>[\d-]+)$", N_("%(matter)s was due on %(day)s")),
    (r"^no one has acted for (?P<days>\d+) working days \(last (?P<day>[\d-]+)\)$",
     N_("Nobody has acted for %(days)s working days (last on %(day)s)")),
    (r"^last flow run \S+ failed$", N_("Its last flow run failed")),
    (r"^last flow run \S+ crashed$", N_("Its last flow run crashed")),
    (r"^incident: ", N_("Work sent to another system failed for good (reopen the case)")),
]]


# What a timeline entry says (its detail), for the entries every case has
CODES = r"[A-Z0-9_]+(?:, [A-Z0-9_]+)*"
TIMELINE: list[tuple[re.Pattern, str]] = [(re.compile(p), m) for p, m in [
    (rf"^容缺 refused: (?P<materials>{CODES}) is a core material",
     N_("容缺 not accepted: %(materials)s is a core material, which may never be missing")),
    (r"^容缺 refused: (?P<count>\d+) materials promised, at most (?P<most>\d+)",
     N_("容缺 not accepted: %(count)s materials promised, at most %(most)s")),
    (r"^容缺 refused: the applicant has an open credit record",
     N_("容缺 not accepted: the applicant has an open credit record")),
    (rf"^容缺 refused: (?P<materials>{CODES}) also missing and not promised",
     N_("容缺 not accepted: %(materials)s also missing and not promised; a promise covers only what remains "
        "once everything else is provided")),
    (r"^bundle (?P<bundle>\w+) via \w+", N_("%(bundle)s")),
    (r"^matter (?P<bundle>\w+) via \w+", N_("%(bundle)s")),
    (rf"^missing: (?P<materials>{CODES})$", N_("Missing: %(materials)s")),
    (rf"^still missing: (?P<materials>{CODES})$", N_("Still missing: %(materials)s")),
    (rf"^(?P<materials>{CODES})$", N_("%(materials)s")),
    (r"^(?P<count>\d+) matters to review in parallel$", N_("%(count)s matters reviewed in parallel")),
    (r"^task \d+ (?P<matter>\w+) to (?P<agency>\w+)$", N_("%(matter)s, to %(agency)s")),
    (r"^task \d+ (?P<matter>\w+): prerequisites approved$", N_("%(matter)s: its prerequisites are approved")),
    (rf"^task \d+ (?P<matter>\w+): (?P<materials>{CODES})$", N_("%(matter)s: %(materials)s")),
    (r"^task \d+ (?P<matter>\w+)$", N_("%(matter)s")),
]]


def reasons(text: str | None, table: list[tuple[re.Pattern, str]] | None = None, sep: str = "; ") -> list:
    """Each part of an engine's text (why a case is listed; a timeline entry's detail): the catalog's message
    with its values, or the engine's words where no pattern knows the part."""
    found: list[tuple[str, dict] | str] = []
    for part in (text or "").split(sep) if sep else [text or ""]:
        match = next(((m, p.search(part)) for p, m in (table or REASONS) if p.search(part)), None)
        found.append((match[0], match[1].groupdict()) if match else part)
    return [f for f in found if f]


def detail(text: str | None) -> list:
    """A timeline entry's detail, as `reasons` gives it."""
    return reasons(text, TIMELINE, sep="")


def explained(detail: str | None) -> tuple[str, dict] | None:
    """The catalog's message for an engine message, with its values; None when no pattern knows it."""
    for pattern, message in EXPLAINED if detail else ():
        found = pattern.search(detail)
        if found:
            return message, found.groupdict()
    return None
