"""Load test of the HTTP service: N clients for S seconds against a real `symbiosis serve`.

Usage: python benchmarks/load.py [--clients 200] [--seconds 60] [--database-url URL] [--workers 1]

It starts `symbiosis serve` on 127.0.0.1 (an SQLite file in a temporary folder, or a fresh schema
of the PostgreSQL database at --database-url), seeds a synthetic region (companies with their
listings, one key per company, facilitator and planner keys), and runs the clients with a think
time between calls:

- companies (60 % of the clients) create listings and change their quantity with If-Match,
- facilitators (25 %) page through listings, companies and rounds,
- planners (15 %) read the network, keystones, aggregates and listing statistics,
- and one matching round runs over the region the whole time (run again as soon as it ends).

Then it reads back every acknowledged write (each listing created or changed, with the version the
server answered) and counts the lost ones: a listing whose stored version is older than the last
one acknowledged, or whose content differs at that version. It prints requests, rate and p50, p95,
p99 per endpoint group, 5xx answers, timeouts and lost writes; ``run_load`` returns them for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

V1 = "/api/v1"
#: Shares of the clients by role (the rest are companies).
FACILITATOR_SHARE, PLANNER_SHARE = 0.25, 0.15
#: Limits of the targets: p99 seconds for reads and for writes.
READ_P99_S, WRITE_P99_S = 1.0, 2.0
#: Seconds a client keeps an idle connection (uvicorn closes them after 5 s).
KEEPALIVE_S = 3.0
#: Seconds the server gets to start and to stop.
START_TIMEOUT_S, STOP_TIMEOUT_S = 60, 30
PLANNER_PATHS = ("/analytics/network", "/analytics/keystones", "/analytics/aggregates?by=municipality",
                 "/stats/listings")


# --- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def symbiosis_command() -> list[str]:
    """The `symbiosis` command of this Python environment."""
    return [sys.executable, "-c", "from service.cli import main; main()"]


@contextmanager
def fresh_database(database_url: str | None):
    """A database URL only this run uses: an SQLite file in a temporary folder, or a new PostgreSQL schema."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'load.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(database_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def server_env(database_url: str, port: int, **settings: str) -> dict[str, str]:
    env = {**os.environ, "SYMBIOSIS_DATABASE_URL": database_url, "SYMBIOSIS_HOST": "127.0.0.1",
           "SYMBIOSIS_PORT": str(port)}
    env.update({f"SYMBIOSIS_{name.upper()}": value for name, value in settings.items()})
    return env


def create_admin_key(env: dict[str, str]) -> str:
    out = subprocess.run([*symbiosis_command(), "admin", "create-key", "--role", "admin", "--label", "load"],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def wait_until_up(base: str, process: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base}{V1}/rounds", timeout=2).status_code == 401:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout} s")


@contextmanager
def running_server(env: dict[str, str], *extra: str, log: Path | None = None):
    """`symbiosis serve` on 127.0.0.1 with ``env``; yields (base URL, process) and stops it afterwards."""
    base = f"http://127.0.0.1:{env['SYMBIOSIS_PORT']}"
    out = open(log, "ab") if log else subprocess.DEVNULL
    process = subprocess.Popen([*symbiosis_command(), "serve", *extra], env=env, stdout=out, stderr=out)
    try:
        wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log:
            out.close()


# --- seeding ----------------------------------------------------------------------------------------


@dataclass
class Region:
    facilitator: dict[str, str]
    planner: dict[str, str]
    companies: dict[str, dict[str, str]]  #: company_id -> headers of its key
    listings: dict[str, list[str]]  #: company_id -> its listing ids


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _make_key(client: httpx.AsyncClient, admin: dict, role: str, company_id: str | None = None) -> dict:
    body = {"role": role, "label": "load"} | ({"company_id": company_id} if company_id else {})
    response = await client.post(f"{V1}/keys", json=body, headers=admin)
    response.raise_for_status()
    return _headers(response.json()["key"])


async def seed(client: httpx.AsyncClient, admin_key: str, n_listings: int, seed_: int = 11) -> Region:
    """A synthetic region posted through the API: its companies, listings and keys."""
    from symbiosis.synthetic import generate_region

    admin = _headers(admin_key)
    companies, listings = generate_region(n_listings=n_listings, seed=seed_)
    companies, listings = companies.astype(str).replace("nan", ""), listings.astype(str).replace("nan", "")
    facilitator = await _make_key(client, admin, "facilitator")
    planner = await _make_key(client, admin, "planner")
    fields = ("company_id", "name", "nace", "lat", "lon", "municipality")

    async def add_company(row: dict) -> tuple[str, dict]:
        body = {k: row[k] for k in fields if row.get(k, "") != ""}
        body["lat"], body["lon"] = float(body["lat"]), float(body["lon"])
        body["consent_planner"] = random.Random(row["company_id"]).random() < 0.3
        (await client.post(f"{V1}/companies", json=body, headers=facilitator)).raise_for_status()
        return row["company_id"], await _make_key(client, admin, "company", row["company_id"])

    keys = dict(await asyncio.gather(*(add_company(r) for r in companies.to_dict("records"))))
    owned: dict[str, list[str]] = defaultdict(list)

    async def add_listing(row: dict) -> None:
        body = {k: v for k, v in row.items() if v != ""}
        body["quantity"] = float(body["quantity"])
        response = await client.post(f"{V1}/listings", json=body, headers=facilitator)
        response.raise_for_status()
        owned[row["company_id"]].append(row["listing_id"])

    semaphore = asyncio.Semaphore(20)

    async def limited(row: dict) -> None:
        async with semaphore:
            await add_listing(row)

    await asyncio.gather(*(limited(r) for r in listings.to_dict("records")))
    return Region(facilitator, planner, keys, dict(owned))


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    status: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    timeouts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: listing_id -> (version, description) of the last write the server acknowledged
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)
    writes: int = 0


@dataclass
class Load:
    client: httpx.AsyncClient
    region: Region
    stats: Stats
    until: float
    think_s: float
    rng: random.Random

    async def call(self, group: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await self.client.request(method, f"{V1}{path}", **kwargs)
        except httpx.TimeoutException:
            self.stats.timeouts[group] += 1
            return None
        except httpx.HTTPError:
            self.stats.errors[group] += 1
            return None
        self.stats.latencies[group].append(time.monotonic() - started)
        self.stats.status[group][response.status_code] += 1
        return response

    async def think(self) -> bool:
        pause = self.rng.expovariate(1 / self.think_s) if self.think_s else 0.0
        await asyncio.sleep(max(0.0, min(pause, self.until - time.monotonic())))
        return time.monotonic() < self.until

    def acknowledge(self, response: httpx.Response) -> None:
        body = response.json()
        previous = self.stats.acknowledged.get(body["listing_id"], (0, ""))
        if body["version"] >= previous[0]:
            self.stats.acknowledged[body["listing_id"]] = (body["version"], body["description"])
        self.stats.writes += 1

    async def company(self, company_id: str) -> None:
        headers = self.region.companies[company_id]
        mine = self.region.listings.setdefault(company_id, [])
        etags: dict[str, str] = {}
        while await self.think():
            roll = self.rng.random()
            if roll < 0.3 or not mine:
                listing_id = f"{company_id}-load-{uuid.uuid4().hex[:10]}"
                body = {"listing_id": listing_id, "company_id": company_id, "kind": self.rng.choice(["offer", "need"]),
                        "material": self.rng.choice(["10 01 05", "10 01 02", "02 03 04", "gypsum"]),
                        "quantity": self.rng.randint(10, 5000), "unit": "t/yr", "description": uuid.uuid4().hex}
                response = await self.call("write: create listing", "POST", "/listings", json=body, headers=headers)
                if response is not None and response.status_code == 201:
                    self.acknowledge(response)
                    mine.append(listing_id)
                    etags[listing_id] = response.headers["ETag"]
            elif roll < 0.75:
                listing_id = self.rng.choice(mine)
                if listing_id not in etags:
                    response = await self.call("read: listing", "GET", f"/listings/{listing_id}", headers=headers)
                    if response is None or response.status_code != 200:
                        continue
                    etags[listing_id] = response.headers["ETag"]
                change = {"description": uuid.uuid4().hex, "quantity": self.rng.randint(10, 5000)}
                response = await self.call("write: update listing", "PATCH", f"/listings/{listing_id}", json=change,
                                           headers={**headers, "If-Match": etags[listing_id]})
                if response is not None and response.status_code == 200:
                    self.acknowledge(response)
                    etags[listing_id] = response.headers["ETag"]
                else:
                    etags.pop(listing_id, None)  # 409: someone changed it meanwhile; read it again next time
            else:
                await self.call("read: listings", "GET", "/listings?limit=50", headers=headers)

    async def facilitator(self) -> None:
        headers = self.region.facilitator
        while await self.think():
            roll = self.rng.random()
            if roll < 0.5:
                offset = self.rng.randint(0, 200)
                await self.call("read: listings", "GET", f"/listings?limit=50&offset={offset}", headers=headers)
            elif roll < 0.8:
                await self.call("read: companies", "GET", "/companies?limit=50", headers=headers)
            else:
                await self.call("read: rounds", "GET", "/rounds?limit=20", headers=headers)

    async def planner(self) -> None:
        while await self.think():
            await self.call("read: analytics", "GET", self.rng.choice(PLANNER_PATHS), headers=self.region.planner)

    async def rounds(self) -> int:
        """Keep one round running over the region; return how many runs ended."""
        headers, ended, round_id = self.region.facilitator, 0, None
        while time.monotonic() < self.until:
            if round_id is None:
                response = await self.call("write: round", "POST", "/rounds", json={"name": "load"}, headers=headers)
                round_id = response.json()["id"] if response is not None and response.status_code == 202 else None
            else:
                response = await self.call("read: rounds", "GET", f"/rounds/{round_id}", headers=headers)
                if response is not None and response.status_code == 200 and response.json()["status"] not in (
                        "queued", "running"):
                    ended += 1
                    await self.call("write: round", "POST", f"/rounds/{round_id}/run", headers=headers)
            await asyncio.sleep(1.0)
        return ended


async def verify(client: httpx.AsyncClient, region: Region, stats: Stats) -> int:
    """Read back every acknowledged listing; return how many writes were lost."""
    semaphore = asyncio.Semaphore(20)
    lost = 0

    async def check(listing_id: str, version: int, description: str) -> None:
        nonlocal lost
        async with semaphore:
            response = await client.get(f"{V1}/listings/{listing_id}", headers=region.facilitator)
        if response.status_code != 200:
            lost += 1
            return
        stored = response.json()
        if stored["version"] < version or (stored["version"] == version and stored["description"] != description):
            lost += 1

    await asyncio.gather(*(check(i, v, d) for i, (v, d) in stats.acknowledged.items()))
    return lost


# --- the report -------------------------------------------------------------------------------------


@dataclass
class Report:
    clients: int
    seconds: float
    backend: str
    groups: dict[str, dict]
    requests: int
    server_errors: int
    timeouts: int
    transport_errors: int
    writes_acknowledged: int
    listings_checked: int
    lost_writes: int
    rounds_ended: int

    @property
    def worst_p99(self) -> dict[str, float]:
        worst = {"read": 0.0, "write": 0.0}
        for name, group in self.groups.items():
            kind = name.split(":")[0]
            worst[kind] = max(worst[kind], group["p99"])
        return worst

    def meets_targets(self) -> bool:
        return (self.server_errors == 0 and self.timeouts == 0 and self.transport_errors == 0
                and self.lost_writes == 0 and self.worst_p99["read"] < READ_P99_S
                and self.worst_p99["write"] < WRITE_P99_S)

    def table(self) -> str:
        lines = [f"{self.backend}: {self.clients} clients x {self.seconds:g} s, {self.requests} requests "
                 f"({self.requests / self.seconds:.0f}/s)",
                 "| endpoint group | requests | rate /s | p50 s | p95 s | p99 s | 5xx | timeouts |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, g in sorted(self.groups.items()):
            lines.append(f"| {name} | {g['requests']} | {g['requests'] / self.seconds:.1f} | {g['p50']:.3f} | "
                         f"{g['p95']:.3f} | {g['p99']:.3f} | {g['5xx']} | {g['timeouts']} |")
        lines.append(f"5xx: {self.server_errors}, timeouts: {self.timeouts}, connection errors: "
                     f"{self.transport_errors}; writes acknowledged: {self.writes_acknowledged} on "
                     f"{self.listings_checked} listings, lost: {self.lost_writes}; round runs ended: "
                     f"{self.rounds_ended}; targets met: {'yes' if self.meets_targets() else 'NO'}")
        return "\n".join(lines)


def _report(stats: Stats, clients: int, seconds: float, backend: str, lost: int, rounds_ended: int) -> Report:
    groups = {}
    for name in set(stats.latencies) | set(stats.timeouts):
        times = np.array(stats.latencies.get(name, [0.0]))
        groups[name] = {
            "requests": len(stats.latencies.get(name, [])) + stats.timeouts.get(name, 0),
            "p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
            "p99": float(np.percentile(times, 99)),
            "5xx": sum(n for code, n in stats.status[name].items() if code >= 500),
            "timeouts": stats.timeouts.get(name, 0),
        }
    return Report(clients, seconds, backend, groups, sum(g["requests"] for g in groups.values()),
                  sum(g["5xx"] for g in groups.values()), sum(stats.timeouts.values()), sum(stats.errors.values()),
                  stats.writes, len(stats.acknowledged), lost, rounds_ended)


async def _drive(base: str, admin_key: str, clients: int, seconds: float, listings: int, think_s: float,
                 timeout_s: float, backend: str) -> Report:
    # idle connections are dropped before the server's keep-alive timeout (5 s) can close them under a request
    limits = httpx.Limits(max_connections=clients + 20, max_keepalive_connections=clients + 20,
                          keepalive_expiry=KEEPALIVE_S)
    async with httpx.AsyncClient(base_url=base, timeout=timeout_s, limits=limits) as client:
        region = await seed(client, admin_key, listings)
        stats = Stats()
        load = Load(client, region, stats, time.monotonic() + seconds, think_s, random.Random(5))
        n_facilitators, n_planners = round(clients * FACILITATOR_SHARE), round(clients * PLANNER_SHARE)
        company_ids = sorted(region.companies)
        tasks = [load.facilitator() for _ in range(n_facilitators)]
        tasks += [load.planner() for _ in range(n_planners)]
        tasks += [load.company(company_ids[i % len(company_ids)]) for i in range(clients - n_facilitators - n_planners)]
        started = time.monotonic()
        *_, rounds_ended = await asyncio.gather(*tasks, load.rounds())
        elapsed = time.monotonic() - started
        lost = await verify(client, region, stats)
    return _report(stats, clients, elapsed, backend, lost, rounds_ended)


def run_load(clients: int, seconds: float, database_url: str | None = None, *, listings: int = 400,
             think_s: float = 1.0, timeout_s: float = 30.0, workers: int = 1, log: Path | None = None,
             **settings: str) -> Report:
    """Start a server on a fresh database, seed it, run the load and verify the writes."""
    backend = "SQLite" if database_url is None else "PostgreSQL"
    with fresh_database(database_url) as url:
        env = server_env(url, free_port(), **settings)
        admin_key = create_admin_key(env)
        extra = ("--workers", str(workers)) if workers > 1 else ()
        with running_server(env, *extra, log=log) as (base, _process):
            return asyncio.run(_drive(base, admin_key, clients, seconds, listings, think_s, timeout_s, backend))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema is used); default: an SQLite file")
    parser.add_argument("--listings", type=int, default=400, help="listings of the seeded region")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a client waits between calls")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds after which a call counts as timed out")
    parser.add_argument("--workers", type=int, default=1, help="server processes (symbiosis serve --workers)")
    parser.add_argument("--log", type=Path, help="append the server's output to this file")
    args = parser.parse_args()
    report = run_load(args.clients, args.seconds, args.database_url, listings=args.listings, think_s=args.think,
                      timeout_s=args.timeout, workers=args.workers, log=args.log)
    print(report.table())
    sys.exit(0 if report.meets_targets() else 1)


if __name__ == "__main__":
    main()
