"""The error pages: 403, 404, 500 and a refused CSRF check, in the site's layout and the person's
language, with the reason where one is known and a way back; JSON in the API's own shape under
/api/ (DRF's) and /open311/ (Open311's list of errors)."""
import logging

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Shown when the page itself cannot be rendered (the database is down, a template fails): no
# template, no translation catalogue, no query.
BARE_500 = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>服务器错误 · Server error</title>'
    "<h1>服务器内部错误</h1><p>系统出现问题，已记录。请稍后重试；问题持续时请联系系统管理员。</p>"
    '<p lang="en">Server error. It has been logged; please try again later.</p>'
    '<p><a href="/">返回首页 · Home</a></p></html>'
)


def _api_error(request: HttpRequest, status: int, message: str) -> HttpResponse | None:
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": status, "description": message}], status=status, safe=False)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return None


def _reason(exception) -> str:
    """The exception's own message when it is one (ours are written for the person reading the
    page); not the URL resolver's dict of patterns tried."""
    message = exception.args[0] if exception is not None and exception.args else ""
    return message if isinstance(message, str) else ""


def _back_url(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    allowed = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                              require_https=request.is_secure())
    return referer if allowed and referer != request.build_absolute_uri() else ""


def _page(request: HttpRequest, status: int, heading: str, explanation: str, reason: str = "") -> HttpResponse:
    context = {"status": status, "heading": heading, "explanation": explanation, "reason": reason,
               "back_url": _back_url(request)}
    return render(request, "error.html", context, status=status)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    reason = _reason(exception)
    return _api_error(request, 403, reason or _("您没有执行该操作的权限。")) or _page(
        request, 403, _("无权访问"), _("您的账号没有访问此页面或执行此操作的权限。"), reason)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    reason = _reason(exception)
    return _api_error(request, 404, reason or _("未找到。")) or _page(
        request, 404, _("页面不存在"), _("您要找的页面不存在，或者您无权查看。请检查地址，或从首页重新进入。"), reason)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    # Our own BadRequest carries a message for the person; Django's SuspiciousOperation (a forged
    # Host header...) is for the log, not the page.
    reason = _reason(exception) if isinstance(exception, BadRequest) else ""
    return _api_error(request, 400, reason or _("请求无效。")) or _page(
        request, 400, _("请求无效"), _("服务器无法理解这个请求。请返回后重试。"), reason)


def server_error(request: HttpRequest) -> HttpResponse:
    api = _api_error(request, 500, _("服务器内部错误，已记录，请稍后重试。"))
    if api is not None:
        return api
    try:
        return _page(request, 500, _("服务器内部错误"), _("系统出现问题，已记录。请稍后重试；问题持续时请联系系统管理员。"))
    except Exception:  # the page must not fail in turn: the bare one
        logger.exception("the 500 page could not be rendered")
        return HttpResponse(BARE_500, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, which happens to people: a form left open past the session, a page
    opened before logging in elsewhere. Told in their language, with the way back."""
    return _api_error(request, 403, _("安全校验失败（CSRF），请刷新页面后重试。")) or _page(
        request, 403, _("页面已过期"),
        _("为保护您的账号，这次提交未被接受：页面可能已打开太久，或您已在别处重新登录。请返回上一页，刷新后再提交。"))
