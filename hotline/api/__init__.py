"""The hotline REST API (/api/hotline/)."""
