"""Imports refuse workbooks and files over the size limits before parsing them, naming the limit."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pandas as pd

from service.files import kalundborg_paths
from service.settings import Settings
from tests.helpers import create_app_client, new_key

V1 = "/api/v1"


def _region_workbook() -> bytes:
    """The Kalundborg companies and listings as one workbook."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, path in kalundborg_paths().items():
        sheet = book.create_sheet(name)
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{ref}"/>'
          '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>company_id</t></is></c></row>{far}</sheetData>'
          '</worksheet>')


def _sparse_workbook() -> bytes:
    """A hand-written workbook of under 2 KB: sheets companies and listings, the first with one
    cell at XFD1048576, the last cell a sheet can have."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                      f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in (1, 2))
            + "</Types>"),
        "_rels/.rels": (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                        f'</Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                            f'<sheet name="companies" sheetId="1" r:id="rId1"/>'
                            f'<sheet name="listings" sheetId="2" r:id="rId2"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in (1, 2)) + "</Relationships>"),
        "xl/worksheets/sheet1.xml": _SHEET.format(
            ref="A1:XFD1048576", far='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'),
        "xl/worksheets/sheet2.xml": _SHEET.format(ref="A1", far=""),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_tiny_workbook_with_a_far_sparse_cell_is_refused_at_once(api):
    fac = api.key("facilitator")
    content = _sparse_workbook()
    assert len(content) < 2_000
    started = time.perf_counter()
    response = api.client.post(f"{V1}/imports", headers=fac, files={"workbook": ("sparse.xlsx", content)})
    elapsed = time.perf_counter() - started
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    reason = response.json()["errors"][0]["reason"]
    assert reason == ("declares 1,048,576 rows, more than the limit of 100,000 rows (SYMBIOSIS_IMPORT_MAX_ROWS)")
    assert response.json()["errors"][0]["table"] == "sparse.xlsx [companies]"
    assert elapsed < 2.0, elapsed  # refused from the declared size (0.5 s was exceeded once on a loaded 2-core machine)


def _stale_dimensions(book: bytes) -> bytes:
    """The workbook with every sheet's dimension record claiming three rows, whatever it holds."""
    import re

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:F3" />', data)
            target.writestr(item, data)
    return out.getvalue()


def test_a_workbook_whose_dimension_records_understate_its_rows_is_still_held_to_the_row_limit(database_url):
    with create_app_client(Settings(database_url=database_url, import_max_rows=20)) as (client, app):
        fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
        book = _stale_dimensions(_region_workbook())
        response = client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", book)})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["reason"].endswith(
            "rows, more than the limit of 20 rows (SYMBIOSIS_IMPORT_MAX_ROWS)")
        assert client.get(f"{V1}/companies", headers=fac).json()["count"] == 0
    with create_app_client(Settings(database_url=database_url)) as (client, app):
        fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
        response = client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", book)})
        assert response.status_code == 200 and response.json()["listings_created"] == 39  # every row read


def test_workbooks_and_csv_files_over_the_row_limit_are_refused_and_nothing_is_stored(database_url, tmp_path):
    with create_app_client(Settings(database_url=database_url, import_max_rows=20)) as (client, app):
        fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
        response = client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", _region_workbook())})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["reason"] == (
            "declares 40 rows, more than the limit of 20 rows (SYMBIOSIS_IMPORT_MAX_ROWS)")
        files = {name: (f"{name}.csv", path.read_bytes()) for name, path in kalundborg_paths().items()}
        response = client.post(f"{V1}/imports", headers=fac, files=files)
        assert response.status_code == 422
        assert response.json()["errors"][0]["reason"].endswith(
            "rows, more than the limit of 20 rows (SYMBIOSIS_IMPORT_MAX_ROWS)")
        assert client.get(f"{V1}/companies", headers=fac).json()["count"] == 0
    with create_app_client(Settings(database_url=database_url)) as (client, app):
        fac = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
        response = client.post(f"{V1}/imports", headers=fac, files={"workbook": ("region.xlsx", _region_workbook())})
        assert response.status_code == 200 and response.json()["listings_created"] == 39


def _csv(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


_COMPANY = {"company_id": "asnaes", "name": "Asnæs", "nace": "35.11", "lat": 55.66, "lon": 11.08,
            "municipality": "Kalundborg"}
_LISTING = {"listing_id": "asnaes-gypsum", "company_id": "asnaes", "kind": "offer", "material": "10 01 05",
            "quantity": 100, "unit": "t/yr"}


def test_an_import_refuses_what_the_api_could_not_store_or_show_and_stores_nothing(api):
    """Ids the API puts in web addresses, text longer than the service keeps and control
    characters are refused with file, row and column, as a company created through the API
    would be; nothing is stored, and the companies and listings stay readable."""
    fac = api.key("facilitator")
    companies = [_COMPANY, {**_COMPANY, "company_id": "a b", "name": "x" * 301},
                 {**_COMPANY, "company_id": "c/d", "municipality": "Kal\x01und"}]
    listings = [_LISTING, {**_LISTING, "listing_id": "l" * 101, "company_id": "a b"},
                {**_LISTING, "listing_id": "c-1", "company_id": "c/d", "description": "y" * 4001}]
    response = api.client.post(f"{V1}/imports", headers=fac, files={
        "companies": ("firms.csv", _csv(companies)), "listings": ("needs.csv", _csv(listings))})
    assert response.status_code == 422, response.text
    found = {(e["table"], e["row"], e["column"]) for e in response.json()["errors"]}
    assert found == {("firms.csv", 3, "company_id"), ("firms.csv", 3, "name"), ("firms.csv", 4, "company_id"),
                     ("firms.csv", 4, "municipality"), ("needs.csv", 3, "listing_id"),
                     ("needs.csv", 3, "company_id"), ("needs.csv", 4, "company_id"), ("needs.csv", 4, "description")}
    reasons = {(e["row"], e["column"]): e["reason"] for e in response.json()["errors"] if e["table"] == "firms.csv"}
    assert "web addresses" in reasons[(3, "company_id")]
    assert reasons[(3, "name")] == "is 301 characters long; the service stores at most 300 in name"
    assert "control character" in reasons[(4, "municipality")]
    for path in ("companies", "listings"):
        listed = api.client.get(f"{V1}/{path}", headers=fac)
        assert listed.status_code == 200 and listed.json()["data"] == [], listed.text
    good = api.client.post(f"{V1}/imports", headers=fac, files={
        "companies": ("firms.csv", _csv([_COMPANY])), "listings": ("needs.csv", _csv([_LISTING]))})
    assert good.status_code == 200, good.text
    assert [c["company_id"] for c in api.client.get(f"{V1}/companies", headers=fac).json()["data"]] == ["asnaes"]
