"""`python -m bench load` against the real server in-process: its chargers' acknowledged
sessions and energy are found through the HTTP API, and the check catches what is not there."""

from __future__ import annotations

import dataclasses
import time
from functools import partial

import trio

from bench.load import METER_START, ChargerOutcome, Plan, run_worker, verify
from ocppcore.service import Service
from tests.conftest import api_key_for


async def test_every_acknowledged_value_is_found_and_gaps_are_reported(service: Service) -> None:
    plan = Plan("127.0.0.1", service.ocpp_port, "/ocpp", duration=1.0, warmup=0.2, rate=None)
    names = [f"LOAD-{i}" for i in range(4)]
    with trio.fail_after(30):
        result = await run_worker(plan, names)
    assert (result.errors, result.timeouts, result.connect_failures) == (0, 0, 0)
    assert result.messages > 0 and len(result.latencies_us) == result.messages
    assert all(o.stopped and o.acked_wh > METER_START for o in result.outcomes)
    _, key = api_key_for(service, "default")
    api_url = f"http://127.0.0.1:{service.http_port}"

    checked = await trio.to_thread.run_sync(verify, api_url, key, result.outcomes)
    assert checked["sessions_checked"] == 4 and checked["problems"] == {}
    recent = partial(verify, since=time.time() - 60)
    assert (await trio.to_thread.run_sync(recent, api_url, key, result.outcomes))["problems"] == {}
    later = partial(verify, since=time.time() + 3600)  # only sessions created after the run
    checked_later = await trio.to_thread.run_sync(later, api_url, key, result.outcomes)
    assert checked_later["problems"] == {"acknowledged session missing": 4}
    assert checked["energy_checked_wh"] == sum(o.acked_wh - METER_START for o in result.outcomes)

    first, second, *rest = result.outcomes
    claimed = [
        dataclasses.replace(first, acked_wh=first.acked_wh + 10, sent_wh=first.sent_wh + 10),
        dataclasses.replace(second, name="LOAD-never-connected"),
        *rest,
    ]
    checked = await trio.to_thread.run_sync(verify, api_url, key, claimed)
    # The never-connected charger has no station, so its session cannot be found either.
    assert checked["problems"] == {
        f"final energy {first.acked_wh - METER_START} Wh, acknowledged "
        f"{first.acked_wh + 10 - METER_START}": 1,
        "acknowledged session missing": 1,
    }


async def test_a_fixed_rate_keeps_its_schedule(service: Service) -> None:
    plan = Plan("127.0.0.1", service.ocpp_port, "/ocpp", duration=1.0, warmup=0.0, rate=5.0)
    with trio.fail_after(30):
        result = await run_worker(plan, ["RATE-1", "RATE-2"])
    assert result.errors == 0
    # 5 a second for one second each: the first due time has a random phase in [0, 0.2).
    assert 8 <= result.messages <= 10
    assert [o.stopped for o in result.outcomes] == [True, True]


def test_an_unstopped_session_may_hold_the_unanswered_value() -> None:
    from bench.load import _problem

    outcome = ChargerOutcome("X", transaction=1, acked_wh=1100, sent_wh=1110)
    active = {"status": "active", "energy_consumed": 110}
    assert _problem(outcome, [active]) is None
    assert _problem(outcome, [active | {"energy_consumed": 100}]) is None
    assert _problem(outcome, [active | {"energy_consumed": 90}]) == "energy 90 Wh, acknowledged 100"
    assert _problem(outcome, [active, active]) == "2 sessions for one transaction"
    stopped = dataclasses.replace(outcome, stopped=True, acked_wh=1110)
    assert _problem(stopped, [active]) == "stop acknowledged but status active"
