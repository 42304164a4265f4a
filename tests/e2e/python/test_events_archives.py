"""EventBridge archives and replays against Sluice with boto3: CreateArchive ... DeleteArchive with their errors,
events matching an archive's pattern kept with EventCount and SizeBytes, StartReplay re-sending a time range to
the named rules only with "replay-name" in the envelope, Describe/List/CancelReplay, retention on the adjustable
clock, and archives surviving kill -9."""
import datetime
import json
import signal
import time

import pytest

from conftest import REGION, Sluice
from test_events import ACCOUNT, client, drain, expect, queue, uid


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Sluice(tmp_path_factory.mktemp("events-archives"), '[testing]\nclock = "adjustable"\n')
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ev(srv):
    return client(srv.endpoint, "events")


@pytest.fixture(scope="module")
def sqs(srv):
    return client(srv.endpoint, "sqs")


def bus_with_rules(ev, sqs, names=("a", "b")):
    bus = "orders-" + uid()
    bus_arn = ev.create_event_bus(Name=bus)["EventBusArn"]
    queues, rules = {}, {}
    for n in names:
        url, arn = queue(sqs, f"{bus}-{n}")
        rules[n] = ev.put_rule(Name=n, EventBusName=bus, EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
        ev.put_targets(Rule=n, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        queues[n] = url
    return bus, bus_arn, queues, rules


def put(ev, bus, details):
    r = ev.put_events(Entries=[{"Source": "shop", "DetailType": "Order", "EventBusName": bus,
                                "Detail": json.dumps(d)} for d in details])
    assert r["FailedEntryCount"] == 0


def wait_state(ev, name, state, timeout=10):
    deadline = time.time() + timeout
    while True:
        r = ev.describe_replay(ReplayName=name)
        if r["State"] == state or time.time() > deadline:
            return r
        time.sleep(0.05)


def test_archive_lifecycle_and_errors(ev):
    bus = "arch-" + uid()
    bus_arn = ev.create_event_bus(Name=bus)["EventBusArn"]
    name = "arch-" + uid()
    created = ev.create_archive(ArchiveName=name, EventSourceArn=bus_arn, Description="orders",
                                EventPattern=json.dumps({"detail": {"keep": [True]}}), RetentionDays=7)
    assert created["ArchiveArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:archive/{name}"
    assert created["State"] == "ENABLED"
    d = ev.describe_archive(ArchiveName=name)
    assert d["EventSourceArn"] == bus_arn and d["RetentionDays"] == 7 and d["Description"] == "orders"
    assert d["EventCount"] == 0 and d["SizeBytes"] == 0
    assert json.loads(d["EventPattern"]) == {"detail": {"keep": [True]}}
    ev.update_archive(ArchiveName=name, RetentionDays=0, Description="all of them")
    d = ev.describe_archive(ArchiveName=name)
    assert d["RetentionDays"] == 0 and d["Description"] == "all of them"
    assert [a["ArchiveName"] for a in ev.list_archives(EventSourceArn=bus_arn)["Archives"]] == [name]
    assert [a["ArchiveName"] for a in ev.list_archives(NamePrefix=name)["Archives"]] == [name]
    expect(ev.create_archive, "ResourceAlreadyExistsException", f"Archive {name} already exists.",
           ArchiveName=name, EventSourceArn=bus_arn)
    expect(ev.create_archive, "ResourceNotFoundException", "Event bus nope does not exist.",
           ArchiveName="x-" + uid(), EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/nope")
    expect(ev.create_archive, "InvalidEventPatternException", ArchiveName="x-" + uid(), EventSourceArn=bus_arn,
           EventPattern='{"detail": "not-an-array"}')
    ev.delete_archive(ArchiveName=name)
    expect(ev.describe_archive, "ResourceNotFoundException", f"Archive {name} does not exist.", ArchiveName=name)
    expect(ev.delete_archive, "ResourceNotFoundException", f"Archive {name} does not exist.", ArchiveName=name)


def test_replay_sends_the_range_to_the_named_rules_with_its_name(srv, ev, sqs):
    bus, bus_arn, queues, rules = bus_with_rules(ev, sqs)
    archive = ev.create_archive(ArchiveName="arch-" + uid(), EventSourceArn=bus_arn,
                                EventPattern=json.dumps({"detail": {"keep": [True]}}))["ArchiveArn"]
    put(ev, bus, [{"id": 1, "keep": True}, {"id": 2, "keep": False}, {"id": 3, "keep": True}])
    live = drain(sqs, queues["a"], want=3)
    assert len(drain(sqs, queues["b"], want=3)) == 3
    times = [datetime.datetime.strptime(json.loads(m["Body"])["time"], "%Y-%m-%dT%H:%M:%SZ")
             .replace(tzinfo=datetime.timezone.utc) for m in live]
    d = ev.describe_archive(ArchiveName=archive.rsplit("/", 1)[1])
    assert d["EventCount"] == 2 and d["SizeBytes"] > 0
    srv.advance_clock(10)
    start, end = min(times) - datetime.timedelta(seconds=1), max(times) + datetime.timedelta(seconds=2)
    name = "replay-" + uid()
    expect(ev.start_replay, "ValidationException",
           "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
           ReplayName=name, EventSourceArn=archive, EventStartTime=end, EventEndTime=start,
           Destination={"Arn": bus_arn})
    expect(ev.start_replay, "ValidationException",
           "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
           ReplayName=name, EventSourceArn=archive, EventStartTime=start, EventEndTime=end,
           Destination={"Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"})
    expect(ev.start_replay, "ResourceNotFoundException", "Archive nope does not exist.", ReplayName=name,
           EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:archive/nope", EventStartTime=start,
           EventEndTime=end, Destination={"Arn": bus_arn})
    started = ev.start_replay(ReplayName=name, EventSourceArn=archive, EventStartTime=start, EventEndTime=end,
                              Destination={"Arn": bus_arn, "FilterArns": [rules["a"]]}, Description="again")
    assert started["State"] == "STARTING"
    assert started["ReplayArn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:replay/{name}"
    r = wait_state(ev, name, "COMPLETED")
    assert r["State"] == "COMPLETED", r
    assert r["Destination"] == {"Arn": bus_arn, "FilterArns": [rules["a"]]}
    assert r["EventSourceArn"] == archive and r["Description"] == "again"
    assert "ReplayEndTime" in r and "EventLastReplayedTime" in r
    replayed = [json.loads(m["Body"]) for m in drain(sqs, queues["a"], want=2)]
    assert sorted(e["detail"]["id"] for e in replayed) == [1, 3]
    assert all(e["replay-name"] == name for e in replayed)
    assert drain(sqs, queues["b"], want=1, tries=2) == []
    assert [x["ReplayName"] for x in ev.list_replays(NamePrefix=name)["Replays"]] == [name]
    assert ev.list_replays(NamePrefix=name, State="RUNNING")["Replays"] == []
    expect(ev.cancel_replay, "IllegalStatusException", ReplayName=name)
    expect(ev.start_replay, "ResourceAlreadyExistsException", f"Replay {name} already exists.", ReplayName=name,
           EventSourceArn=archive, EventStartTime=start, EventEndTime=end, Destination={"Arn": bus_arn})
    expect(ev.describe_replay, "ResourceNotFoundException", "Replay nope does not exist.", ReplayName="nope")
    # Replayed events were not archived again.
    assert ev.describe_archive(ArchiveName=archive.rsplit("/", 1)[1])["EventCount"] == 2


def test_retention_runs_on_the_clock_and_archives_survive_kill_9(tmp_path):
    s = Sluice(tmp_path, '[testing]\nclock = "adjustable"\n', data_dir=tmp_path / "data")
    try:
        ev = client(s.endpoint, "events")
        bus_arn = ev.create_event_bus(Name="orders")["EventBusArn"]
        ev.create_archive(ArchiveName="week", EventSourceArn=bus_arn, RetentionDays=1)
        ev.create_archive(ArchiveName="forever", EventSourceArn=bus_arn)
        put(ev, "orders", [{"id": i} for i in range(5)])
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(5)
        s.log.close()
        s.start()
        ev = client(s.endpoint, "events")
        assert ev.describe_archive(ArchiveName="week")["EventCount"] == 5
        s.advance_clock(2 * 86400)
        assert ev.describe_archive(ArchiveName="week")["EventCount"] == 0
        assert ev.describe_archive(ArchiveName="forever")["EventCount"] == 5
    finally:
        s.stop()
