"""``summitbot run --webhook``: Telegram pushes updates over HTTPS; any number of replicas may serve them.

A small Starlette app, served by uvicorn, feeds ``application.update_queue``
(python-telegram-bot's own update processing, as with long polling):

* ``POST <path of SUMMITBOT_WEBHOOK_URL>`` — one update from Telegram. The request must carry the
  webhook's secret in ``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise). An update whose id was
  already claimed (a retry, or a copy sent to another replica) is acknowledged and dropped: the
  chat state store's dedupe key makes it answered once across replicas.
* ``GET /healthz`` — 200 ``ok`` when the bot runs and its state store answers, else 503 and why;
  for the load balancer in front of the replicas.

The replies go out through the Bot API as usual; the HTTP answer to Telegram is immediate.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import signal
import threading
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.settings import Settings
from bot.state import ChatStates, StateUnavailableError

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
HTTP_OK, HTTP_BAD_REQUEST, HTTP_FORBIDDEN, HTTP_UNAVAILABLE = 200, 400, 403, 503
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def webhook_routes(application: Application, states: ChatStates, path: str, secret: str) -> Starlette:  # type: ignore[type-arg]
    """The HTTP app of one replica: the webhook at ``path`` and the health check."""
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        """One update from Telegram: checked, deduplicated, queued for the application."""
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), expected):
            logger.warning("Refused a webhook request without the right secret token from %s", request.client)
            return Response(status_code=HTTP_FORBIDDEN)
        try:
            update = Update.de_json(json.loads(await request.body()), application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("Refused a webhook request that is not an update: %s", exc)
            return Response(status_code=HTTP_BAD_REQUEST)
        if await states.first_delivery(update.update_id):
            await application.update_queue.put(update)
        else:
            logger.info("Update %s was already taken; not answering it again", update.update_id)
        return Response(status_code=HTTP_OK)

    async def health(request: Request) -> Response:
        """Whether this replica can serve: running, and its state store answering."""
        if not application.running:
            return PlainTextResponse("not running", status_code=HTTP_UNAVAILABLE)
        try:
            await states.check()
        except StateUnavailableError as exc:
            return PlainTextResponse(str(exc), status_code=HTTP_UNAVAILABLE)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route(path, receive, methods=["POST"]), Route(HEALTH_PATH, health, methods=["GET"])])


@contextlib.contextmanager
def quiet_stop_signals() -> Iterator[None]:
    """While serving, SIGINT/SIGTERM only stop the server (uvicorn re-raises them after it stops)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def serve_webhook(application: Application, states: ChatStates, settings: Settings, allowed_updates: list[str]) -> None:  # type: ignore[type-arg]
    """Register the webhook with Telegram and serve it until SIGINT/SIGTERM."""
    host, port = settings.webhook_address
    server = uvicorn.Server(
        uvicorn.Config(
            webhook_routes(application, states, settings.webhook_path, settings.webhook_secret_token),
            host=host,
            port=port,
            log_level=logging.WARNING,
            access_log=False,
            lifespan="off",
        )
    )
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=settings.webhook_url, secret_token=settings.webhook_secret_token, allowed_updates=allowed_updates
        )
        await application.start()
        logger.info("Listening for Telegram updates on %s:%d%s", host, port, settings.webhook_path)
        try:
            with quiet_stop_signals():
                await server.serve()
        finally:
            await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)

