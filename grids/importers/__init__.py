"""Files in and out of the registry: the shipped classification standards, unit grids (GeoJSON),
census components (csv, xlsx, GeoJSON) and their export. Each import is one transaction."""
