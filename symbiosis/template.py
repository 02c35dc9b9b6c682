"""The empty input workbook, derived from the schema, with a sheet explaining every column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.schema import TABLES

TEMPLATE_NAME = "template.xlsx"


def column_guide() -> pd.DataFrame:
    """One row per input column: table, column, required, type, allowed values, description, example."""
    rows = [
        {
            "table": table,
            "column": col.name,
            "required": "yes" if col.required else "no",
            "type": col.type,
            "allowed values": ", ".join(col.choices),
            "description": col.description,
            "example": col.example,
        }
        for table, columns in TABLES.items()
        for col in columns
    ]
    return pd.DataFrame(rows)


def write_template(path: str | Path) -> Path:
    """Write the empty template workbook: sheets companies, listings, columns and materials."""
    path = Path(path)
    materials = read_dataset("materials.csv")[["material_id", "name", "dimension", "canonical_unit", "description"]]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for table, columns in TABLES.items():
            pd.DataFrame(columns=[c.name for c in columns]).to_excel(writer, sheet_name=table, index=False)
        column_guide().to_excel(writer, sheet_name="columns", index=False)
        materials.to_excel(writer, sheet_name="materials", index=False)
        for sheet in writer.sheets.values():
            for column_cells in sheet.columns:
                width = max(len(str(c.value or "")) for c in column_cells[:60])
                sheet.column_dimensions[column_cells[0].column_letter].width = min(max(12, width + 2), 80)
    return path
