"""Keys that outside systems present (the Open311 clients', the video platforms'): made with a
visible prefix, shown once, kept only as a digest, found by it, and marked used."""
import hashlib
import secrets

from django.db import models
from django.utils import timezone

# How often a key's last_used_at is written: at most once a minute, not on every request.
LAST_USED_EVERY_SECONDS = 60


def key_digest(raw: str) -> str:
    # 256 random bits: a plain SHA-256 is enough (no slow hash needed) and lets the key be found
    # by its digest on a unique index.
    return hashlib.sha256(raw.encode()).hexdigest()


def key_set(row: models.Model, *, prefix: str) -> str:
    """Give `row` (its `prefix` and `key_hash` fields) a fresh key, unsaved; returns the raw key,
    which is not stored and cannot be shown again."""
    raw = prefix + secrets.token_urlsafe(32)
    row.prefix, row.key_hash = raw[:12], key_digest(raw)
    return raw


def key_holder(queryset: models.QuerySet, raw: str):
    """The active row of `queryset` holding the key `raw`, or None; marks it used."""
    raw = (raw or "").strip()
    if not raw:
        return None
    row = queryset.filter(key_hash=key_digest(raw), is_active=True).first()
    if row is not None:
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
            type(row)._default_manager.filter(pk=row.pk).update(last_used_at=now)
    return row
