"""The OpenAPI schema of the whole API generates, validates and raises no warning."""
from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text(encoding="utf-8")
    assert "/api/cases/{case_id}/actions/{action}/" in text
    assert "/open311/v2/requests.{response_format}" in text
