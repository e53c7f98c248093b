"""Open311 service codes: the classes offered to the public as services (service_code =
edition-kind-code, e.g. "legacy4-event-0101"), and the way back from a code to the class."""
from django.db.models import QuerySet

from grids.models import MinorClass


def service_code(minor: MinorClass) -> str:
    return f"{minor.edition}-{minor.kind}-{minor.code}"


def services_active() -> QuerySet[MinorClass]:
    return MinorClass.objects.filter(is_active=True).select_related("major").order_by("edition", "kind", "code")


def minor_by_service_code(code: str) -> MinorClass | None:
    """The active class of a service code, or None for an unknown or malformed one."""
    parts = (code or "").strip().split("-")
    if len(parts) != 3:
        return None
    edition, kind, minor_code = parts
    return services_active().filter(edition=edition, kind=kind, code=minor_code).first()
