"""The batch and undo routes: one request and one PIN for many folders, a result per folder; undo
of one's last decision; the same refusals as the pages."""

from __future__ import annotations

from mrasla_app.models import FolderStatus
from tests.api.test_auth_and_directory import login
from tests.unit.test_workflow import DIRECTOR, HEAD, PIN, enroll, get, new_folder


def _signature_folders(seeded, n: int) -> list[int]:
    return [new_folder(seeded, [{"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}]) for _ in range(n)]


def test_batch_signs_each_folder_and_reports_each_outcome(client, seeded):
    enroll(seeded, DIRECTOR)
    ids = _signature_folders(seeded, 3)
    body = {"action": "sign", "pin": PIN, "folders": [{"folder_id": i} for i in ids]}
    assert client.post("/api/v1/folders/batch", json=body).status_code == 401
    login(client, DIRECTOR)
    candidates = client.get("/api/v1/folders/batch/candidates", params={"action": "sign"})
    assert candidates.status_code == 200
    rows = candidates.json()
    assert [r["folder_id"] for r in rows] == ids and rows[0]["pages"] == 2 and rows[0]["initiator"]
    wrong = client.post("/api/v1/folders/batch", json={**body, "pin": "000000"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "error.pin_invalid"
    assert all(get(i).status == FolderStatus.in_progress for i in ids)  # nothing signed

    folders = [{"folder_id": r["folder_id"], "step_id": r["step_id"]} for r in rows] + [{"folder_id": 999_999}]
    r = client.post("/api/v1/folders/batch", json={**body, "folders": folders})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["done"], out["refused"]) == (3, 1)
    assert [x["ok"] for x in out["results"]] == [True, True, True, False]
    assert out["results"][0]["status"] == "completed" and out["results"][0]["reference"].startswith("PAR-")
    missing = out["results"][3]
    assert missing["error"] == "error.not_found" and missing["reference"] == "" and missing["message"]["ar"]
    assert all(get(i).status == FolderStatus.completed for i in ids)
    again = client.post("/api/v1/folders/batch", json={**body, "folders": folders[:1]}).json()
    assert again["results"][0]["error"] == "error.step_already_done"
    assert again["results"][0]["message"]["fr"].startswith("Cette étape")


def test_batch_refuses_bad_requests(client, seeded):
    login(client, HEAD)
    for body in (
        {"action": "sign", "folders": []},
        {"action": "opinion", "folders": [{"folder_id": 1}]},
        {"action": "approve", "folders": [{"folder_id": i} for i in range(1, 102)]},
    ):
        r = client.post("/api/v1/folders/batch", json=body)
        assert r.status_code == 422, (body, r.text)


def test_undo_route(client, seeded):
    fid = new_folder(
        seeded,
        [
            {"kind": "visa", "user_ids": [seeded.user_id(HEAD)]},
            {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
        ],
    )
    login(client, HEAD)
    visa = client.post("/api/v1/folders/batch", json={"action": "approve", "folders": [{"folder_id": fid}]})
    assert visa.json()["results"][0]["status"] == "in_progress"
    assert get(fid).current_step == 2
    r = client.post(f"/api/v1/folders/{fid}/undo", json={})
    assert r.status_code == 200, r.text
    assert (r.json()["current_step"], r.json()["status"]) == (1, "in_progress")
    again = client.post(f"/api/v1/folders/{fid}/undo", json={})
    assert again.status_code == 400 and again.json()["error"] == "error.nothing_to_undo"
    assert client.post("/api/v1/folders/999999/undo", json={}).status_code == 404
