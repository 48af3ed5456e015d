-- The case subtypes that signal a service interruption or failure (schemas/catalogs/
-- case_subtypes.csv, column service_failure: water_supply, pressure, quality, sewage, break; ''
-- for the others): the live incident detector counts these. The next `atenciones migrate`
-- reloads the table from its CSV file.
ALTER TABLE atenciones.catalog_case_subtypes
    ADD COLUMN IF NOT EXISTS service_failure String DEFAULT '';
