"""Request and response schemas, one module per resource: Create / Update / Public / ...sPublic families.

The company and listing fields are derived from the input contract in :mod:`symbiosis.schema`,
so the API, the spreadsheet template and the README describe the same columns. Routes import from
the module of their resource (``service.api.schemas.companies`` ...); shared types are in ``common``.
"""
