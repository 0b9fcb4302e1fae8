"""Autodialer and autocall queues: import, state transitions, do-not-call."""

import pytest

AUTOCALL = {
    "queue_code": "Autocall-Q1",
    "template": "IVR-1",
    "concurrent_call": 5,
    "customers": [
        {"id": "A", "mobiles": ["0982596021"], "contract_number": "HD1", "dpd": 5},
        {"id": "B", "mobiles": ["12345"]},
        {"id": "C", "mobiles": [84899888998, "0899888998"]},
    ],
}


def dialer_body(campaign_id):
    """An autodialer import body as in the seed, numbers as strings."""
    return {
        "campaign_id": campaign_id,
        "queue_code": "Autodialer",
        "precall_ratio": "150",
        "max_recall_count": "2",
        "queue_agents": "5001",
        "customers": [{"id": "TEL4VN_Test", "mobiles": ["0899123456"]}],
    }


async def test_autodialer_lifecycle(api):
    """import → running; stop → stopped; start → running; delete needs stopped, then gone."""
    sim = api.sim
    ok = (200, {"message": "successfully"})
    assert ok == await api.post("/v2/autodialer/queue", dialer_body(sim.campaign_ids[0]))
    assert sim.autodialer_queues["Autodialer"]["state"] == "running"
    assert await api.post("/v2/autodialer/queue/delete", {"queue_code": "Autodialer"}) == (
        200,
        {"message": "queue is running"},
    )
    assert ok == await api.post("/v2/autodialer/queue/stop", {"queue_code": "Autodialer"})
    assert sim.autodialer_queues["Autodialer"]["state"] == "stopped"
    assert ok == await api.post("/v2/autodialer/queue/start", {"queue_code": "Autodialer"})
    assert sim.autodialer_queues["Autodialer"]["state"] == "running"
    assert ok == await api.post("/v2/autodialer/queue/stop", {"queue_code": "Autodialer"})
    assert ok == await api.post("/v2/autodialer/queue/delete", {"queue_code": "Autodialer"})
    assert "Autodialer" not in sim.autodialer_queues
    assert await api.post("/v2/autodialer/queue/start", {"queue_code": "Autodialer"}) == (
        200,
        {"message": "queue not found"},
    )


async def test_autodialer_unknown_campaign(api):
    """An unknown campaign answers HTTP 200 'campaign is invalid' and stores nothing."""
    assert await api.post(
        "/v2/autodialer/queue", dialer_body("aaaaaaaa-bbbb-cccc-dddd-eeeeeeee")
    ) == (200, {"message": "campaign is invalid"})
    assert api.sim.autodialer_queues == {}


@pytest.mark.parametrize("op", ["stop", "start", "delete"])
async def test_autodialer_unknown_queue(api, op):
    """Operations on an unknown queue answer 'queue not found'."""
    assert await api.post(f"/v2/autodialer/queue/{op}", {"queue_code": "nope"}) == (
        200,
        {"message": "queue not found"},
    )


async def test_autocall_import_splits_success_and_fail(api):
    """Customers with a valid mobile succeed, the others fail; extra fields are kept."""
    status, body = await api.post("/v2/autocall/queue", AUTOCALL)
    assert (
        status,
        body,
    ) == (
        200,
        {"code": 200, "content": "successfully", "data": {"fail": ["B"], "success": ["A", "C"]}},
    )
    queue = api.sim.autocall_queues["Autocall-Q1"]
    assert (queue["state"], queue["template"]) == ("running", "IVR-1")
    assert queue["customers"][0] == {
        "id": "A",
        "mobiles": ["0982596021"],
        "contract_number": "HD1",
        "dpd": 5,
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([1, 2], id="not-object"),
        pytest.param(
            {"template": "IVR-1", "customers": [{"id": "A", "mobiles": []}]}, id="no-queue-code"
        ),
        pytest.param(
            {"queue_code": "Q", "customers": [{"id": "A", "mobiles": []}]}, id="no-template"
        ),
        pytest.param({"queue_code": "Q", "template": "T", "customers": []}, id="no-customers"),
    ],
)
async def test_autocall_import_fail(api, body):
    """An unusable body answers HTTP 400 'import fail'."""
    assert (await api.post("/v2/autocall/queue", body)) == (
        400,
        {"code": 400, "content": "import fail", "data": {"fail": [], "success": []}},
    )


async def test_autocall_lifecycle_and_dnc(api):
    """dnc/stop/start/delete on a known queue succeed; delete needs stopped; unknown → 404."""
    sim = api.sim
    ok = (200, {"code": 200, "content": "successfully"})
    await api.post("/v2/autocall/queue", AUTOCALL)
    code = {"queue_code": "Autocall-Q1"}
    assert ok == await api.post("/v2/autocall/queue/dnc", {**code, "customers": [{"id": "A"}]})
    assert {"A"} == sim.autocall_queues["Autocall-Q1"]["dnc"]
    assert (await api.post("/v2/autocall/queue/delete", code))[0] == 400
    assert ok == await api.post("/v2/autocall/queue/stop", code)
    assert sim.autocall_queues["Autocall-Q1"]["state"] == "stopped"
    assert ok == await api.post("/v2/autocall/queue/start", code)
    assert ok == await api.post("/v2/autocall/queue/stop", code)
    assert ok == await api.post("/v2/autocall/queue/delete", code)
    not_found = (404, {"code": 404, "content": "queue not found"})
    for op in ("stop", "start", "delete"):
        assert not_found == await api.post(f"/v2/autocall/queue/{op}", code)
    assert not_found == await api.post("/v2/autocall/queue/dnc", {**code, "customers": []})
