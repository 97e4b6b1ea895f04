"""The live push on a real three-node Redis Cluster (LIVE_REDIS_CLUSTER): readings posted to a web server process
reach the dashboards of their ward, and only those, whichever shard a ward's channel lives on.

Started from the redis-server binary that the embedded default runs (Redis 6: PUBLISH, which the cluster bus
broadcasts) and, where the machine has one, a Redis 7 or later (sharded pub/sub: SPUBLISH and SSUBSCRIBE)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from clinic.live import channel_for, team_group
from tests.builders import make_device, make_patient, make_team, make_user
from tests.conftest import free_port, server_env, wait_for_port, web_server_command
from tests.processes import REDIS_SERVER, Process, dashboard, start_redis

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_CLI = str(Path(REDIS_SERVER).with_name("redis-cli"))


def cluster_port() -> int:
    """A free port whose cluster bus port (+10,000) is free too."""
    while True:
        port = free_port()
        if port + 10000 <= 65535:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


def redis_major(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.split("v=")[1].split(".")[0])


def newer_redis() -> str | None:
    found = shutil.which("redis-server")
    return found if found and redis_major(found) >= 7 else None


@pytest.fixture(params=["embedded", "sharded"])
def redis_cluster(request, tmp_path):
    """Three primaries, the 16,384 slots spread over them; yields the URL of one node and whether pub/sub is
    sharded."""
    binary = REDIS_SERVER if request.param == "embedded" else newer_redis()
    if binary is None:
        pytest.skip("no redis-server 7 or later on PATH for sharded pub/sub")
    ports = [cluster_port() for _ in range(3)]
    nodes = [start_redis(port, "--cluster-enabled", "yes", "--cluster-config-file", str(tmp_path / f"nodes-{port}"),
                         "--dir", str(tmp_path), binary=binary) for port in ports]
    try:
        subprocess.run([REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas",
                        "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while not all(redis.Redis(port=p).cluster("info")["cluster_state"] == "ok" for p in ports):
            assert time.monotonic() < deadline, "the cluster did not come up"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{ports[0]}/0", redis_major(binary) >= 7
    finally:
        for node in nodes:
            node.stop()


def post(base_url: str, token: str, reading: dict) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/readings/", data=json.dumps(reading).encode(),
                                     headers={"Authorization": f"Device {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def readings_until(ws, count: int, timeout: float = 20) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        assert time.monotonic() < deadline, f"got {got}"
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        got += [e for e in (frame["events"] if frame["type"] == "batch" else [frame]) if e["type"] == "reading"]
    return got


def test_readings_reach_their_wards_dashboards_over_a_redis_cluster(redis_cluster):
    live_url, sharded = redis_cluster
    cluster = redis.RedisCluster.from_url(live_url)
    wards = []
    for n in range(4):
        team = make_team(f"Cluster ward {n}")
        patient = make_patient(team)
        wards.append((team, make_user(f"nurse-cluster-{n}", team=team), patient, make_device(patient=patient)[1]))
    shards = {cluster.get_node_from_key(channel_for(team_group(team.id))).name for team, *_ in wards}
    assert len(shards) >= 2, "the wards' channels should spread over more than one shard"

    port = free_port()
    env = {**server_env(), "LIVE_REDIS_URL": live_url, "LIVE_REDIS_CLUSTER": "1"}
    web = Process(web_server_command(port), env=env, log_name=f"test-web-cluster-{port}.log")
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        sockets = [dashboard(base, nurse) for _, nurse, _, _ in wards]
        for ws in sockets:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        if sharded:  # each ward's subscription sits on the shard that owns its channel
            for team, *_ in wards:
                channel = channel_for(team_group(team.id))
                owner = cluster.get_node_from_key(channel).redis_connection
                assert owner.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1] == 1
        for n, (_, _, _, token) in enumerate(wards):
            for k in range(2):
                assert post(base, token, {"id": f"cl-{n}-{k}", "metric": "heart_rate", "value": 60 + n * 10 + k,
                                          "unit": "/min", "measured_at": dt.datetime.now(dt.UTC).isoformat()}) == 201
        for n, (ws, (_, _, patient, _)) in enumerate(zip(sockets, wards, strict=True)):
            got = readings_until(ws, 2)
            assert sorted((e["patient"], e["value"]) for e in got) == [(patient.id, 60.0 + n * 10),
                                                                       (patient.id, 61.0 + n * 10)]
        for ws in sockets:
            ws.close()
    finally:
        web.stop()
