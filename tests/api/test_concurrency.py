"""20 clients creating and updating cases at once: every accepted write is there afterwards, none twice."""

from __future__ import annotations

import threading

CLIENTS = 20
CASES_EACH = 3


def test_twenty_clients_writing_at_once(as_user, grid_points):
    accounts = ["manager1", "admin", "xwz_op"]
    grids = [g for g in grid_points if g.startswith("XWZ-K")][:CLIENTS]
    accepted_cases: list[str] = []
    accepted_notes: list[tuple[str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def worker(i: int) -> None:
        http = as_user(accounts[i % len(accounts)])
        barrier.wait()
        for k in range(CASES_EACH):
            lon, lat = grid_points[grids[(i + k) % len(grids)]]
            made = http.post("/api/cases", json={"category": "sanitation", "reporter": f"load-{i}-{k}",
                                                 "lon": lon, "lat": lat})
            if made.status_code != 201:
                with lock:
                    failures.append(f"create {made.status_code} {made.text[:100]}")
                continue
            case = made.json()
            with lock:
                accepted_cases.append(case["case_id"])
            target = accepted_cases[(i * 7 + k) % len(accepted_cases)]  # often someone else's case
            for _ in range(20):  # read the version, write with it, retry on a conflict
                version = http.get(f"/api/cases/{target}").json()["version"]
                note = f"note-{i}-{k}"
                answer = http.patch(f"/api/cases/{target}", json={"version": version, "note": note})
                if answer.status_code == 200:
                    with lock:
                        accepted_notes.append((target, note))
                    break
                if answer.status_code != 409:
                    with lock:
                        failures.append(f"update {answer.status_code} {answer.text[:100]}")
                    break

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(accepted_cases) == CLIENTS * CASES_EACH == len(set(accepted_cases))
    admin = as_user("admin")
    listed = admin.get("/api/cases", params={"limit": 1000}).json()["items"]
    reporters = [c["reporter"] for c in listed if c["reporter"].startswith("load-")]
    assert sorted(reporters) == sorted(f"load-{i}-{k}" for i in range(CLIENTS) for k in range(CASES_EACH))
    for case_id in {c for c, _ in accepted_notes}:
        notes = [h["note"] for h in admin.get(f"/api/cases/{case_id}").json()["history"]]
        expected = sorted(n for c, n in accepted_notes if c == case_id)
        assert sorted(n for n in notes if n.startswith("note-")) == expected
