"""Event contracts (models + JSON Schema) and the reference catalogs, with their single loader."""
