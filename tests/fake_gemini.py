"""A local fake of the Gemini API's ``generateContent`` endpoint, for tests (no network).

One ``http.server`` in a thread on 127.0.0.1, port 0. google-genai 3.x posts to
``{base_url}/{api_version}/models/{model}:generateContent`` (``v1`` by default) with the key in
the ``x-goog-api-key`` header; the fake answers each request with the next scripted reply and
records every request (path, headers, JSON body). An unscripted request gets a 500 whose
message says so, so a test that calls more often than it planned fails on its own assertions.

    fake = FakeGemini().start()
    genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.base_url))
    fake.answer_json({"action": "new", ...})   # structured output: one JSON text part
    fake.answer_text("{not json")              # any text part
    fake.answer_function_call("edit_playlist", {...})
    fake.answer_error(429)                     # Google's error envelope with that status
    fake.answer_json({...}, delay=2.0)         # answers after 2 s (for client timeouts)
    fake.requests                              # [Recorded(path, headers, body), ...]
    fake.stop()
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = re.compile(r"^/(?P<version>v[0-9a-z]+)/models/(?P<model>[^/:]+):generateContent$")
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: object  # parsed JSON, or the raw text when it is not JSON


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    delay: float = 0.0  # seconds before answering
    content_type: str = "application/json"


def candidate_response(parts: list[dict], finish_reason: str = "STOP") -> dict:
    """A GenerateContentResponse as the Developer API sends it, with one candidate."""
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish_reason, "index": 0}],
        "usageMetadata": {"promptTokenCount": 400, "candidatesTokenCount": 40, "totalTokenCount": 440},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "fake-response",
    }


def error_body(status: int, message: str | None = None, reason: str | None = None) -> dict:
    """Google's error envelope (``{"error": {"code", "message", "status", "details"}}``)."""
    error = {"code": status, "message": message or f"fake error {status}",
             "status": STATUS_NAMES.get(status, "UNKNOWN")}
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                             "domain": "googleapis.com"}]
    return {"error": error}


class FakeGemini:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: list[Reply] = []
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeGemini:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a slow reply still waiting must not hold up stop()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow replies, which then give up
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- scripting ----------------------------------------------------------------------------

    def answer(self, status: int, body: object, delay: float = 0.0, content_type: str = "application/json") -> None:
        """Queue one reply: ``body`` is sent as JSON unless it is ``str``/``bytes`` (sent as is)."""
        if isinstance(body, str):
            raw = body.encode()
        elif isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body).encode()
        with self.lock:
            self.replies.append(Reply(status, raw, delay, content_type))

    def answer_text(self, text: str, delay: float = 0.0) -> None:
        """Structured output as Gemini sends it: the JSON is the text of one part."""
        self.answer(200, candidate_response([{"text": text}]), delay)

    def answer_json(self, value: object, delay: float = 0.0) -> None:
        self.answer_text(json.dumps(value), delay)

    def answer_function_call(self, name: str, args: dict) -> None:
        self.answer(200, candidate_response([{"functionCall": {"name": name, "args": args}}]))

    def answer_error(self, status: int, message: str | None = None, reason: str | None = None) -> None:
        self.answer(status, error_body(status, message, reason))

    # --- serving ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8") if length else ""
        try:
            body: object = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self.lock:
            self.requests.append(Recorded(handler.path, headers, body))
            reply = self.replies.pop(0) if self.replies else None
        if handler.command != "POST" or not PATH.match(handler.path):
            reply = Reply(404, json.dumps(error_body(404, f"no such endpoint: {handler.command} {handler.path}"))
                          .encode())
        elif reply is None:
            reply = Reply(500, json.dumps(error_body(500, "the fake has no reply scripted for this request"))
                          .encode())
        if reply.delay and self._stopping.wait(reply.delay):
            return  # stopped while waiting: the client gave up long ago
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and hung up
