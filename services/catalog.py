"""Loading and reading the catalog (事项目录): all or nothing, every version kept."""

from __future__ import annotations

import gc
import hashlib
import json
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlmodel import Session, select

from approvals.catalog import Catalog, CatalogError
from approvals.errors import BadInput, Refused
from schemas.catalog import CatalogFile, CatalogVersion, catalog_from_document
from services import records as _records  # noqa: F401  (its commit hook writes the audit chains)
from services.db import raw

BUILTIN = "builtin"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: 5x faster on a large catalog


def builtin_catalog_text() -> str:
    return resources.files("approvals").joinpath("data/builtin_catalog.yaml").read_text("utf-8")


def parse_catalog_text(text: str) -> tuple[dict, Catalog]:
    """Parse and check a YAML catalog; raise CatalogError naming the offending key."""
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CatalogError(f"catalog is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(document, dict):
        raise CatalogError("catalog must be a mapping with agencies, matters and bundles")
    return parse_catalog_document(document)


def parse_catalog_document(document: dict) -> tuple[dict, Catalog]:
    """Check a catalog document (a YAML file's, an imported list's); return it as stored and the catalog."""
    with _no_collection():
        try:
            parsed = CatalogFile.model_validate(document)
        except ValidationError as exc:
            raise CatalogError(_first_error(document, exc)) from None
        document = parsed.model_dump(mode="json")
        return document, catalog_from_document(document)


def read_catalog_file(path: Path) -> str:
    """A catalog file: a regular file under the size limit (services.files)."""
    from services.files import read_text_file
    from services.settings import get_settings

    return read_text_file(path, "catalog", get_settings().max_file_bytes)


def load_catalog(session: Session, text: str | None = None, *, source: str, actor: str, now,
                 parsed: tuple[dict, Catalog] | None = None) -> tuple[CatalogVersion, bool]:
    """Store a new catalog version unless it equals the one in force. Returns (version, changed).

    The catalog is checked here, once (`parsed`: already checked by parse_catalog_text or
    parse_catalog_document; then `text` is not needed); a stored version is trusted from then on.
    """
    document, _ = parsed or parse_catalog_text(text)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    current = _current(session)
    if current is not None and current.digest == digest:
        return current, False
    session.info.setdefault("actor", actor)
    version = CatalogVersion(loaded_at=now, loaded_by=actor, source=source, digest=digest, document=document)
    session.add(version)
    session.flush()
    return version, True


CATALOG_IN_FORCE = "SELECT max(id) AS id FROM catalog_version"


def catalog_in_force(session: Session) -> tuple[int, Catalog]:
    found = raw(session).answer("catalog in force", CATALOG_IN_FORCE)  # the document is parsed once, below
    current = found[0]["id"] if found else None
    if current is None:
        raise Refused("no catalog is loaded: run `onevisit catalog load FILE` (or `onevisit init`)")
    return current, catalog_version(session, current)


_parsed: dict[tuple[str, int], Catalog] = {}


def catalog_version(session: Session, version_id: int) -> Catalog:
    """A stored catalog version as domain objects, parsed once per process and database.

    A stored version never changes (a new catalog is a new version), so after the first read the
    row is not loaded again: its JSON document was the largest read of every decision. It was
    checked whole when it was loaded, so its cross-references are not checked again here.
    """
    key = (session.get_bind().url.render_as_string(hide_password=False), version_id)
    if key not in _parsed:
        with _no_collection():
            row = session.get(CatalogVersion, version_id)
            if row is None:
                raise Refused(f"catalog version {version_id} is missing")
            _parsed[key] = catalog_from_document(row.document, checked=True)
    return _parsed[key]


@contextmanager
def _no_collection():
    """No garbage collection while a large catalog is read or checked: its JSON and domain objects are tens of
    thousands of new objects, and in a process with its modules loaded every full collection walks them
    all (most of what a 10,000-material catalog cost a `submit`). Nothing is lost: what is left for the
    collector waits for its next run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _current(session: Session) -> CatalogVersion | None:
    return session.exec(select(CatalogVersion).order_by(CatalogVersion.id.desc()).limit(1)).first()


def _first_error(document: dict, exc: ValidationError) -> str:
    """`matters.FOOD_BUSINESS.promised_days: Input should be ...`: the path with codes, not indexes."""
    error = exc.errors()[0]
    parts: list[str] = []
    node = document
    for loc in error["loc"]:
        if isinstance(loc, int) and isinstance(node, list) and loc < len(node):
            node = node[loc]
            code = node.get("code") or node.get("matter") if isinstance(node, dict) else None
            parts.append(str(code) if code else str(loc))
        else:
            parts.append(str(loc))
            node = node.get(loc) if isinstance(node, dict) else None
    return f"{'.'.join(parts)}: {error['msg']}"
