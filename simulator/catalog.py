"""A catalog whose agencies review in their own systems (the simulator's), and whose licences are shared."""

from __future__ import annotations

import yaml

SHARED = {"SHAREHOLDER_ID": "licence_registry"}  # 股东主体资格证明: the shareholder's licence, held by the registry


def agency_codes(catalog_text: str) -> list[str]:
    return [a["code"] for a in yaml.safe_load(catalog_text)["agencies"]]


def remote_catalog(catalog_text: str, base_url: str, *, agencies: list[str] | None = None,
                   shared: dict[str, str] | None = None) -> str:
    """`catalog_text` with `endpoint: {base_url}/agencies/{CODE}` on each agency (all, or those named)
    and `shared_from` on the materials named in `shared` (default: SHARED)."""
    document = yaml.safe_load(catalog_text)
    for agency in document["agencies"]:
        if agencies is None or agency["code"] in agencies:
            agency["endpoint"] = f"{base_url.rstrip('/')}/agencies/{agency['code']}"
    shared = SHARED if shared is None else shared
    for matter in document["matters"]:
        for material in matter.get("materials", []):
            if material["code"] in shared:
                material["shared_from"] = shared[material["code"]]
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def sharing_url(base_url: str, service: str) -> str:
    return f"{base_url.rstrip('/')}/sharing/{service}"


def gateway_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/gateway"
