"""A large catalog is checked once, when it is loaded: `submit` and `decide` read it without checking it again."""

from __future__ import annotations

import yaml

from tests.support import approve_all, submit


def large_catalog_text(materials: int = 10_000, per_matter: int = 20) -> str:
    """The built-in catalog plus `materials` generated materials, `per_matter` to a matter, chained in tens."""
    from services.catalog import builtin_catalog_text

    document = yaml.safe_load(builtin_catalog_text())
    for i in range(materials // per_matter):
        document["matters"].append({
            "code": f"BULK_{i:04d}", "name": f"批量事项{i:04d}", "agency": "SAMR", "promised_days": 3,
            "statutory_days": 20, "depends_on": [] if i % 10 == 0 else [f"BULK_{i - 1:04d}"],
            "materials": [{"code": f"BULK_M{i:04d}_{j:02d}", "name": f"批量材料{i:04d}-{j:02d}"} for j in range(per_matter)],
        })
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def test_a_catalog_of_ten_thousand_materials_is_checked_at_load_and_trusted_after(fresh_env, run, application,
                                                                                  tmp_path, monkeypatch):
    import schemas.catalog
    import services.catalog

    path = tmp_path / "large.yaml"
    path.write_text(large_catalog_text(), "utf-8")
    loaded = run("catalog", "load", path, "--operator", "admin")
    assert loaded.code == 0 and "loaded" in loaded.out, loaded.err

    def refuse(*_args, **_kw):
        raise AssertionError("the catalog in force was checked again")

    monkeypatch.setattr(services.catalog, "_parsed", {})  # as in a new process: the stored version is read afresh
    monkeypatch.setattr(schemas.catalog, "build_catalog", refuse)
    filed = submit(run, application("COMPANY_START"))
    assert filed["status"] == "in_review"
    assert approve_all(run, filed["case_no"])["status"] == "issued"
    version, catalog = services.catalog._parsed.popitem()  # the version the case was filed under, built once
    assert len(catalog.material_names()) > 10_000 and version[1] >= 2  # not the built-in one
