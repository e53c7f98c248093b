"""How request bodies are read: JSON with a nesting limit, uploads stopped at the first file over
MAX_UPLOAD_BYTES as they stream in, and Django's refusals of a body (too big, too many files or
fields) turned into the API's errors. The cap on a whole body is core.middleware's."""
import codecs
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

# No input of this project nests deeper than a list of objects in an object; 32 leaves room and
# stops a body of 100,000 brackets, which made the JSON decoder itself fail (RecursionError).
JSON_MAX_DEPTH = 32


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"


class UploadTooLarge(RequestDataTooBig):
    """A file of the request is over MAX_UPLOAD_BYTES: refused as it streams in, not once read."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def json_depth_exceeds(value, limit: int) -> bool:
    """True when `value` nests lists and objects deeper than `limit` (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit and messages in the user's language."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=parse_constant)
        except RecursionError:
            data, too_deep = None, True
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON 格式有误：%(error)s") % {"error": exc}) from None
        else:
            too_deep = json_depth_exceeds(data, JSON_MAX_DEPTH)
        if too_deep:
            raise exceptions.ParseError(_("JSON 嵌套过深（最多 %(limit)d 层）。") % {"limit": JSON_MAX_DEPTH})
        return data


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts each file's bytes as they arrive and stops the request
    at the first file over MAX_UPLOAD_BYTES, before the rest is read or stored."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_BYTES:
            raise UploadTooLarge(self.file_name or "")
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores the file


def megabytes(size: float) -> str:
    return f"{size / 2**20:.0f}"


def request_limit_error(exc: Exception) -> exceptions.APIException | None:
    """The API's error for Django's refusal of a request body, None for any other exception."""
    if isinstance(exc, UploadTooLarge):
        return PayloadTooLarge(_("文件“%(name)s”过大，上限为 %(limit)s MB。")
                               % {"name": exc.name, "limit": megabytes(settings.MAX_UPLOAD_BYTES)})
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(_("请求内容过大，上限为 %(limit)s MB。")
                               % {"limit": megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})
    if isinstance(exc, TooManyFilesSent):
        return PayloadTooLarge(_("一次最多上传 %(limit)d 个文件。") % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(_("请求的字段过多，上限为 %(limit)d 个。")
                                     % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})
    return None
