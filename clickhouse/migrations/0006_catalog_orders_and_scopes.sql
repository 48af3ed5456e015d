-- Catalog facts said once (schemas/catalogs/*.csv): the boards' case-type labels and the annual
-- order of case types, and which provider scopes are outside the utilities (EPS). The next
-- `atenciones migrate` reloads both tables from their CSV files.
ALTER TABLE atenciones.catalog_case_types
    ADD COLUMN IF NOT EXISTS board_name String DEFAULT '' AFTER annual_name,
    ADD COLUMN IF NOT EXISTS annual_order UInt16 DEFAULT 0 AFTER table_order;

ALTER TABLE atenciones.catalog_provider_scopes
    ADD COLUMN IF NOT EXISTS outside_eps String DEFAULT 'false';
