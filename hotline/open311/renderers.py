"""Open311's two formats. JSON is DRF's; XML follows the GeoReport v2 shapes: a root element
(services, service_requests, discovery, service_definition, errors) holding one element per item,
with nested lists (attributes, values, endpoints, formats) named after their items."""
import re
from xml.etree import ElementTree

from rest_framework.renderers import BaseRenderer, JSONRenderer

# A list under this key holds elements of this name.
LIST_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


class Open311JSONRenderer(JSONRenderer):
    format = "json"
    media_type = "application/json"
    charset = "utf-8"


# Characters XML 1.0 cannot carry (most control characters): an echoed parameter holding one
# would make the whole document unreadable, so they are dropped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ElementTree.Element, tag: str, value) -> None:
    element = ElementTree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS.get(tag, "item")
        for child in value:
            _append(element, item_tag, child)
    else:
        element.text = _text(value)


class Open311XMLRenderer(BaseRenderer):
    format = "xml"
    media_type = "text/xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        context = renderer_context or {}
        view, response = context.get("view"), context.get("response")
        if response is not None and response.status_code >= 400:
            root_tag, item_tag = "errors", "error"
        else:
            root_tag = getattr(view, "xml_root", "response")
            item_tag = getattr(view, "xml_item", None)
        root = ElementTree.Element(root_tag)
        if isinstance(data, list):
            for item in data:
                _append(root, item_tag or "item", item)
        elif isinstance(data, dict):
            for key, value in data.items():
                _append(root, key, value)
        body = ElementTree.tostring(root, encoding="unicode")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")
