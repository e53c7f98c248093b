"""The logs and records the services alone write are read-only in the admin, whichever app shows
them: the page lists them, and adding, changing or deleting one is refused even to a superuser."""
import pytest
from django.contrib import admin

from core.admin import ReadOnlyAdmin
from grids.models import ComponentHistory
from rewards.models import Citizen, RewardEntry, RewardPayout
from supervision.models import Letter, LetterSequence, Review
from surveys.models import SurveyFinding
from video.models import VideoEvent

READ_ONLY_MODELS = [ComponentHistory, Citizen, RewardEntry, RewardPayout, Letter, LetterSequence, Review,
                    SurveyFinding, VideoEvent]


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda model: model._meta.label)
def test_admin_lists_the_rows_and_refuses_to_add_one(admin_client, model):
    assert isinstance(admin.site._registry[model], ReadOnlyAdmin)
    opts = model._meta
    assert admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == 200
    assert admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/add/").status_code == 403


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda model: model._meta.label)
def test_no_one_may_change_or_delete_a_row(rf, admin_user, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
