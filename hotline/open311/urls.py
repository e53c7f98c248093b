"""URLs of Open311 GeoReport v2 (/open311/v2/…); every endpoint ends in .json or .xml. The
discovery document is also at /open311/discovery.{json,xml}."""
from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311format")

app_name = "open311"

urlpatterns = [
    path("discovery.<open311format:response_format>", views.DiscoveryRootApi.as_view(), name="discovery-root"),
    path("v2/discovery.<open311format:response_format>", views.DiscoveryApi.as_view(), name="discovery"),
    path("v2/services.<open311format:response_format>", views.ServiceListApi.as_view(), name="services"),
    path("v2/services/<str:service_code>.<open311format:response_format>", views.ServiceDefinitionApi.as_view(),
         name="service-definition"),
    path("v2/requests.<open311format:response_format>", views.RequestsApi.as_view(), name="requests"),
    path("v2/requests/<str:service_request_id>.<open311format:response_format>", views.RequestDetailApi.as_view(),
         name="request-detail"),
    path("v2/tokens/<str:token>.<open311format:response_format>", views.TokenApi.as_view(), name="token"),
]
