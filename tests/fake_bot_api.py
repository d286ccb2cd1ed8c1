"""A fake Telegram Bot API server (emulator) for end-to-end tests.

The emulator speaks the real Bot API wire protocol over HTTP on a free
``127.0.0.1`` port, so an unmodified python-telegram-bot ``Application`` can
long-poll it::

    with FakeBotApi() as fake:
        app = (
            Application.builder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        ...  # start polling, then drive the bot from the test:
        fake.send_message(chat_id=42, text="/start")
        [reply] = fake.wait_for_messages(42, 1)      # from a sync thread, or
        await fake.wait_for_messages_async(42, 1)      # inside the event loop

Only the standard library is used.  Every request is handled on its own daemon
thread; all shared state is guarded by one lock/condition, so the test-side
helpers are thread-safe.

Deliberate strictness (stricter than Telegram, to catch bot bugs early):

* With ``parse_mode="HTML"`` a bare ``&`` that does not start a supported
  entity is rejected (Telegram would show it literally).  Pass
  ``strict_entities=False`` to get Telegram's lenient behaviour.
* Sending to a chat the emulator has never seen answers
  ``400 Bad Request: chat not found``; use :meth:`FakeBotApi.add_chat` for
  chats the bot messages first.

Things bot tests should know:

* Never call the blocking ``wait_for_*`` helpers on the event loop that runs
  the bot; use the ``*_async`` variants there (or drive the bot from a thread).
* ``messages_for(chat)["text"]`` is the text exactly as the bot sent it (HTML
  included); ``["plain_text"]`` is what a user would see.
* ``requests`` logs every call that reached the server, including calls that
  were answered by an injected fault (a retried send appears twice).
* Editing a message's text without ``reply_markup`` removes its inline
  keyboard, and an identical edit answers "message is not modified", as in
  Telegram.
* After :meth:`FakeBotApi.pause` python-telegram-bot's updater retries with an
  exponential back-off (up to 30 s), so keep pauses short in tests.
* Message ids are per chat and shared by user and bot messages; dates are Unix
  seconds.  Only inline keyboards are echoed in returned Message objects.

The bot token is never logged or printed (request logging is disabled).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.message
import email.utils
import json
import re
import secrets
import socket
import string
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import HeaderParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Final, Literal, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

JsonDict = dict[str, Any]
ChatKey = int | str
PauseMode = Literal["refuse", "bad_gateway"]
T = TypeVar("T")
ApiMethod = Callable[[JsonDict, "dict[str, UploadedFile]"], Any]

# --------------------------------------------------------------------------- #
# Constants
# --------------------------------------------------------------------------- #

LOOPBACK_HOST: Final = "127.0.0.1"
DEFAULT_BOT_ID: Final = 7_000_000_001
DEFAULT_BOT_USERNAME: Final = "summitbot_test_bot"
DEFAULT_BOT_FIRST_NAME: Final = "SummitBot"
DEFAULT_USER_ID: Final = 1001
DEFAULT_USER_FIRST_NAME: Final = "Tester"
FIRST_UPDATE_ID: Final = 100_000
TOKEN_SECRET_BYTES: Final = 26

MAX_MESSAGE_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_UPDATES_LIMIT: Final = 100
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION_LENGTH: Final = 256
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024
MAX_REQUEST_BYTES: Final = 50 * 1024 * 1024
MAX_NUMERIC_ENTITY_DIGITS: Final = 8
MAX_CODE_POINT: Final = 0x10FFFF

DEFAULT_WAIT_TIMEOUT: Final = 5.0
STOP_JOIN_TIMEOUT: Final = 2.0
HANDLER_IDLE_TIMEOUT: Final = 30.0
SERVE_POLL_INTERVAL: Final = 0.05

#: ``fail_next(method, DROP_CONNECTION)`` closes the connection without reply.
DROP_CONNECTION: Final = 0
#: Pseudo method name used for fault injection / logging of file downloads.
FILE_DOWNLOAD_METHOD: Final = "downloadFile"
ANY_METHOD: Final = "*"

CANT_PARSE_ENTITIES: Final = "Bad Request: can't parse entities: "
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

STATUS_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}

CHAT_TYPES: Final = frozenset({"private", "group", "supergroup"})
CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
#: Form fields that are plain strings; every other form field is JSON-decoded
#: (python-telegram-bot JSON-encodes non-string values in form bodies).
STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "action",
        "file_id",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "emoji",
        "secret_token",
        "ip_address",
        "document",
        "photo",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
    }
)

_API_PATH_RE: Final = re.compile(r"/bot(?P<token>[^/]*)/(?P<method>[^/]*)")
_FILE_PATH_RE: Final = re.compile(r"/file/bot(?P<token>[^/]*)/(?P<path>.+)")
_VALID_METHOD_RE: Final = re.compile(r"[A-Za-z]+")
_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE: Final = re.compile(
    r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])"
)
_MENTION_RE: Final = re.compile(r"(?<![\w/@])@[A-Za-z0-9_]{5,32}(?![\w@])")
_URL_RE: Final = re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")
_PLAIN_RUN_RE: Final = re.compile(r"[^&<]+")
_ATTRIBUTE_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #


class ApiError(Exception):
    """An error answer of the Bot API (``ok: false``)."""

    def __init__(self, status: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JsonDict:
        """Return the JSON body Telegram would send for this error."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class HtmlParseError(ValueError):
    """Raised by :func:`parse_html`; the message mimics Telegram's reason text."""


class _DropConnectionError(Exception):
    """Close the client connection without sending any response."""


# --------------------------------------------------------------------------- #
# Text helpers: UTF-16 offsets, HTML parsing, entity detection
# --------------------------------------------------------------------------- #


async def _in_own_thread(wait: Callable[..., T], *args: Any) -> T:
    """Run a blocking wait in a thread of its own and await it.

    Not ``asyncio.to_thread``: many waits at once would fill the loop's default executor
    (a handful of threads on a small machine), the same one the bot under test runs its
    engine in, and the bot could never answer what the waits wait for.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is waiting any more
            loop.call_soon_threadsafe(outcome)

    def run() -> None:
        try:
            result = wait(*args)
        except BaseException as exc:  # handed to the awaiting coroutine
            settle(lambda: done.done() or done.set_exception(exc))
        else:
            settle(lambda: done.done() or done.set_result(result))

    threading.Thread(target=run, name="fake-bot-api-wait", daemon=True).start()
    return await done


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at ``text[pos] == '&'``.

    Returns ``(character, end_position)`` or ``None`` if it is not one of the
    entities Telegram supports (``&lt; &gt; &amp; &quot;`` and numeric ones).
    Like Telegram, the trailing semicolon is optional.
    """
    named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
    end = len(text)
    i = pos + 1
    if i < end and text[i] == "#":
        i += 1
        digits, base = string.digits, 10
        if i < end and text[i] in "xX":
            digits, base, i = string.hexdigits, 16, i + 1
        start = i
        while i < end and text[i] in digits:
            i += 1
        if i == start or i - start > MAX_NUMERIC_ENTITY_DIGITS:
            return None
        code = int(text[start:i], base)
        if code == 0 or code > MAX_CODE_POINT or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = i
        while i < end and text[i].isascii() and text[i].isalpha():
            i += 1
        found = named.get(text[start:i])
        if found is None:
            return None
        char = found
    if i < end and text[i] == ";":
        i += 1
    return char, i


_TAG_ENTITY_TYPES: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_LANGUAGE_CLASS_PREFIX: Final = "language-"


@dataclass
class _OpenTag:
    name: str
    offset: int
    attributes: dict[str, str]
    byte_offset: int


class _HtmlParser:
    """A re-implementation of Telegram's (tdlib's) strict HTML subset parser."""

    def __init__(self, text: str, strict_entities: bool) -> None:
        self._text = text
        self._strict = strict_entities
        self._pos = 0
        self._chunks: list[str] = []
        self._offset = 0
        self._open: list[_OpenTag] = []
        self._entities: list[JsonDict] = []

    def parse(self) -> tuple[str, list[JsonDict]]:
        text = self._text
        while self._pos < len(text):
            if text[self._pos] == "&":
                self._consume_entity()
            elif text.startswith("</", self._pos):
                self._consume_end_tag()
            elif text[self._pos] == "<":
                self._consume_start_tag()
            else:
                run = _PLAIN_RUN_RE.match(text, self._pos)
                assert run is not None
                self._emit(run.group())
                self._pos = run.end()
        if self._open:
            name = self._open[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self._entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self._chunks), self._entities

    def _byte_offset(self, pos: int) -> int:
        return len(self._text[:pos].encode("utf-8", "surrogatepass"))

    def _emit(self, chunk: str) -> None:
        self._chunks.append(chunk)
        self._offset += utf16_len(chunk)

    def _consume_entity(self) -> None:
        decoded = decode_html_entity(self._text, self._pos)
        if decoded is not None:
            self._emit(decoded[0])
            self._pos = decoded[1]
            return
        if self._strict:
            raise HtmlParseError(
                f"Unsupported HTML entity at byte offset {self._byte_offset(self._pos)}"
                ' (the emulator requires "&" to be escaped as "&amp;")'
            )
        self._emit("&")
        self._pos += 1

    def _consume_start_tag(self) -> None:
        text, begin = self._text, self._pos
        i = begin + 1
        while i < len(text) and not text[i].isspace() and text[i] != ">":
            i += 1
        if i >= len(text):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        name = text[begin + 1 : i].lower()
        if name not in _TAG_ENTITY_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}'
            )
        attributes, self._pos = self._parse_attributes(i, name, begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self._open.append(_OpenTag(name, self._offset, attributes, self._byte_offset(begin)))

    def _parse_attributes(self, pos: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
        text = self._text
        attributes: dict[str, str] = {}
        unclosed = f"Unclosed start tag at byte offset {self._byte_offset(begin)}"
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                raise HtmlParseError(unclosed)
            if text[pos] == ">":
                return attributes, pos + 1
            match = _ATTRIBUTE_NAME_RE.match(text, pos)
            if match is None:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self._byte_offset(pos)}"
                )
            attribute, pos = match.group().lower(), match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
            value = ""
            if pos < len(text) and text[pos] == "=":
                value, pos = self._parse_attribute_value(pos + 1, unclosed)
            attributes.setdefault(attribute, value)

    def _parse_attribute_value(self, pos: int, unclosed: str) -> tuple[str, int]:
        text = self._text
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            raise HtmlParseError(unclosed)
        if text[pos] in "'\"":
            end = text.find(text[pos], pos + 1)
            if end == -1:
                raise HtmlParseError(unclosed)
            return _decode_attribute(text[pos + 1 : end]), end + 1
        end = pos
        while end < len(text) and not text[end].isspace() and text[end] != ">":
            end += 1
        return _decode_attribute(text[pos:end]), end

    def _consume_end_tag(self) -> None:
        begin = self._pos
        close = self._text.find(">", begin + 2)
        if close == -1:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        name = self._text[begin + 2 : close].strip().lower()
        if not self._open:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        tag = self._open[-1]
        if name != tag.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self._open.pop()
        self._pos = close + 1
        self._close_entity(tag)

    def _close_entity(self, tag: _OpenTag) -> None:
        length = self._offset - tag.offset
        language = tag.attributes.get("class", "")
        if tag.name == "code" and language.startswith(_LANGUAGE_CLASS_PREFIX):
            parent = self._open[-1] if self._open else None
            if parent is not None and parent.name == "pre":
                parent.attributes["language"] = language.removeprefix(_LANGUAGE_CLASS_PREFIX)
                return
        if length <= 0:
            return
        entity: JsonDict = {
            "type": _TAG_ENTITY_TYPES[tag.name],
            "offset": tag.offset,
            "length": length,
        }
        if tag.name == "a":
            href = tag.attributes.get("href", "")
            entity = (
                {**entity, "type": "text_link", "url": href} if href else {**entity, "type": "url"}
            )
        elif tag.name == "pre" and tag.attributes.get("language"):
            entity["language"] = tag.attributes["language"]
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        self._entities.append(entity)


def _decode_attribute(raw: str) -> str:
    """Decode entities inside an attribute value (leniently, like Telegram)."""
    return _HtmlParser(raw, strict_entities=False).parse()[0] if "&" in raw else raw


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-HTML into ``(plain_text, entities)``.

    Raises :class:`HtmlParseError` for unsupported/unbalanced tags and, when
    ``strict_entities`` is true, for ``&`` not starting a supported entity.
    The result is not whitespace-stripped (see :func:`strip_message_text`).
    """
    return _HtmlParser(text, strict_entities).parse()


def strip_message_text(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Strip surrounding whitespace like Telegram and shift entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def detect_entities(text: str) -> list[JsonDict]:
    """Compute the ``bot_command``, ``mention`` and ``url`` entities Telegram would add."""
    entities: list[JsonDict] = []
    for kind, pattern in (("url", _URL_RE), ("bot_command", _BOT_COMMAND_RE), ("mention", _MENTION_RE)):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    return sorted(entities, key=lambda entity: entity["offset"])


# --------------------------------------------------------------------------- #
# Request decoding
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    field: str
    filename: str
    content: bytes
    mime_type: str


def _decode_form_value(name: str, raw: str) -> Any:
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _header_param(message: email.message.Message, param: str, header: str) -> str | None:
    value = message.get_param(param, header=header)
    if value is None:
        return None
    return email.utils.collapse_rfc2231_value(value)


def _parse_multipart(body: bytes, boundary: str) -> tuple[JsonDict, dict[str, UploadedFile]]:
    if not boundary:
        raise ValueError("multipart body without boundary")
    fields: JsonDict = {}
    files: dict[str, UploadedFile] = {}
    for raw_part in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if raw_part.startswith(b"--"):
            break
        part = raw_part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("malformed multipart part")
        headers = HeaderParser().parsestr(head.decode("utf-8", "replace"))
        name = _header_param(headers, "name", "content-disposition") or ""
        filename = _header_param(headers, "filename", "content-disposition")
        if filename is None:
            fields[name] = _decode_form_value(name, content.decode("utf-8"))
        else:
            files[name] = UploadedFile(name, filename, content, headers.get_content_type())
    return fields, files


def decode_request(
    content_type: str, body: bytes, query: str = ""
) -> tuple[JsonDict, dict[str, UploadedFile]]:
    """Decode query string plus a JSON, url-encoded or multipart body into params."""
    params: JsonDict = {
        key: _decode_form_value(key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
    }
    if not body:
        return params, {}
    header = email.message.Message()
    header["content-type"] = content_type or "application/octet-stream"
    mime = header.get_content_type()
    files: dict[str, UploadedFile] = {}
    if mime == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif mime == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        params.update({key: _decode_form_value(key, value) for key, value in pairs})
    elif mime == "multipart/form-data":
        fields, files = _parse_multipart(
            body, _header_param(header, "boundary", "content-type") or ""
        )
        params.update(fields)
    else:
        raise ValueError(f"unsupported content type {mime!r}")
    return params, files


def _chat_key(chat_id: Any) -> ChatKey:
    """Normalise a chat id (``123``, ``"123"``, ``"@channel"``) for lookups."""
    if isinstance(chat_id, bool):
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    if not text:
        raise ApiError(400, "Bad Request: chat_id is empty")
    return int(text) if text.lstrip("-").isdigit() else text


def _int_param(params: JsonDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: wrong parameter {name} in request") from None


# --------------------------------------------------------------------------- #
# Internal records
# --------------------------------------------------------------------------- #


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    content: bytes

    def document(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def file_object(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class _Fault:
    method: str
    status: int
    retry_after: int | None
    remaining: int
    description: str | None

    def error(self) -> ApiError:
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = self.retry_after or 1
            description = self.description or f"Too Many Requests: retry after {retry_after}"
            return ApiError(self.status, description, {"retry_after": retry_after})
        default = STATUS_DESCRIPTIONS.get(self.status, f"Error {self.status}")
        return ApiError(self.status, self.description or default)


def _inline_keyboard(markup: JsonDict | None) -> list[list[JsonDict]] | None:
    keyboard = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return keyboard if isinstance(keyboard, list) else None


def _validate_reply_markup(markup: Any) -> JsonDict | None:
    """Check a reply_markup parameter the way Telegram does (subset)."""
    if markup is None or markup == "":
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            markup = None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in _inline_keyboard(markup) or []:
        for button in row:
            if not button.get("text") or not INLINE_BUTTON_ACTIONS & button.keys():
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


# --------------------------------------------------------------------------- #
# HTTP layer
# --------------------------------------------------------------------------- #


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_IDLE_TIMEOUT
    # Headers and body go out in two writes; with Nagle on, each response waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.api._register_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.api._unregister_connection(self.connection)

    def do_POST(self) -> None:
        self.server.api._serve(self)

    do_GET = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Disabled: request lines contain the bot token."""


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, api: FakeBotApi) -> None:
        self.api = api
        super().__init__((LOOPBACK_HOST, port), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Swallow disconnects; record anything else without printing it."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.api._record_internal_error("http", error)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    length = handler.headers.get("Content-Length")
    if length is not None:
        size = int(length)
        if size > MAX_REQUEST_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return handler.rfile.read(size)
    if "chunked" not in handler.headers.get("Transfer-Encoding", "").lower():
        return b""
    chunks: list[bytes] = []
    while True:
        size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            handler.rfile.readline()
            return b"".join(chunks)
        chunks.append(handler.rfile.read(size))
        handler.rfile.readline()


def _write_response(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def _write_json(handler: BaseHTTPRequestHandler, status: int, payload: JsonDict) -> None:
    _write_response(handler, status, json.dumps(payload).encode(), "application/json")


def _drop(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    _shutdown_socket(handler.connection)


# --------------------------------------------------------------------------- #
# The emulator
# --------------------------------------------------------------------------- #


class FakeBotApi:
    """An in-process fake of the Telegram Bot API for end-to-end tests."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = DEFAULT_BOT_ID,
        username: str = DEFAULT_BOT_USERNAME,
        first_name: str = DEFAULT_BOT_FIRST_NAME,
        strict_entities: bool = True,
    ) -> None:
        self.token: str = token or f"{bot_id}:{secrets.token_urlsafe(TOKEN_SECRET_BYTES)}"
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.strict_entities = strict_entities
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: _HttpServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._port = 0
        self._started = False
        self._stopping = False
        self._paused = False
        self._pause_mode: PauseMode = "refuse"
        self._connections: set[socket.socket] = set()
        self._active_handlers = 0
        self._updates: list[JsonDict] = []
        self._next_update_id = FIRST_UPDATE_ID
        self._poll_generation = 0
        self._allowed_updates: list[str] | None = None
        self._webhook_url = ""
        self._chats: dict[ChatKey, JsonDict] = {}
        self._users: dict[int, JsonDict] = {}
        self._blocked: set[ChatKey] = set()
        self._last_message_id: dict[ChatKey, int] = {}
        self._user_messages: dict[tuple[ChatKey, int], JsonDict] = {}
        self._bot_messages: dict[ChatKey, list[JsonDict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._requests: list[tuple[str, JsonDict]] = []
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._last_commands: list[JsonDict] = []
        self._open_queries: dict[str, JsonDict] = {}
        self._callback_answers: list[JsonDict] = []
        self._faults: list[_Fault] = []
        self._delays: dict[str, float] = {}
        self._stubs: dict[str, Any] = {}
        self._internal_errors: list[str] = []
        self._counter = 0
        self._methods: dict[str, ApiMethod] = {
            name.lower(): method
            for name, method in {
                "getMe": self._api_get_me,
                "getUpdates": self._api_get_updates,
                "setWebhook": self._api_set_webhook,
                "deleteWebhook": self._api_delete_webhook,
                "getWebhookInfo": self._api_get_webhook_info,
                "setMyCommands": self._api_set_my_commands,
                "getMyCommands": self._api_get_my_commands,
                "deleteMyCommands": self._api_delete_my_commands,
                "sendMessage": self._api_send_message,
                "editMessageText": self._api_edit_message_text,
                "editMessageReplyMarkup": self._api_edit_message_reply_markup,
                "deleteMessage": self._api_delete_message,
                "answerCallbackQuery": self._api_answer_callback_query,
                "sendChatAction": self._api_send_chat_action,
                "sendDocument": self._api_send_document,
                "getFile": self._api_get_file,
                "close": self._api_true,
                "logOut": self._api_true,
            }.items()
        }

    def __repr__(self) -> str:  # never include the token
        return f"<FakeBotApi {LOOPBACK_HOST}:{self._port} started={self._started}>"

    # ----------------------------------------------------------- lifecycle

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FakeBotApi:
        """Bind a free loopback port and start serving; returns ``self``."""
        with self._lock:
            if self._started:
                raise RuntimeError("FakeBotApi already started")
            self._started = True
        self._open_listener(0)
        return self

    def stop(self) -> None:
        """Stop serving, drop all connections and wait for handler threads."""
        with self._cond:
            if self._stopping or not self._started:
                self._stopping = True
                return
            self._stopping = True
            self._cond.notify_all()
        self._close_listener()
        self._close_connections()
        with self._cond:
            self._cond.wait_for(lambda: self._active_handlers == 0, timeout=STOP_JOIN_TIMEOUT)

    def pause(self, mode: PauseMode = "refuse") -> None:
        """Simulate the API going away until :meth:`resume`.

        ``"refuse"`` closes the listening socket and all connections (clients get
        connection errors); ``"bad_gateway"`` keeps listening but answers 502.
        In-flight long polls are dropped without a response in both modes.
        """
        with self._cond:
            self._paused, self._pause_mode = True, mode
            self._cond.notify_all()
        if mode == "refuse":
            self._close_listener()
            self._close_connections()

    def resume(self) -> None:
        """Undo :meth:`pause`; the server listens on the same port again."""
        with self._cond:
            if not self._paused:
                return
            self._paused = False
            reopen = self._server is None and self._started and not self._stopping
        if reopen:
            self._open_listener(self._port)

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (the token is appended)."""
        return f"http://{LOOPBACK_HOST}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url``."""
        return f"http://{LOOPBACK_HOST}:{self._port}/file/bot"

    @property
    def username(self) -> str:
        return str(self.bot_user["username"])

    def _open_listener(self, port: int) -> None:
        server = _HttpServer(port, self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_INTERVAL},
            name="fake-bot-api",
            daemon=True,
        )
        with self._lock:
            self._server, self._serve_thread = server, thread
            self._port = server.server_address[1]
        thread.start()

    def _close_listener(self) -> None:
        with self._lock:
            server, thread = self._server, self._serve_thread
            self._server = self._serve_thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(STOP_JOIN_TIMEOUT)

    def _register_connection(self, connection: socket.socket) -> None:
        with self._cond:
            self._connections.add(connection)
            self._active_handlers += 1
            refuse = self._stopping or (self._paused and self._pause_mode == "refuse")
        if refuse:
            _shutdown_socket(connection)

    def _unregister_connection(self, connection: socket.socket) -> None:
        with self._cond:
            self._connections.discard(connection)
            self._active_handlers -= 1
            self._cond.notify_all()

    def _close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown_socket(connection)

    # ------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        retry_after: int | None = None,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error.

        ``status=429`` adds ``parameters.retry_after`` (default 1 s);
        ``status=DROP_CONNECTION`` (0) closes the connection without reply.
        ``method`` is case-insensitive; ``"*"`` matches every method and
        ``"downloadFile"`` matches file downloads.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(method.lower(), status, retry_after, count, description))

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        """Delay responses (of one ``method`` or of all methods) by ``seconds``."""
        with self._lock:
            self._delays[(method or ANY_METHOD).lower()] = max(0.0, seconds)

    def stub_method(self, method: str, result: Any) -> None:
        """Answer an otherwise unsupported ``method`` with ``ok: true, result``."""
        with self._lock:
            self._stubs[method.lower()] = copy.deepcopy(result)

    def block_chat(self, chat_id: ChatKey, blocked: bool = True) -> None:
        """Make sends to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        with self._lock:
            key = _chat_key(chat_id)
            if blocked:
                self._blocked.add(key)
            else:
                self._blocked.discard(key)

    def _take_fault(self, method: str) -> _Fault | None:
        name = method.lower()
        with self._lock:
            for fault in self._faults:
                if fault.method in (name, ANY_METHOD):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _wait_delay(self, method: str) -> bool:
        """Sleep the configured delay; False if interrupted by stop/pause."""
        with self._cond:
            delay = self._delays.get(method.lower(), self._delays.get(ANY_METHOD, 0.0))
            if delay <= 0:
                return True
            interrupted = self._cond.wait_for(lambda: self._stopping or self._paused, delay)
        return not interrupted

    # ------------------------------------------------------ test-side input

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        user_id: int | None = None,
        username: str | None = None,
        first_name: str = DEFAULT_USER_FIRST_NAME,
        title: str | None = None,
    ) -> JsonDict:
        """Make a chat known so the bot may message it first; returns the Chat."""
        with self._lock:
            user = self._make_user(
                user_id if user_id is not None else chat_id, username, first_name
            )
            return copy.deepcopy(self._ensure_chat(chat_id, chat_type, user, title))

    def send_message(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str = "private",
        username: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JsonDict] | None = None,
        *,
        first_name: str = DEFAULT_USER_FIRST_NAME,
        chat_title: str | None = None,
    ) -> JsonDict:
        """Queue an Update with a user's text message and return the Update.

        ``bot_command``/``mention`` entities are computed when ``entities`` is
        None.  In private chats ``user_id`` defaults to ``chat_id``.
        """
        with self._cond:
            message = self._new_user_message(
                chat_id, user_id, chat_type, username, first_name, chat_title, reply_to_message_id
            )
            message["text"] = text
            found = detect_entities(text) if entities is None else entities
            if found:
                message["entities"] = copy.deepcopy(found)
            return self._enqueue({"message": message})

    def send_document(
        self,
        chat_id: int,
        user_id: int | None,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        chat_type: str = "private",
        username: str | None = None,
        first_name: str = DEFAULT_USER_FIRST_NAME,
        chat_title: str | None = None,
    ) -> JsonDict:
        """Register ``content`` as a file and queue a message with a document."""
        with self._cond:
            stored = self._store_file(content, file_name, mime_type)
            message = self._new_user_message(
                chat_id, user_id, chat_type, username, first_name, chat_title, None
            )
            message["document"] = stored.document()
            if caption:
                message["caption"] = caption
                found = detect_entities(caption)
                if found:
                    message["caption_entities"] = found
            return self._enqueue({"message": message})

    def press_button(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        check_button: bool = True,
    ) -> JsonDict:
        """Queue a callback_query for a button of a message the bot sent.

        With ``check_button`` the message must carry an inline button whose
        ``callback_data`` equals ``data`` (AssertionError otherwise).
        """
        with self._cond:
            key = _chat_key(chat_id)
            record = self._find_bot_message(key, message_id)
            if record is None or record["deleted"]:
                raise AssertionError(f"bot message {message_id} not found in chat {chat_id}")
            if check_button:
                available = [
                    button.get("callback_data")
                    for row in _inline_keyboard(record["reply_markup"]) or []
                    for button in row
                ]
                if data not in available:
                    raise AssertionError(
                        f"no inline button with callback_data={data!r}; available: {available}"
                    )
            query_id = str(self._next_counter())
            query = {
                "id": query_id,
                "from": copy.deepcopy(
                    self._users.get(user_id) or self._make_user(user_id, None, None)
                ),
                "message": self._bot_message_object(record),
                "chat_instance": str(abs(hash(key))),
                "data": data,
            }
            self._open_queries[query_id] = query
            return self._enqueue({"callback_query": query})

    def queue_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update payload (``update_id`` is assigned)."""
        with self._cond:
            payload = {key: value for key, value in update.items() if key != "update_id"}
            return self._enqueue(copy.deepcopy(payload))

    def register_file(
        self,
        content: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
    ) -> JsonDict:
        """Register bytes for getFile/download; returns the File object."""
        with self._lock:
            return self._store_file(content, file_name, mime_type).file_object()

    # ----------------------------------------------------- test-side output

    @property
    def requests(self) -> list[tuple[str, JsonDict]]:
        """Every API call that reached the server: ``(method, params)``.

        Includes calls answered by injected faults; uploads appear as
        ``{"filename", "mime_type", "size"}`` dicts.
        """
        with self._lock:
            return copy.deepcopy(self._requests)

    def calls(self, method: str) -> list[JsonDict]:
        """Params of every call of ``method`` (case-insensitive)."""
        name = method.lower()
        return [params for called, params in self.requests if called.lower() == name]

    @property
    def commands(self) -> list[JsonDict]:
        """The command list of the last successful setMyCommands call."""
        with self._lock:
            return copy.deepcopy(self._last_commands)

    @property
    def callback_answers(self) -> list[JsonDict]:
        """Params of every successful answerCallbackQuery call."""
        with self._lock:
            return copy.deepcopy(self._callback_answers)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates queued but not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    @property
    def internal_errors(self) -> list[str]:
        """Unexpected exceptions inside the emulator (should stay empty)."""
        with self._lock:
            return list(self._internal_errors)

    def messages_for(self, chat_id: ChatKey) -> list[JsonDict]:
        """Messages the bot sent to ``chat_id``, oldest first, edits applied.

        Keys: message_id, chat_id, kind ("text"/"document"), text (as sent;
        the caption for documents), plain_text (after entity parsing),
        parse_mode, entities, reply_markup, reply_to_message_id, date,
        edit_count, deleted, document, content (uploaded bytes), params.
        """
        with self._lock:
            return copy.deepcopy(self._bot_messages.get(_chat_key(chat_id), []))

    def wait_for_messages(
        self, chat_id: ChatKey, count: int = 1, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[JsonDict]:
        """Block until the bot sent at least ``count`` messages to ``chat_id``.

        Deleted messages count too (they stay in :meth:`messages_for` with
        ``deleted=True``).  Raises AssertionError listing what was received.

        Do not call this from the event loop running the bot; use
        :meth:`wait_for_messages_async` there.
        """
        key = _chat_key(chat_id)
        with self._cond:
            done = self._cond.wait_for(
                lambda: len(self._bot_messages.get(key, [])) >= count, timeout
            )
            received = copy.deepcopy(self._bot_messages.get(key, []))
        if not done:
            texts = [message["text"] for message in received]
            raise AssertionError(
                f"expected {count} bot message(s) in chat {chat_id} within {timeout}s, "
                f"got {len(received)}: {texts!r}"
            )
        return received

    async def wait_for_messages_async(
        self, chat_id: ChatKey, count: int = 1, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[JsonDict]:
        """Awaitable :meth:`wait_for_messages` that does not block the loop."""
        return await _in_own_thread(self.wait_for_messages, chat_id, count, timeout)

    def wait_for_calls(
        self, method: str, count: int = 1, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[JsonDict]:
        """Block until ``method`` was called at least ``count`` times."""
        name = method.lower()

        def matching() -> list[JsonDict]:
            return [params for called, params in self._requests if called.lower() == name]

        with self._cond:
            done = self._cond.wait_for(lambda: len(matching()) >= count, timeout)
            found = copy.deepcopy(matching())
        if not done:
            raise AssertionError(
                f"expected {count} {method} call(s) within {timeout}s, got {found!r}"
            )
        return found

    async def wait_for_calls_async(
        self, method: str, count: int = 1, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> list[JsonDict]:
        """Awaitable :meth:`wait_for_calls`."""
        return await _in_own_thread(self.wait_for_calls, method, count, timeout)

    def wait_until(self, condition: Callable[[], object], timeout: float = DEFAULT_WAIT_TIMEOUT) -> bool:
        """Block until ``condition()`` is true, checked whenever the emulator's state changes or
        :meth:`notify` is called (e.g. by a thread watching something outside the emulator)."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(condition()), timeout)

    def notify(self) -> None:
        """Wake :meth:`wait_until` callers to check their condition again."""
        with self._cond:
            self._cond.notify_all()

    def wait_for_delivery(self, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        """Block until every queued update was confirmed by the bot's polling."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._updates, timeout):
                raise AssertionError(
                    f"{len(self._updates)} update(s) not fetched within {timeout}s"
                )

    async def wait_for_delivery_async(self, timeout: float = DEFAULT_WAIT_TIMEOUT) -> None:
        """Awaitable :meth:`wait_for_delivery`."""
        await _in_own_thread(self.wait_for_delivery, timeout)

    # ------------------------------------------------------- state helpers

    def _next_counter(self) -> int:
        self._counter += 1
        return self._counter

    def _make_user(self, user_id: int, username: str | None, first_name: str | None) -> JsonDict:
        known = self._users.get(user_id, {})
        user: JsonDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or known.get("first_name") or DEFAULT_USER_FIRST_NAME,
            "language_code": "en",
        }
        if username or known.get("username"):
            user["username"] = username or known["username"]
        self._users[user_id] = user
        return user

    def _ensure_chat(
        self, chat_id: int, chat_type: str, user: JsonDict, title: str | None
    ) -> JsonDict:
        if chat_type not in CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {sorted(CHAT_TYPES)}")
        key = _chat_key(chat_id)
        chat: JsonDict = {"id": key, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user["first_name"]
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat["title"] = title or self._chats.get(key, {}).get("title") or f"Test {chat_type}"
        self._chats[key] = chat
        return chat

    def _next_message_id(self, key: ChatKey) -> int:
        self._last_message_id[key] = self._last_message_id.get(key, 0) + 1
        return self._last_message_id[key]

    def _new_user_message(
        self,
        chat_id: int,
        user_id: int | None,
        chat_type: str,
        username: str | None,
        first_name: str,
        chat_title: str | None,
        reply_to_message_id: int | None,
    ) -> JsonDict:
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_USER_ID
        user = self._make_user(user_id, username, first_name)
        chat = self._ensure_chat(chat_id, chat_type, user, chat_title)
        key = _chat_key(chat_id)
        message: JsonDict = {
            "message_id": self._next_message_id(key),
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
            "from": copy.deepcopy(user),
        }
        if reply_to_message_id is not None:
            replied = self._message_object(key, reply_to_message_id)
            if replied is None:
                raise ValueError(f"message {reply_to_message_id} not found in chat {chat_id}")
            message["reply_to_message"] = replied
        self._user_messages[(key, message["message_id"])] = message
        return message

    def _enqueue(self, payload: JsonDict) -> JsonDict:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _store_file(self, content: bytes, file_name: str, mime_type: str) -> _StoredFile:
        number = self._next_counter()
        suffix = "".join(ch for ch in PurePosixPath(file_name).suffix if ch.isalnum() or ch == ".")
        stored = _StoredFile(
            file_id=f"FAKEFILE{number}{secrets.token_hex(4)}",
            file_unique_id=f"FAKEUNIQ{number}",
            file_path=f"documents/file_{number}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
            content=bytes(content),
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _find_bot_message(self, key: ChatKey, message_id: int | None) -> JsonDict | None:
        for record in self._bot_messages.get(key, []):
            if record["message_id"] == message_id:
                return record
        return None

    def _message_object(self, key: ChatKey, message_id: int) -> JsonDict | None:
        record = self._find_bot_message(key, message_id)
        if record is not None and not record["deleted"]:
            return self._bot_message_object(record, nested=False)
        user_message = self._user_messages.get((key, message_id))
        if user_message is None:
            return None
        return {k: copy.deepcopy(v) for k, v in user_message.items() if k != "reply_to_message"}

    def _bot_message_object(self, record: JsonDict, nested: bool = True) -> JsonDict:
        message: JsonDict = {
            "message_id": record["message_id"],
            "date": record["date"],
            "chat": copy.deepcopy(self._chats[record["chat_id"]]),
            "from": copy.deepcopy(self.bot_user),
        }
        if record["kind"] == "document":
            message["document"] = copy.deepcopy(record["document"])
            if record["plain_text"]:
                message["caption"] = record["plain_text"]
        else:
            message["text"] = record["plain_text"]
        if _inline_keyboard(record["reply_markup"]) is not None:
            message["reply_markup"] = copy.deepcopy(record["reply_markup"])
        if record["edit_date"]:
            message["edit_date"] = record["edit_date"]
        reply_id = record["reply_to_message_id"]
        if nested and reply_id is not None:
            replied = self._message_object(record["chat_id"], reply_id)
            if replied is not None:
                message["reply_to_message"] = replied
        return message

    def _record_internal_error(self, where: str, error: BaseException | None) -> None:
        with self._lock:
            self._internal_errors.append(f"{where}: {error!r}")

    # -------------------------------------------------------- HTTP serving

    def _serve(self, handler: _RequestHandler) -> None:
        try:
            body = _read_body(handler)
        except ApiError as error:
            handler.close_connection = True
            _write_json(handler, error.status, error.payload())
            return
        with self._lock:
            bad_gateway = self._paused and self._pause_mode == "bad_gateway"
        if bad_gateway:
            _write_json(handler, 502, ApiError(502, "Bad Gateway").payload())
            return
        url = urlsplit(handler.path)
        path = unquote(url.path)
        if match := _API_PATH_RE.fullmatch(path):
            self._serve_api(handler, match["token"], match["method"], url.query, body)
        elif match := _FILE_PATH_RE.fullmatch(path):
            self._serve_file(handler, match["token"], match["path"])
        else:
            _write_json(handler, 404, ApiError(404, "Not Found").payload())

    def _check_token(self, handler: _RequestHandler, token: str) -> bool:
        if secrets.compare_digest(token.encode(), self.token.encode()):
            return True
        _write_json(handler, 401, ApiError(401, "Unauthorized").payload())
        return False

    def _log_request(self, method: str, params: JsonDict, files: dict[str, UploadedFile]) -> None:
        logged = copy.deepcopy(params)
        for name, upload in files.items():
            logged[name] = {
                "filename": upload.filename,
                "mime_type": upload.mime_type,
                "size": len(upload.content),
            }
        with self._cond:
            self._requests.append((method, logged))
            self._cond.notify_all()

    def _answer_fault(self, handler: _RequestHandler, method: str) -> bool:
        fault = self._take_fault(method)
        if fault is None:
            return False
        if fault.status == DROP_CONNECTION:
            _drop(handler)
        else:
            error = fault.error()
            _write_json(handler, error.status, error.payload())
        return True

    def _serve_api(
        self, handler: _RequestHandler, token: str, method: str, query: str, body: bytes
    ) -> None:
        if not self._check_token(handler, token):
            return
        if not _VALID_METHOD_RE.fullmatch(method):
            _write_json(handler, 404, ApiError(404, "Not Found").payload())
            return
        try:
            params, files = decode_request(handler.headers.get("Content-Type", ""), body, query)
        except (ValueError, UnicodeDecodeError):
            _write_json(handler, 400, ApiError(400, "Bad Request: can't parse request").payload())
            return
        self._log_request(method, params, files)
        if not self._wait_delay(method):
            _drop(handler)
            return
        if self._answer_fault(handler, method):
            return
        try:
            result = self._call(method, params, files)
        except _DropConnectionError:
            _drop(handler)
        except ApiError as error:
            _write_json(handler, error.status, error.payload())
        except Exception as error:  # noqa: BLE001 - report emulator bugs as 500
            self._record_internal_error(method, error)
            _write_json(handler, 500, ApiError(500, "Internal Server Error").payload())
        else:
            _write_json(handler, 200, {"ok": True, "result": result})

    def _call(self, method: str, params: JsonDict, files: dict[str, UploadedFile]) -> Any:
        name = method.lower()
        implementation = self._methods.get(name)
        if implementation is not None:
            return implementation(params, files)
        with self._lock:
            if name in self._stubs:
                return copy.deepcopy(self._stubs[name])
        raise ApiError(404, "Not Found")

    def _serve_file(self, handler: _RequestHandler, token: str, file_path: str) -> None:
        if not self._check_token(handler, token):
            return
        self._log_request(FILE_DOWNLOAD_METHOD, {"file_path": file_path}, {})
        if not self._wait_delay(FILE_DOWNLOAD_METHOD):
            _drop(handler)
            return
        if self._answer_fault(handler, FILE_DOWNLOAD_METHOD):
            return
        with self._lock:
            stored = self._files_by_path.get(file_path)
        if stored is None:
            _write_json(handler, 404, ApiError(404, "Not Found").payload())
            return
        _write_response(handler, 200, stored.content, "application/octet-stream")

    # ------------------------------------------------------ API: plumbing

    def _api_true(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        return True

    def _api_get_me(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_set_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._cond:
            self._webhook_url = str(params.get("url") or "")
            self._cond.notify_all()
        return True

    def _api_delete_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._cond:
            self._webhook_url = ""
            if params.get("drop_pending_updates") in (True, "true", "True", 1):
                self._updates.clear()
            self._cond.notify_all()
        return True

    def _api_get_webhook_info(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        with self._lock:
            return {
                "url": self._webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _api_get_updates(self, params: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        offset = _int_param(params, "offset")
        limit = min(max(_int_param(params, "limit") or MAX_UPDATES_LIMIT, 1), MAX_UPDATES_LIMIT)
        timeout = float(max(_int_param(params, "timeout") or 0, 0))
        allowed = params.get("allowed_updates")
        with self._cond:
            if self._webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if isinstance(allowed, list):
                self._allowed_updates = list(allowed) or None
            self._confirm_updates(offset)
            self._poll_generation += 1
            generation = self._poll_generation
            deadline = time.monotonic() + timeout
            while True:
                if self._stopping or self._paused:
                    raise _DropConnectionError
                if generation != self._poll_generation:
                    raise ApiError(409, POLL_CONFLICT)
                batch = self._deliverable_updates(limit)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0:
                    return batch
                self._cond.wait(remaining)

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        self._cond.notify_all()

    def _deliverable_updates(self, limit: int) -> list[JsonDict]:
        allowed = self._allowed_updates
        selected = [
            update
            for update in self._updates
            if allowed is None or any(kind in update for kind in allowed)
        ]
        return copy.deepcopy(selected[:limit])

    # ---------------------------------------------------- API: commands

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        scope_key = json.dumps(scope, sort_keys=True) if scope else '{"type": "default"}'
        return scope_key, str(params.get("language_code") or "")

    def _api_set_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", "")).strip()
            if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION_LENGTH:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._lock:
            self._commands[self._commands_key(params)] = copy.deepcopy(commands)
            self._last_commands = copy.deepcopy(commands)
        return True

    def _api_get_my_commands(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> list[JsonDict]:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _api_delete_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
        return True

    # ---------------------------------------------------- API: messages

    def _writable_chat(self, params: JsonDict) -> ChatKey:
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(params["chat_id"])
        if key not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        if key in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return key

    def _render(
        self, params: JsonDict, field: str, limit: int, *, allow_empty: bool = False
    ) -> tuple[str, str, list[JsonDict]]:
        """Validate ``params[field]``; return (raw, plain, entities)."""
        label = "message text" if field == "text" else "message caption"
        raw = params.get(field)
        raw = "" if raw is None else str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        explicit = params.get("entities" if field == "text" else "caption_entities")
        if isinstance(explicit, list):
            plain, entities = raw, copy.deepcopy(explicit)
        elif parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(raw, strict_entities=self.strict_entities)
            except HtmlParseError as error:
                raise ApiError(400, f"{CANT_PARSE_ENTITIES}{error}") from None
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            plain, entities = raw, []
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        plain, entities = strip_message_text(plain, entities)
        if not plain and not allow_empty:
            raise ApiError(400, f"Bad Request: {label} is empty")
        if utf16_len(plain) > limit:  # counted like entity offsets, the stricter reading of the limit
            too_long = "message is too long" if field == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {too_long}")
        return raw, plain, entities

    def _reply_target(self, key: ChatKey, params: JsonDict) -> int | None:
        reply = params.get("reply_parameters")
        reply = reply if isinstance(reply, dict) else {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id in (None, ""):
            return None
        message_id = int(message_id)
        if self._message_object(key, message_id) is not None:
            return message_id
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _record_bot_message(
        self, key: ChatKey, kind: str, params: JsonDict, rendered: tuple[str, str, list[JsonDict]]
    ) -> JsonDict:
        markup = _validate_reply_markup(params.get("reply_markup"))
        reply_to_message_id = self._reply_target(key, params)
        record: JsonDict = {
            "message_id": self._next_message_id(key),
            "chat_id": key,
            "kind": kind,
            "text": rendered[0],
            "plain_text": rendered[1],
            "entities": rendered[2],
            "parse_mode": params.get("parse_mode"),
            "reply_markup": markup,
            "reply_to_message_id": reply_to_message_id,
            "date": int(time.time()),
            "edit_date": None,
            "edit_count": 0,
            "deleted": False,
            "document": None,
            "content": None,
            "params": copy.deepcopy(params),
        }
        self._bot_messages.setdefault(key, []).append(record)
        return record

    def _api_send_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        with self._cond:
            key = self._writable_chat(params)
            rendered = self._render(params, "text", MAX_MESSAGE_LENGTH)
            record = self._record_bot_message(key, "text", params, rendered)
            self._cond.notify_all()
            return self._bot_message_object(record)

    def _api_send_document(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        with self._cond:
            key = self._writable_chat(params)
            upload = files.get("document")
            if upload is not None:
                stored = self._store_file(upload.content, upload.filename, upload.mime_type)
            elif isinstance(params.get("document"), str) and params["document"] in self._files:
                stored = self._files[params["document"]]
            else:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            rendered = self._render(params, "caption", MAX_CAPTION_LENGTH, allow_empty=True)
            logged = {k: v for k, v in params.items() if k != "document"}
            record = self._record_bot_message(key, "document", logged, rendered)
            record["document"] = stored.document()
            record["content"] = stored.content
            self._cond.notify_all()
            return self._bot_message_object(record)

    def _editable_message(self, params: JsonDict) -> JsonDict:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the emulator")
        key = _chat_key(params.get("chat_id", ""))
        record = self._find_bot_message(key, _int_param(params, "message_id"))
        if record is None or record["deleted"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        return record

    def _apply_edit(self, record: JsonDict, changes: JsonDict) -> JsonDict:
        current = {name: record[name] for name in changes}
        if current == changes:
            raise ApiError(400, NOT_MODIFIED)
        record.update(changes)
        record["edit_count"] += 1
        record["edit_date"] = int(time.time())
        self._cond.notify_all()
        return self._bot_message_object(record)

    def _api_edit_message_text(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        with self._cond:
            record = self._editable_message(params)
            if record["kind"] != "text":
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            raw, plain, entities = self._render(params, "text", MAX_MESSAGE_LENGTH)
            changes = {
                "plain_text": plain,
                "entities": entities,
                "reply_markup": _validate_reply_markup(params.get("reply_markup")),
            }
            result = self._apply_edit(record, changes)
            record.update(text=raw, parse_mode=params.get("parse_mode"))
            return result

    def _api_edit_message_reply_markup(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> JsonDict:
        with self._cond:
            record = self._editable_message(params)
            markup = _validate_reply_markup(params.get("reply_markup"))
            return self._apply_edit(record, {"reply_markup": markup})

    def _api_delete_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._cond:
            key = _chat_key(params.get("chat_id", ""))
            message_id = _int_param(params, "message_id")
            record = self._find_bot_message(key, message_id)
            if record is not None and not record["deleted"]:
                record["deleted"] = True
            elif self._user_messages.pop((key, message_id or 0), None) is None:
                raise ApiError(400, "Bad Request: message to delete not found")
            self._cond.notify_all()
        return True

    def _api_answer_callback_query(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._cond:
            query_id = str(params.get("callback_query_id") or "")
            if self._open_queries.pop(query_id, None) is None:
                raise ApiError(400, QUERY_INVALID)
            if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self._callback_answers.append(copy.deepcopy(params))
            self._cond.notify_all()
        return True

    def _api_send_chat_action(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        with self._lock:
            self._writable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_get_file(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        with self._lock:
            stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return stored.file_object()


def _shutdown_socket(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
