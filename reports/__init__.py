"""The daily report of the Dirección de Usuarios, generated from ClickHouse (Spanish text)."""
