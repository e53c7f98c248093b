"""The class picker's json_script in UTF-8: Django's json_script escapes every Chinese character
to \\uXXXX, which doubled the embedded rows (293 KB instead of about 150 KB for 542 classes)."""
from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import json_script

register = template.Library()


class _Utf8JSONEncoder(DjangoJSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False  # json_script still escapes <, > and & for the script element
        super().__init__(*args, **kwargs)


@register.filter
def class_picker_json(data, element_id: str):
    return json_script(data, element_id, encoder=_Utf8JSONEncoder)
