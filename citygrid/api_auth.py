"""The API's login and logout for the field apps, mounted at /api/auth/: a username and password
give a staff API token (shown this once) with its expiry; logout revokes the presented token,
logoutall every token of the person. Login attempts count towards django-axes' lock-out."""
from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from citygrid import services
from citygrid.auth import TokenAuthentication
from core.errors import ApplicationError


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of our token authentication (knox's, found by its subclass)."""

    target_class = "citygrid.auth.TokenAuthentication"
    name = "tokenAuth"


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class LoginUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    role = serializers.CharField()
    region = serializers.IntegerField(source="region_id", allow_null=True)
    department = serializers.IntegerField(source="department_id", allow_null=True)


class LoginOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Authorization: Token <token>; shown only this once")
    expiry = serializers.DateTimeField()
    user = LoginUserOutput()


class LoginApi(APIView):
    """POST username and password: a new API token for this device."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(request=LoginInput, responses={200: LoginOutput}, auth=[], operation_id="auth_login")
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes reads and marks Django's own request, not DRF's wrapper around it.
        http_request = request._request
        user = authenticate(http_request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(http_request, "axes_locked_out", False):
            # Answered here in the API's JSON shape; unmarked, AxesMiddleware would replace the
            # response with the HTML lock-out page.
            http_request.axes_locked_out = False
            raise ApplicationError(_("登录失败次数过多，账号已被暂时锁定，请稍后再试。"), status_code=429)
        if user is None:
            # 401, not a validation error's 400: the request was well formed, the credentials wrong.
            raise ApplicationError(_("用户名或密码不正确。"), status_code=401)
        token, raw = services.token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        body = LoginOutput({"token": raw, "expiry": token.expiry, "user": user}).data
        return Response(body, headers={"Cache-Control": "no-store"})


class LogoutApi(APIView):
    """POST with the token: the token stops working."""

    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request):
        services.token_revoke(token=request.auth)
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """POST with a token: every token of the person stops working (a lost phone)."""

    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout_all")
    def post(self, request):
        services.token_revoke_all(user=request.user)
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("login/", LoginApi.as_view(), name="api-login"),
    path("logout/", LogoutApi.as_view(), name="api-logout"),
    path("logoutall/", LogoutAllApi.as_view(), name="api-logout-all"),
]
