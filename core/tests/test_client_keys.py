"""core.client_keys on the two kinds of key that use it: the Open311 clients' and the video
platforms'. The raw key is never stored; the digest finds it; last use is written once a minute."""
from datetime import timedelta

import pytest
from django.utils import timezone

from core.client_keys import key_digest, key_holder, key_set
from hotline.models import ApiKey
from video.models import VideoPlatform

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model, prefix", [(ApiKey, "cg_"), (VideoPlatform, "vp_")])
def test_a_key_is_kept_as_its_digest_and_found_by_it(model, prefix):
    row = model(name="客户端")
    raw = key_set(row, prefix=prefix)
    row.save()
    assert raw.startswith(prefix) and len(raw) > 40
    assert row.prefix == raw[:12] and row.key_hash == key_digest(raw) != raw
    assert key_holder(model.objects.all(), f"  {raw}\n") == row
    assert key_holder(model.objects.all(), raw + "x") is None
    assert key_holder(model.objects.all(), "") is None and key_holder(model.objects.all(), None) is None
    assert key_set(row, prefix=prefix) != raw, "each key is new"


def test_an_inactive_holder_is_not_found():
    row = VideoPlatform(name="停用平台", is_active=False)
    raw = key_set(row, prefix="vp_")
    row.save()
    assert key_holder(VideoPlatform.objects.all(), raw) is None


def test_last_use_is_written_at_most_once_a_minute():
    row = ApiKey(name="市民 App")
    raw = key_set(row, prefix="cg_")
    row.save()
    key_holder(ApiKey.objects.all(), raw)
    first = ApiKey.objects.get(pk=row.pk).last_used_at
    assert first is not None
    key_holder(ApiKey.objects.all(), raw)
    assert ApiKey.objects.get(pk=row.pk).last_used_at == first
    ApiKey.objects.filter(pk=row.pk).update(last_used_at=timezone.now() - timedelta(seconds=61))
    key_holder(ApiKey.objects.all(), raw)
    assert ApiKey.objects.get(pk=row.pk).last_used_at >= timezone.now() - timedelta(seconds=5)
