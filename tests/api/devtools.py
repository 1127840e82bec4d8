"""A phone in headless Chromium: phone-sized, with DevTools geolocation, offline emulation (for the
page and its Service Worker) and a dropped connection — on top of :mod:`browser`."""

from __future__ import annotations

import time
from pathlib import Path

from browser import Chromium

OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


class Phone(Chromium):
    def __init__(self, profile: Path):
        super().__init__(profile, width=390, height=844)
        self.send("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2,
                                                         "mobile": True}, session=True)
        self._workers: dict[str, str] = {}

    def send_to(self, session_id: str, method: str, params: dict | None = None) -> dict:
        page, self.session = self.session, session_id
        try:
            return self.send(method, params, session=True)
        finally:
            self.session = page

    def allow_geolocation(self, origin: str) -> None:
        self.send("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})

    def geolocate(self, lat: float, lon: float, accuracy: float = 8.0) -> None:
        self.send("Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": accuracy},
                  session=True)

    def _service_workers(self) -> list[str]:
        for info in self.send("Target.getTargets")["targetInfos"]:
            if info["type"] == "service_worker" and info["targetId"] not in self._workers:
                session = self.send("Target.attachToTarget", {"targetId": info["targetId"], "flatten": True})
                self._workers[info["targetId"]] = session["sessionId"]
                self.send_to(session["sessionId"], "Network.enable")
        return list(self._workers.values())

    def network(self, online: bool) -> None:
        """Cut or restore the network for the page and for its Service Worker (as DevTools' Offline does)."""
        conditions = ONLINE if online else OFFLINE
        self.send("Network.emulateNetworkConditions", conditions, session=True)
        for session in self._service_workers():
            try:
                self.send_to(session, "Network.emulateNetworkConditions", conditions)
            except RuntimeError:  # a worker that has gone away
                pass

    def drop_response(self, url_pattern: str, action, timeout: float = 60) -> bool:
        """Let the next request to ``url_pattern`` reach the server, then drop its answer (connection
        reset) as a bad mobile network does; ``action()`` is what makes the page send it."""
        self.send("Fetch.enable", {"patterns": [{"urlPattern": url_pattern, "requestStage": "Response"}]},
                  session=True)
        seen = len(self.events)
        action()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                for event in self.events[seen:]:
                    if event.get("method") == "Fetch.requestPaused":
                        self.send("Fetch.failRequest", {"requestId": event["params"]["requestId"],
                                                        "errorReason": "ConnectionReset"}, session=True)
                        return True
                seen = len(self.events)
                self.pump(0.2)
            return False
        finally:
            self.send("Fetch.disable", session=True)

    def choose_file(self, selector: str, path: Path) -> None:
        root = self.send("DOM.getDocument", {"depth": 0}, session=True)["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector}, session=True)["nodeId"]
        self.send("DOM.setFileInputFiles", {"files": [str(path)], "nodeId": node}, session=True)
