"""Shapes of Open311 GeoReport v2 documents, for the API schema only (the views build plain dicts
that the JSON and XML renderers write)."""
from rest_framework import serializers


class EndpointDoc(serializers.Serializer):
    specification = serializers.CharField()
    url = serializers.CharField()
    changeset = serializers.CharField()
    type = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())


class DiscoveryDoc(serializers.Serializer):
    changeset = serializers.CharField()
    contact = serializers.CharField()
    key_service = serializers.CharField()
    endpoints = EndpointDoc(many=True)


class ServiceDoc(serializers.Serializer):
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.BooleanField()
    type = serializers.CharField()
    keywords = serializers.CharField()
    group = serializers.CharField()


class AttributeDoc(serializers.Serializer):
    variable = serializers.BooleanField()
    code = serializers.CharField()
    datatype = serializers.CharField()
    required = serializers.BooleanField()
    datatype_description = serializers.CharField()
    order = serializers.IntegerField()
    description = serializers.CharField()


class ServiceDefinitionDoc(serializers.Serializer):
    service_code = serializers.CharField()
    attributes = AttributeDoc(many=True)


class RequestDoc(serializers.Serializer):
    service_request_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField()
    service_name = serializers.CharField()
    service_code = serializers.CharField()
    description = serializers.CharField()
    agency_responsible = serializers.CharField()
    service_notice = serializers.CharField()
    requested_datetime = serializers.CharField()
    updated_datetime = serializers.CharField()
    expected_datetime = serializers.CharField(allow_null=True)
    address = serializers.CharField()
    address_id = serializers.CharField()
    zipcode = serializers.CharField()
    lat = serializers.FloatField()
    long = serializers.FloatField()
    media_url = serializers.CharField()


class RequestPostDoc(serializers.Serializer):
    api_key = serializers.CharField()
    service_code = serializers.CharField()
    lat = serializers.FloatField()
    long = serializers.FloatField()
    address_string = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    first_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    device_id = serializers.CharField(required=False)
    account_id = serializers.CharField(required=False)
    media = serializers.FileField(required=False)


class RequestCreatedDoc(serializers.Serializer):
    service_request_id = serializers.CharField()
    token = serializers.CharField()
    service_notice = serializers.CharField()
    account_id = serializers.CharField(allow_null=True)


class TokenDoc(serializers.Serializer):
    service_request_id = serializers.CharField()
    token = serializers.CharField()
