"""The YAML language server of VS Code's YAML extension (redhat's yaml-language-server), driven as an editor drives it.

`make test` installs it with npm into .venv/yaml-language-server/ where npm is found; the
tests that need it are skipped without it, saying so.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

from tests.conftest import ROOT

INSTALLED = ROOT / ".venv" / "yaml-language-server" / "node_modules" / ".bin" / "yaml-language-server"
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}}


def server_command() -> list[str] | None:
    """How to start the server, if it is installed here or on the PATH."""
    found = INSTALLED if INSTALLED.is_file() else shutil.which("yaml-language-server")
    return [str(found), "--stdio"] if found else None


class Editor:
    """An editor with one YAML file open: what the server says of it, and what it offers as one types."""

    def __init__(self, command: list[str], schemas: dict | None = None):
        """Start the server; `schemas`, if given, is the `yaml.schemas` setting (schema → globs of files)."""
        self.settings = {"yaml": {**SETTINGS["yaml"], **({"schemas": schemas} if schemas else {})}}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue = queue.Queue()
        self.ids = iter(range(1, 1_000_000))
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {
            "workspace": {"configuration": True}, "textDocument": {"hover": {"contentFormat": ["markdown"]}}}})
        self._send({"method": "initialized", "params": {}})
        self._send({"method": "workspace/didChangeConfiguration", "params": {"settings": self.settings}})

    def open(self, path: Path, text: str) -> list[tuple[int, int, str]]:
        """Open `text` as the file at `path`; return the server's diagnostics: line, column (from 1), message."""
        self.uri = path.as_uri()
        self._send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": self.uri, "languageId": "yaml", "version": 1, "text": text}}})
        def diagnostics(message: dict) -> bool:
            return message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == self.uri

        published = self._wait(diagnostics)
        try:  # the server may say again, once the schema is read: the last word counts
            while True:
                published = self._wait(diagnostics, timeout=1)
        except TimeoutError:
            pass
        return sorted((d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1, d["message"])
                      for d in published["params"]["diagnostics"])

    def completion(self, line: int, column: int) -> list[str]:
        """The labels the server offers at a place of the open file (from 1)."""
        result = self.request("textDocument/completion", self._at(line, column))
        return [item["label"] for item in (result["items"] if isinstance(result, dict) else result or [])]

    def hover(self, line: int, column: int) -> str:
        result = self.request("textDocument/hover", self._at(line, column))
        return result["contents"]["value"] if result else ""

    def close(self) -> None:
        self.process.kill()
        self.process.wait()

    def request(self, method: str, params: dict):
        number = next(self.ids)
        self._send({"id": number, "method": method, "params": params})
        return self._wait(lambda m: m.get("id") == number and "method" not in m).get("result")

    def _at(self, line: int, column: int) -> dict:
        return {"textDocument": {"uri": self.uri}, "position": {"line": line - 1, "character": column - 1}}

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%b" % (len(body), body))
        self.process.stdin.flush()

    def _wait(self, wanted, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.inbox.get(timeout=0.5)
            except queue.Empty:
                continue
            if "method" in message and "id" in message:  # the server asks: its settings, or to register
                items = message["params"].get("items", []) if message["method"] == "workspace/configuration" else None
                self._send({"id": message["id"],
                            "result": None if items is None else [self.settings["yaml"]] * len(items)})
            elif wanted(message):
                return message
        raise TimeoutError("the YAML language server did not answer")

    def _read(self) -> None:
        stream = self.process.stdout
        while header := stream.readline():
            length = int(header.split(b":")[1]) if header.lower().startswith(b"content-length") else None
            while stream.readline().strip():
                pass
            if length is not None:
                self.inbox.put(json.loads(stream.read(length)))
