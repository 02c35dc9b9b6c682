"""The service at scale: import, round and resilience of a synthetic region through the HTTP API.

Usage: python benchmarks/service.py [--sizes 10000 100000] [--database-url URL]

For each size it generates a synthetic Trekantområdet region (``symbiosis.synthetic``), starts the
service in process on a fresh SQLite file (or the given database) and measures, through the API as a
facilitator uses it: the import of the two CSV files (and a second import that updates every row),
one matching round with the default options until it succeeds, resilience analyses closing the
company with the most proposals (the first also matches, once for this data version, the baseline
of the material components it touches) and then the next one (reusing what it shares with the
first), and a scenario closing both (whole-region totals: it matches the baseline of every
component not matched yet). It prints seconds and the server's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(n_listings: int, database_url: str | None, seed: int = 1) -> dict:
    """Import, round and resilience times of one region size."""
    from collections import Counter

    from service.settings import Settings
    from symbiosis.synthetic import write_region
    from tests.helpers import create_app_client, new_key

    row: dict = {"listings": n_listings}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        row["companies"], _ = write_region(tmp, n_listings=n_listings, seed=seed)
        settings = Settings(database_url=database_url or f"sqlite:///{tmp / 'service.db'}",
                            max_upload_bytes=500_000_000, import_max_rows=2_000_000, max_time_limit_s=3600)
        with create_app_client(settings) as (client, app):
            key = {"Authorization": f"Bearer {new_key(app, 'facilitator')}"}
            files = {name: (f"{name}.csv", (tmp / f"{name}.csv").read_bytes(), "text/csv")
                     for name in ("companies", "listings")}
            for label in ("import_s", "reimport_s"):
                started = time.perf_counter()
                answer = client.post("/api/v1/imports", files=files, headers=key)
                row[label] = time.perf_counter() - started
                assert answer.status_code == 200, answer.text[:500]
            started = time.perf_counter()
            created = client.post("/api/v1/rounds", json={"name": f"{n_listings} listings"}, headers=key)
            assert created.status_code == 202, created.text[:500]
            round_id = created.json()["id"]
            app.state.jobs.wait(round_id, timeout=3600)
            round_ = client.get(f"/api/v1/rounds/{round_id}", headers=key).json()
            row["round_s"] = time.perf_counter() - started
            # A finished round warms the planner's analytics in a thread of its own; the questions below
            # are timed after it, so that they do not share the two cores with it.
            started = time.perf_counter()
            for thread in threading.enumerate():
                if thread.name.startswith("after-round-"):
                    thread.join()
            row["warm_up_s"] = time.perf_counter() - started
            row["round_status"] = round_["status"]
            row["proposals"] = round_["summary"]["counts"]["exchanges"] if round_["summary"] else 0
            proposals = client.get("/api/v1/proposals", params={"round_id": round_id, "limit": 500},
                                   headers=key).json()["data"]
            busiest = Counter(p["supplier_id"] for p in proposals).most_common(2)
            # The first closure also matches the baseline of the components it touches; the next reuses what it shares.
            row["closed"] = [company for company, _count in busiest]
            for label, (company, _count) in zip(("resilience_s", "resilience_warm_s"), busiest):
                started = time.perf_counter()
                report = client.post("/api/v1/analytics/resilience", json={"remove": [company]}, headers=key)
                row[label] = time.perf_counter() - started
                assert report.status_code == 200, report.text[:500]
            started = time.perf_counter()
            scenario = client.post("/api/v1/analytics/scenarios", headers=key, json={
                "name": "close the two busiest", "remove_companies": [c for c, _count in busiest]})
            row["scenario_s"] = time.perf_counter() - started
            assert scenario.status_code == 201, scenario.text[:500]
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=None, help="A PostgreSQL URL instead of a fresh SQLite file.")
    args = parser.parse_args()
    print("| listings | companies | import s | re-import s | round s | warm-up s | proposals | resilience s (first) | "
          "resilience s (next) | scenario s | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    closed = []
    for size in args.sizes:
        r = measure(size, args.database_url)
        closed.append(f"{size:,} listings: {', '.join(r.get('closed', []))}")
        print(f"| {r['listings']:,} | {r['companies']:,} | {r['import_s']:.1f} | {r['reimport_s']:.1f} | "
              f"{r['round_s']:.1f} ({r['round_status']}) | {r['warm_up_s']:.1f} | {r['proposals']:,} | {r.get('resilience_s', float('nan')):.1f} | "
              f"{r.get('resilience_warm_s', float('nan')):.1f} | {r.get('scenario_s', float('nan')):.1f} | "
              f"{r['peak_mb']:,.0f} |", flush=True)
    print("\nClosed (first, next): " + "; ".join(closed))


if __name__ == "__main__":
    main()
