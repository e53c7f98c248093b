"""The class picker's JSON (GET /classes.json): the same rows the pages embed, matched and ordered
on the server (cases.selectors.class_picker), for a client that does not hold all the classes."""
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grids.models import Edition

from .selectors.class_picker import (
    can_pick_classes,
    class_rows,
    class_search,
    classes_most_used,
    edition_active,
)

RESULTS_MAX = 50
QUERY_MAX = 50


@require_GET
def classes_json(request: HttpRequest) -> JsonResponse:
    """?q= what was typed (code, name, pinyin initials or full pinyin), ?edition= (default: the
    active one), ?other=1 to include the other edition. The desk's roles only."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": _("请先登录。")}, status=401)
    if not can_pick_classes(user):
        return JsonResponse({"detail": _("您的角色不能选择案件分类。")}, status=403)
    query = request.GET.get("q", "")
    edition = request.GET.get("edition") or edition_active()
    other = request.GET.get("other", "0")
    if len(query) > QUERY_MAX:
        return JsonResponse({"detail": _("查询内容最长 %(n)d 个字。") % {"n": QUERY_MAX}}, status=400)
    if edition not in Edition.values:
        return JsonResponse({"detail": _("未知的标准版本“%(edition)s”：应为 %(choices)s")
                             % {"edition": edition, "choices": "、".join(Edition.values)}}, status=400)
    if other not in ("0", "1"):
        return JsonResponse({"detail": _("参数 other 应为 0 或 1。")}, status=400)
    most_used = classes_most_used(user)
    rows = class_rows(editions=None if other == "1" else [edition])
    found = class_search(rows, query, edition=edition, other_editions=other == "1", most_used=most_used)
    return JsonResponse({"edition": edition, "count": len(found), "mostUsed": most_used,
                         "results": found[:RESULTS_MAX]}, json_dumps_params={"ensure_ascii": False})
