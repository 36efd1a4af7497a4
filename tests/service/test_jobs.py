"""Retraining over HTTP: upload checks, a real job run to completion, and a job killed midway."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.registry import Registry
from tests.conftest import TINY_VERSION
from tests.service.conftest import assert_error

SENTENCES = [
    ("Each state should govern the networks inside its borders.", "claim", "favor"),
    ("A 2019 statute obliges firms to keep user records locally.", "evidence", "neutral"),
    ("Opponents answer that such rules shelter censorship.", "rebuttal", "against"),
    ("Subscribe | Share", "none", "neutral"),
]


def gold_file(splits: list[str]) -> bytes:
    """One gold JSON Lines article per split name, each with the four sentences above."""
    lines = [
        json.dumps(
            {
                "id": f"doc-{i}",
                "split": split,
                "sentences": [{"text": t, "role": r, "stance": s} for t, r, s in SENTENCES],
            }
        )
        for i, split in enumerate(splits)
    ]
    return ("\n".join(lines) + "\n").encode()


def csv_file(rows: list[tuple[str, str, str, str]]) -> bytes:
    return ("doc_id,sentence,role,stance\n" + "".join(",".join(r) + "\n" for r in rows)).encode()


def wait_for(client: TestClient, job_id: str, done: callable, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/v1/jobs/{job_id}").json()
        if done(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {status}")


def finished(status: dict) -> bool:
    return status["state"] in ("succeeded", "failed")


def test_a_job_trains_a_new_version_and_the_server_follows_activation(
    client: TestClient, tiny_registry: Registry
) -> None:
    files = {
        "files": ("../../escape me.jsonl", gold_file(["train", "train", "dev", "test"]), "application/jsonl")
    }
    data = {"epochs": "1", "start_from": TINY_VERSION, "version": "from-job", "activate": "true"}
    response = client.post("/v1/train", files=files, data=data)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["location"] == response.json()["status_url"] == f"/v1/jobs/{job_id}"
    status = wait_for(client, job_id, finished)
    assert status["state"] == "succeeded", status
    assert status["version"] == "from-job" and status["progress"]["fraction"] == 1.0
    assert status["files"] == ["../../escape me.jsonl"]
    assert "units" in status["metrics"]["test"] and status["log_tail"]
    assert "from-job" in [v["version"] for v in client.get("/v1/models").json()["versions"]]
    # The upload stayed inside the job directory whatever its name said.
    assert [p.name for p in (tiny_registry.root / ".jobs" / job_id / "data").iterdir()] == [
        "01-escape_me.jsonl"
    ]
    assert not list(tiny_registry.root.parent.glob("escape*"))
    if status["activated"]:
        models = wait_for_active(client, "from-job")
        assert models["active"] == "from-job"
        assert client.post("/v1/annotate", json={"text": "A."}).json()["model"]["version"] == "from-job"


def wait_for_active(client: TestClient, version: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        models = client.get("/v1/models").json()
        if models["active"] == version:
            return models
        time.sleep(0.2)
    return models


def test_a_killed_job_fails_and_leaves_registry_and_model_alone(
    client: TestClient, tiny_registry: Registry
) -> None:
    before = (tiny_registry.versions(), tiny_registry.active())
    files = {"files": ("big.jsonl", gold_file(["train"] * 120), "application/jsonl")}
    response = client.post("/v1/train", files=files, data={"epochs": "100", "start_from": TINY_VERSION})
    job_id = response.json()["job_id"]
    running = wait_for(
        client, job_id, lambda s: s.get("progress", {}).get("phase") == "training" or finished(s)
    )
    assert running["state"] == "running", running
    # While it runs, another job is refused and annotation keeps working.
    assert_error(client.post("/v1/train", files=files, data={"start_from": TINY_VERSION}), 409, "job_running")
    assert client.post("/v1/annotate", json={"text": "Still here."}).status_code == 200
    os.kill(running["pid"], signal.SIGKILL)
    status = wait_for(client, job_id, finished, timeout=20)
    assert status["state"] == "failed" and "SIGKILL" in status["error"]
    assert "unchanged" in status["error"]
    assert (tiny_registry.versions(), tiny_registry.active()) == before
    assert (
        client.post("/v1/annotate", json={"text": "Still serving."}).json()["model"]["version"]
        == TINY_VERSION
    )


def test_bad_rows_are_422_listing_file_line_field_and_value(
    client: TestClient, tiny_registry: Registry
) -> None:
    good = csv_file([("d1", "A claim.", "claim", "favor")])
    bad = csv_file([("d1", "A claim.", "claim", "favor"), ("d1", "Another.", "thesis", "favor")])
    files = [("files", ("good.csv", good, "text/csv")), ("files", ("bad.csv", bad, "text/csv"))]
    error = assert_error(client.post("/v1/train", files=files), 422, "invalid_labelled_data")
    assert error["details"] == [
        {
            "file": "bad.csv",
            "line": 3,
            "field": "role",
            "value": "'thesis'",
            "message": error["details"][0]["message"],
        }
    ]
    assert error["details"][0]["message"].startswith("bad.csv:3: field 'role' has unknown value 'thesis'")
    assert str(tiny_registry.root) not in json.dumps(error)
    assert not any((tiny_registry.root / ".jobs").iterdir())  # nothing left of the refused job


@pytest.mark.parametrize(
    ("name", "content", "type_"),
    [
        ("notes.txt", b"hello", "unsupported_file"),
        ("noextension", b"hello", "unsupported_file"),
        ("empty.jsonl", b"", "invalid_labelled_data"),
        (
            "latin1.csv",
            "doc_id,sentence,role,stance\nd,caf\xe9,claim,favor\n".encode("latin-1"),
            "invalid_labelled_data",
        ),
        ("broken.json", b"{not json", "invalid_labelled_data"),
        ("shape.json", b'[{"data": {"text": "x"}, "annotations": [7]}]', "invalid_labelled_data"),
    ],
)
def test_unreadable_uploads_are_422(client: TestClient, name: str, content: bytes, type_: str) -> None:
    assert_error(
        client.post("/v1/train", files={"files": (name, content, "application/octet-stream")}), 422, type_
    )


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"start_from": "missing"}, 404),
        ({"start_from": "../.."}, 404),
        ({"version": "../evil"}, 422),
        ({"version": "default"}, 422),
        ({"version": "ok\n"}, 422),
        ({"version": TINY_VERSION}, 409),
        ({"epochs": "0"}, 422),
        ({"epochs": "many"}, 422),
        ({"context": "lstm"}, 422),
    ],
)
def test_bad_options_are_refused_before_a_job_starts(client: TestClient, data: dict, status: int) -> None:
    files = {"files": ("d.csv", csv_file([("d1", "A claim.", "claim", "favor")]), "text/csv")}
    assert_error(client.post("/v1/train", files=files, data=data), status)


def test_broken_multipart_is_422(client: TestClient) -> None:
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    assert_error(
        client.post("/v1/train", content=b"--xyz\r\ngarbage--xyz--\r\n", headers=headers),
        422,
        "malformed_body",
    )


def test_train_needs_files_and_multipart(client: TestClient) -> None:
    unnamed = {"other": ("d.csv", b"doc_id,sentence,role,stance\n", "text/csv")}
    assert_error(client.post("/v1/train", files=unnamed, data={"epochs": "1"}), 422, "validation_error")
    assert_error(client.post("/v1/train", data={"epochs": "1"}), 415, "unsupported_media_type")
    assert_error(client.post("/v1/train", json={"files": []}), 415, "unsupported_media_type")


@pytest.mark.parametrize("job_id", ["0" * 32, "nothex", "..", "..%2F..%2Fetc", "%2e%2e"])
def test_unknown_jobs_are_404(client: TestClient, job_id: str) -> None:
    assert_error(client.get(f"/v1/jobs/{job_id}"), 404)


def test_dead_worker_of_an_earlier_server_is_reported(client: TestClient, tiny_registry: Registry) -> None:
    # A job left "running" by a server that is gone, whose worker no longer exists.
    job = Path(tiny_registry.root / ".jobs" / ("a" * 32))
    job.mkdir(parents=True)
    (job / "status.json").write_text(
        json.dumps(
            {"id": job.name, "state": "running", "pid": 2**22 + 7, "options": {}, "files": [], "created": "x"}
        )
    )
    status = client.get(f"/v1/jobs/{job.name}").json()
    assert status["state"] == "failed" and "gone" in status["error"]
