-- Districts named outside Sedapal's table (schemas/catalogs/places.csv): alerts and relevant
-- cases name them. Loaded like every catalog table (clickhouse/catalog_tables.py).
CREATE TABLE IF NOT EXISTS atenciones.catalog_places
(code String, name String, province String)
ENGINE = MergeTree ORDER BY code;
