"""`make bench`: the shop under gunicorn with production settings on PostgreSQL, against bare
baselines measured in the same run. Everything talks to 127.0.0.1 only, every loop is bounded in
count and time, and every process started here is stopped here.

    .venv/bin/python benchmarks/run.py [--quick] [--keep-db] [--only PHASES]

Phases: catalog, checkout, memory, claims, reminders (all by default).

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/xinglin_bench;
the database is dropped and created by this script) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/14; that database index is flushed). Uses `wrk` when installed
(`apt-get install -y wrk`), otherwise a Python keep-alive load generator.

Production settings with four deliberate changes, all because the load comes over plain HTTP
from one loopback address: SECURE_SSL_REDIRECT and the secure-cookie flags are off (no TLS
here), and the API throttle rates are raised out of reach (one IP sending thousands of requests a
second would be throttled after 60); the throttles still run, with their Redis round trips.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import loadgen  # noqa: E402
from benchmarks.stats import LoadResult, Target, best_of, ratio  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/xinglin_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
OUT_DIR = ROOT / "var" / "bench"
# As the production command in README.md runs it.
WORKERS = 4
CHECKOUT_PATH = "/api/v1/checkout/"
CATALOG_PATH = "/api/v1/products/"
BASELINE_PATH = "/bench/baseline/products/"
BASELINE_CHECKOUT_PATH = "/bench/baseline/checkout/"
CHECKOUT_BODY = {
    "delivery_method": "express",
    "recipient_name": "张三",
    "recipient_phone": "13800138000",
    "city": "上海",
    "address": "浦东新区世纪大道100号",
}


class Plan:
    """How long and how much; `--quick` is a smoke run of about two minutes."""

    def __init__(self, quick: bool):
        self.quick = quick
        self.products = 2000 if quick else 3000
        self.load_seconds = 4 if quick else 10
        self.warm_seconds = 1 if quick else 3
        self.rounds = 1 if quick else 3
        self.connections = 2 * WORKERS
        self.race_buyers = 200
        self.race_stock = 10
        self.checkout_orders = 200 if quick else 600
        self.checkout_concurrency = 8
        self.memory_requests = 3_000 if quick else 10_000
        self.claims = 2_000 if quick else 10_000
        self.claim_policies = 100 if quick else 500
        # The engine pass stops here (the baseline then does the claims it did).
        self.claims_seconds = 120 if quick else 300
        self.reminders = 10_000 if quick else 100_000
        self.reminder_recipients = 1_000 if quick else 10_000
        self.budget_seconds = 300 if quick else 900


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def pss_kib(pid: int) -> int:
    """Proportional set size: the worker's private pages plus its share of the pages it shares
    with the master and the other workers (copy-on-write after the fork). What adding a
    worker costs is closer to this than to RSS."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss for {pid}")


class Gunicorn:
    """A gunicorn master with sync workers on a free loopback port, in its own process group."""

    def __init__(
        self, name: str, app: str, env: dict[str, str], ready_path: str, workers: int = WORKERS
    ):
        self.name = name
        self.worker_count = workers
        self.app = app
        self.env = env
        self.ready_path = ready_path
        self.port = free_port()
        self.log_path = OUT_DIR / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        cmd = [
            str(gunicorn),
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.worker_count),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        client = loadgen.Client(self.port, timeout=5)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited; see {self.log_path}")
            try:
                if client.request("GET", self.ready_path).status == 200 and (
                    len(self.workers()) == self.worker_count
                ):
                    return self
            except OSError:
                pass
            client.close()
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.name} did not answer; see {self.log_path}")

    def workers(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def serving(server: Gunicorn):
    try:
        yield server.start()
    finally:
        server.stop()


# --- database -----------------------------------------------------------------------------


def database_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def deadlocks(url: str) -> int:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def scratch_tables_create(url: str) -> None:
    """The bare project's copy of the listed products, and the raw checkout loop's tables."""
    import psycopg

    from benchmarks.bare import TABLE

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"CREATE TABLE {TABLE} AS SELECT id, sku, kind, name_zh, name_en, brand, "
            "pack_description, price, image, is_prescription, purchase_limit, category_id, "
            "stock_on_hand, stock_reserved, manufacturer, approval_number, description "
            "FROM pharmacy_product"
        )
        conn.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        conn.execute("DROP TABLE IF EXISTS bench_raw_order, bench_raw_stock")
        conn.execute(
            "CREATE TABLE bench_raw_stock (id integer PRIMARY KEY, "
            "stock integer NOT NULL CHECK (stock >= 0))"
        )
        conn.execute(
            "CREATE TABLE bench_raw_order (id bigserial PRIMARY KEY, "
            "product_id integer NOT NULL REFERENCES bench_raw_stock, quantity integer NOT NULL, "
            "created_at timestamptz NOT NULL)"
        )
        conn.execute("ANALYZE")


# --- phases -------------------------------------------------------------------------------


def load(plan: Plan, port: int, label: str, path: str, seconds: float) -> LoadResult:
    if loadgen.wrk_path():
        return loadgen.run_wrk(
            label=label, port=port, path=path, seconds=seconds, connections=plan.connections
        )
    return loadgen.run_python(
        label=label, port=port, paths=[path], seconds=seconds, connections=plan.connections
    )


def get_json(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    client = loadgen.Client(port)
    try:
        reply = client.request("GET", path, headers=headers)
    finally:
        client.close()
    try:
        return reply.status, json.loads(reply.body)
    except ValueError:
        return reply.status, reply.body[:300].decode(errors="replace")


def page_ids(body: Any) -> list[int]:
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return [row["id"] for row in body["results"]]
    return []


def follow(port: int, path: str, pages: int) -> str:
    """The path of page `pages` (1-based), following each page's `next` link."""
    for _ in range(pages - 1):
        status, body = get_json(port, path)
        if status != 200 or not body.get("next"):
            raise RuntimeError(f"{path}: no next page (status {status})")
        path = loadgen.split_url(body["next"])
    return path


def paired_median(api_runs: list, base_runs: list, figure) -> float:
    ratios = sorted(ratio(figure(a), figure(b)) for a, b in zip(api_runs, base_runs, strict=True))
    return ratios[len(ratios) // 2] if ratios else math.nan


def catalog_phase(plan: Plan, app: Gunicorn, report: dict) -> list[Target]:
    scenarios = [
        ("list page 1", "", 1),
        ("list page 3 (cursor)", "", 3),
        ("search q=blf", "?q=blf", 1),
        ("search q=ibuprofen", "?q=ibuprofen", 1),
    ]
    targets: list[Target] = []
    report["catalog"] = {}
    for name, query, page in scenarios:
        try:
            api_path = follow(app.port, CATALOG_PATH + query, page)
            base_path = follow(app.port, BASELINE_PATH + query, page)
        except RuntimeError as error:
            print(f"\n[catalog] {name}: not measured: {error}")
            targets.append(Target(f"catalog {name}: throughput", math.nan, 0.6, "at_least"))
            targets.append(Target(f"catalog {name}: p99 latency", math.nan, 3.0, "at_most"))
            continue
        api_status, api_body = get_json(app.port, api_path)
        base_status, base_body = get_json(app.port, base_path)
        same = page_ids(api_body) == page_ids(base_body) and bool(page_ids(api_body))
        print(f"\n[catalog] {name}: {api_path}  vs  {base_path}")
        print(
            f"  same page: {'yes' if same else 'NO'} "
            f"({len(page_ids(api_body))} products, statuses {api_status}/{base_status})"
        )
        if api_status != 200:
            print(f"  API answered {api_status}: {str(api_body)[:300]}")
        load(plan, app.port, "warm", api_path, plan.warm_seconds)
        load(plan, app.port, "warm", base_path, plan.warm_seconds)
        api_runs, base_runs = [], []
        for _ in range(plan.rounds):
            # Alternate, so drift on a shared machine hits both sides alike.
            base_runs.append(load(plan, app.port, "baseline", base_path, plan.load_seconds))
            api_runs.append(load(plan, app.port, "API", api_path, plan.load_seconds))
        api, base = best_of(api_runs), best_of(base_runs)
        api.label, base.label = f"  API {name}", f"  baseline {name}"
        print(base.line())
        print(api.line())
        # Each round's API run is paired with the baseline run just before it; the median of
        # the paired ratios resists load from other processes drifting across the run.
        throughput = paired_median(api_runs, base_runs, lambda r: r.rps)
        p99 = paired_median(api_runs, base_runs, lambda r: r.p99_ms)
        pairs = zip(api_runs, base_runs, strict=True)
        rounds = ", ".join(f"{ratio(a.rps, b.rps):.2f}" for a, b in pairs)
        print(f"  throughput ratio per round: {rounds} (median counts; lines above: best runs)")
        if any(r.non_2xx or r.errors for r in api_runs):
            throughput = p99 = math.nan  # errors are not throughput
        targets.append(Target(f"catalog {name}: throughput", throughput, 0.6, "at_least"))
        targets.append(Target(f"catalog {name}: p99 latency", p99, 3.0, "at_most"))
        report["catalog"][name] = {
            "api_path": api_path,
            "baseline_path": base_path,
            "same_page": same,
            "api": api.as_dict(),
            "baseline": base.as_dict(),
            "api_runs": [r.as_dict() for r in api_runs],
            "baseline_runs": [r.as_dict() for r in base_runs],
            "throughput_ratio": throughput,
            "p99_ratio": p99,
        }
    return targets


def checkout_calls(buyers: list, tag: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    body = json.dumps(CHECKOUT_BODY).encode()
    return [
        (
            "POST",
            CHECKOUT_PATH,
            body,
            {
                "Content-Type": "application/json",
                "X-Session-Token": buyer.session_token,
                "Idempotency-Key": f"bench-{tag}-{i}-{secrets.token_hex(4)}",
            },
        )
        for i, buyer in enumerate(buyers)
    ]


def fire(port: int, calls: list, concurrency: int, timeout: float) -> tuple[float, list]:
    replies: list[Any] = [None] * len(calls)

    def keep(index: int, reply: Any) -> None:
        replies[index] = reply

    elapsed = loadgen.fire_at_once(
        port, calls, concurrency=concurrency, timeout=timeout, on_reply=keep
    )
    return elapsed, replies


def status_counts(replies: list) -> Counter:
    counts: Counter = Counter()
    for reply in replies:
        if reply is None:
            counts["no reply"] += 1
        elif isinstance(reply, Exception):
            counts[type(reply).__name__] += 1
        else:
            counts[str(reply.status)] += 1
    return counts


def checkout_race(plan: Plan, app: Gunicorn, url: str, report: dict) -> list[Target]:
    from benchmarks.seed import buyers_create, hot_product_create
    from pharmacy.models import Order, OrderLine, Product

    product_id = hot_product_create(stock=plan.race_stock, label="race")
    buyers = buyers_create(count=plan.race_buyers, product_id=product_id, label="race")
    deadlocks_before = deadlocks(url)
    log_before = len(app.log_text())

    # Watch the product row while the race runs: sellable stock must never go below zero.
    lowest = {"available": plan.race_stock, "samples": 0}
    stop = threading.Event()

    def watch() -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.is_set():
                on_hand, reserved = conn.execute(
                    "SELECT stock_on_hand, stock_reserved FROM pharmacy_product WHERE id = %s",
                    (product_id,),
                ).fetchone()
                lowest["available"] = min(lowest["available"], on_hand - reserved, on_hand)
                lowest["samples"] += 1
                stop.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        elapsed, replies = fire(
            app.port,
            checkout_calls(buyers, "race"),
            concurrency=plan.race_buyers,
            timeout=120,
        )
    finally:
        stop.set()
        watcher.join(5)
    time.sleep(1.5)  # PostgreSQL publishes its statistics counters within a second
    counts = status_counts(replies)
    orders = Order.objects.filter(lines__product_id=product_id).distinct().count()
    packs = sum(OrderLine.objects.filter(product_id=product_id).values_list("quantity", flat=True))
    product = Product.objects.get(pk=product_id)
    server_errors = sum(n for code, n in counts.items() if code.isdigit() and int(code) >= 500)
    log = app.log_text()[log_before:]
    deadlock_lines = len(re.findall(r"deadlock detected", log, re.IGNORECASE))
    new_deadlocks = deadlocks(url) - deadlocks_before
    oversold = max(packs - plan.race_stock, 0) + max(-lowest["available"], 0)
    oversold += max(product.stock_reserved - product.stock_on_hand, 0)
    print(
        f"\n[checkout race] {plan.race_buyers} buyers, {plan.race_stock} packs, "
        f"{elapsed:.2f} s: statuses {dict(sorted(counts.items()))}"
    )
    print(
        f"  orders {orders}, packs sold {packs}, on hand {product.stock_on_hand}, "
        f"reserved {product.stock_reserved}, lowest sellable seen {lowest['available']} "
        f"({lowest['samples']} samples), deadlocks {new_deadlocks} (log: {deadlock_lines}), "
        f"5xx {server_errors}"
    )
    if counts and not any(code.startswith("2") for code in counts):
        sample = next((r for r in replies if r is not None and not isinstance(r, Exception)), None)
        if sample is not None:
            print(f"  e.g. {sample.status}: {sample.body[:300].decode(errors='replace')}")
    report["checkout_race"] = {
        "buyers": plan.race_buyers,
        "stock": plan.race_stock,
        "seconds": elapsed,
        "statuses": dict(counts),
        "orders": orders,
        "packs_sold": packs,
        "stock_on_hand": product.stock_on_hand,
        "stock_reserved": product.stock_reserved,
        "lowest_sellable_seen": lowest["available"],
        "oversold": oversold,
        "deadlocks": new_deadlocks,
        "deadlock_log_lines": deadlock_lines,
        "server_errors": server_errors,
    }
    return [
        Target("checkout race: orders (exactly the stock)", orders, plan.race_stock, "exactly", ""),
        Target("checkout race: packs oversold", oversold, 0, "at_most", ""),
        Target("checkout race: deadlocks", new_deadlocks + deadlock_lines, 0, "at_most", ""),
        Target("checkout race: server errors (5xx)", server_errors, 0, "at_most", ""),
    ]


def raw_checkout_loop(url: str, *, transactions: int, concurrency: int) -> LoadResult:
    """The floor of a checkout: lock the stock row, decrement, insert an order row, commit."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE bench_raw_order")
        conn.execute("DELETE FROM bench_raw_stock")
        conn.execute("INSERT INTO bench_raw_stock (id, stock) VALUES (1, %s)", (10**9,))
    lock = threading.Lock()
    remaining = {"n": transactions}
    latencies: list[float] = []
    failures = Counter()
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        mine: list[float] = []
        with psycopg.connect(url) as conn:
            barrier.wait(timeout=60)
            while True:
                with lock:
                    if remaining["n"] <= 0:
                        break
                    remaining["n"] -= 1
                started = time.perf_counter()
                try:
                    with conn.transaction():
                        conn.execute("SELECT stock FROM bench_raw_stock WHERE id = 1 FOR UPDATE")
                        conn.execute("UPDATE bench_raw_stock SET stock = stock - 1 WHERE id = 1")
                        conn.execute(
                            "INSERT INTO bench_raw_order (product_id, quantity, created_at) "
                            "VALUES (1, 1, now())"
                        )
                except psycopg.Error as error:
                    failures[type(error).__name__] += 1
                    continue
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    started = time.perf_counter()
    for t in threads:
        t.join(120)
    elapsed = time.perf_counter() - started
    from benchmarks.stats import percentile

    return LoadResult(
        label="  raw psycopg lock-and-decrement",
        url="bench_raw_stock",
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=sum(failures.values()),
        tool="psycopg",
    )


def checkout_ceiling(app: Gunicorn, buyers: list, *, n: int, concurrency: int) -> LoadResult:
    """The checkout endpoint answering signed-in buyers whose body it refuses (400, nothing
    written): session lookup, throttle, parsing and validation, none of the checkout itself.
    No checkout can be faster than this through the same server and stack."""
    calls = [
        (
            "POST",
            CHECKOUT_PATH,
            b"{}",
            {"Content-Type": "application/json", "X-Session-Token": buyer.session_token},
        )
        for buyer in buyers[:n]
    ]
    elapsed, replies = fire(app.port, calls, concurrency=concurrency, timeout=120)
    result = replies_result(
        "  API refusing an empty body (400)", replies, elapsed, lambda status: status == 400
    )
    # Here a 400 is the expected answer; anything else is an error.
    result.errors, result.non_2xx = result.non_2xx, 0
    return result


def replies_result(label: str, replies: list, elapsed: float, expected) -> LoadResult:
    """The rate and latencies of the replies whose status is `expected`; the rest count as
    non-2xx (no reply at all included)."""
    from benchmarks.stats import percentile

    good = [r for r in replies if r is not None and not isinstance(r, Exception)]
    good = [r for r in good if expected(r.status)]
    seconds = [r.seconds for r in good]
    return LoadResult(
        label=label,
        url=CHECKOUT_PATH,
        requests=len(good),
        seconds=elapsed,
        p50_ms=percentile(seconds, 50) * 1000,
        p99_ms=percentile(seconds, 99) * 1000,
        non_2xx=len(replies) - len(good),
        tool="python",
    )


def baseline_checkout_calls(buyers: list) -> list[tuple[str, str, bytes, dict[str, str]]]:
    return [
        (
            "POST",
            BASELINE_CHECKOUT_PATH,
            json.dumps({"account": buyer.user_id}).encode(),
            {"Content-Type": "application/json"},
        )
        for buyer in buyers
    ]


def checkout_query_count(port: int, buyer: Any) -> int:
    """The SQL statements of one checkout, counted in this process through the same stack
    (the WSGI handler with production settings), for a buyer with one cart line."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            CHECKOUT_PATH,
            CHECKOUT_BODY,
            content_type="application/json",
            HTTP_X_SESSION_TOKEN=buyer.session_token,
            HTTP_IDEMPOTENCY_KEY=f"bench-count-{secrets.token_hex(4)}",
        )
    if response.status_code != 201:
        raise RuntimeError(f"counting checkout answered {response.status_code}")
    return len(queries)


def checkout_throughput(plan: Plan, app: Gunicorn, url: str, report: dict) -> list[Target]:
    from benchmarks.seed import buyers_create, hot_product_create

    product_id = hot_product_create(stock=10**6, label="rate")
    n = plan.checkout_orders
    buyers = buyers_create(count=n, product_id=product_id, label="rate")
    baseline_buyers = buyers_create(count=n, product_id=product_id, label="base")
    counted_buyer = buyers_create(count=1, product_id=product_id, label="count")[0]
    elapsed, replies = fire(
        app.port,
        baseline_checkout_calls(baseline_buyers),
        concurrency=plan.checkout_concurrency,
        timeout=120,
    )
    base_counts = status_counts(replies)
    base = replies_result(
        "  baseline minimal checkout view", replies, elapsed, lambda status: status < 300
    )
    elapsed, replies = fire(
        app.port, checkout_calls(buyers, "rate"), concurrency=plan.checkout_concurrency, timeout=120
    )
    counts = status_counts(replies)
    api = replies_result(
        "  API POST /api/v1/checkout/", replies, elapsed, lambda status: status < 300
    )
    raw = raw_checkout_loop(url, transactions=n, concurrency=plan.checkout_concurrency)
    ceiling = checkout_ceiling(app, buyers, n=n, concurrency=plan.checkout_concurrency)
    queries = checkout_query_count(app.port, counted_buyer)
    print(
        f"\n[checkout throughput] {n} orders of one in-stock product, "
        f"{plan.checkout_concurrency} at a time: statuses {dict(sorted(counts.items()))} "
        f"(baseline {dict(sorted(base_counts.items()))})"
    )
    print(raw.line())
    print(base.line())
    print(api.line())
    print(ceiling.line())
    value = ratio(api.rps, base.rps) if api.non_2xx == 0 and base.non_2xx == 0 else math.nan
    print(f"  checkout / minimal checkout view: {value:.2f}x; one checkout: {queries} queries")
    print(
        f"  the same endpoint refusing an empty body reaches {ratio(ceiling.rps, base.rps):.2f}x "
        "of the baseline view: the most any checkout could reach through this stack"
    )
    report["checkout_throughput"] = {
        "orders": n,
        "concurrency": plan.checkout_concurrency,
        "statuses": dict(counts),
        "baseline_statuses": dict(base_counts),
        "api": api.as_dict(),
        "baseline": base.as_dict(),
        "raw": raw.as_dict(),
        "ceiling": ceiling.as_dict(),
        "ratio": value,
        "raw_ratio": ratio(api.rps, raw.rps),
        "ceiling_ratio": ratio(ceiling.rps, base.rps),
        "queries_per_checkout": queries,
    }
    return [Target("checkout throughput vs the minimal checkout view", value, 0.4, "at_least")]


def memory_phase(
    plan: Plan, url: str, env: dict[str, str], bare_env: dict[str, str], report: dict
) -> list[Target]:
    import psycopg

    from benchmarks.bare import TABLE

    # Products both projects have (the scratch copy predates the checkout phase's products).
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT id FROM {TABLE} ORDER BY id DESC LIMIT 50").fetchall()
    ids = [row[0] for row in rows]
    app_paths = [CATALOG_PATH, f"{CATALOG_PATH}?q=blf", f"{CATALOG_PATH}?q=ibuprofen"]
    app_paths += [f"{CATALOG_PATH}{pk}/" for pk in ids]
    bare_paths = ["/products/", "/products/?after=40", "/products/?after=400"]
    bare_paths += [f"/products/{pk}/" for pk in ids]
    # Half list pages, half detail pages, on both sides.
    app_mix = app_paths[:3] * (len(ids) // 3) + app_paths[3:]
    bare_mix = bare_paths[:3] * (len(ids) // 3) + bare_paths[3:]
    measured = {}
    for name, server, paths in (
        # One worker each, so that the worker measured has served every one of the requests.
        (
            "xinglin",
            Gunicorn("memory-app", "config.wsgi:application", env, "/healthz", workers=1),
            app_mix,
        ),
        (
            "bare",
            Gunicorn(
                "memory-bare", "benchmarks.bare.wsgi:application", bare_env, "/products/", workers=1
            ),
            bare_mix,
        ),
    ):
        with serving(server):
            started_rss = {pid: rss_kib(pid) for pid in server.workers()}
            result = loadgen.run_python(
                label=f"  {name}",
                port=server.port,
                paths=paths,
                seconds=180,
                connections=plan.connections,
                max_requests=plan.memory_requests,
            )
            time.sleep(0.5)
            after = {pid: rss_kib(pid) for pid in server.workers()}
            after_pss = {pid: pss_kib(pid) for pid in server.workers()}
        mean = sum(after.values()) / len(after)
        mean_pss = sum(after_pss.values()) / len(after_pss)
        measured[name] = {
            "requests": result.requests,
            "non_2xx": result.non_2xx,
            "rss_kib_at_start": started_rss,
            "rss_kib_after": after,
            "rss_kib_mean": mean,
            "pss_kib_after": after_pss,
            "pss_kib_mean": mean_pss,
            "rps": result.rps,
        }
        print(
            f"  {name:<8} {result.requests} requests ({result.non_2xx} non-2xx): worker RSS "
            + ", ".join(f"{kib / 1024:.1f} MiB" for kib in after.values())
            + f" (at start {', '.join(f'{k / 1024:.1f}' for k in started_rss.values())} MiB),"
            + " PSS "
            + ", ".join(f"{kib / 1024:.1f} MiB" for kib in after_pss.values())
        )
    value = ratio(measured["xinglin"]["rss_kib_mean"], measured["bare"]["rss_kib_mean"])
    if measured["xinglin"]["non_2xx"] or measured["bare"]["non_2xx"]:
        value = math.nan
    pss = ratio(measured["xinglin"]["pss_kib_mean"], measured["bare"]["pss_kib_mean"])
    print(f"  PSS ratio {pss:.2f}x (one worker each: its share of what it shares with the master)")
    report["memory"] = {**measured, "ratio": value, "pss_ratio": pss}
    name = f"web worker RSS after {plan.memory_requests} requests vs bare DRF"
    # 1.66x is what the worker measured on 2026-12-05: checkout work must not grow it.
    return [Target(name, value, 1.66, "at_most")]


def claims_phase(plan: Plan, report: dict) -> list[Target]:
    from benchmarks.claims import claims_compare, claims_seed

    started = time.monotonic()
    claim_ids = claims_seed(claims=plan.claims, policies=plan.claim_policies)
    seeded = time.monotonic() - started
    result = claims_compare(claim_ids, budget_seconds=plan.claims_seconds)
    print(
        f"\n[claims] {len(claim_ids)} claims of 1-5 lines on {plan.claim_policies} commercial "
        f"policies (seeded in {seeded:.0f} s); {result.claims} adjudicated by each pass"
    )
    print(f"  SQL, one statement a claim        {result.sql_rate:9.0f} claims/s")
    print(f"  engine (claim_adjudicate)         {result.engine_rate:9.0f} claims/s")
    print(
        f"  ORM floor: {result.statements_per_claim:.1f} reads by key a claim, nothing computed "
        f"{result.floor_rate:9.0f} claims/s (the engine reaches "
        f"{ratio(result.engine_rate, result.floor_rate):.2f}× of it)"
    )
    totals = result.engine
    print(
        f"  totals {'equal' if result.same_totals else 'DIFFER'}: {totals.approved} approved, "
        f"{totals.denied} denied, ¥{totals.approved_fen / 100:,.2f} paid, "
        f"¥{totals.deductible_used_fen / 100:,.2f} of deductibles"
    )
    value = ratio(result.engine_rate, result.sql_rate) if result.same_totals else math.nan
    report["claims"] = {
        "claims": result.claims,
        "policies": plan.claim_policies,
        "engine_seconds": result.engine_seconds,
        "sql_seconds": result.sql_seconds,
        "engine_claims_per_second": result.engine_rate,
        "sql_claims_per_second": result.sql_rate,
        "engine_statements_per_claim": result.statements_per_claim,
        "orm_floor_claims_per_second": result.floor_rate,
        "same_totals": result.same_totals,
        "engine_totals": {k: v for k, v in vars(result.engine).items() if k != "digest"},
        "sql_totals": {k: v for k, v in vars(result.sql).items() if k != "digest"},
        "ratio": value,
    }
    return [Target("claims adjudicated vs one SQL statement a claim", value, 0.5, "at_least")]


def static_collect() -> None:
    """collectstatic, as a deployment runs it, skipped when the sources have not changed since
    the last run (compressing the vendored API docs assets takes a minute or more)."""
    import hashlib

    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    stamp = Path(settings.STATIC_ROOT) / ".bench-sources"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
    stamp.write_text(digest.hexdigest())


# --- main ---------------------------------------------------------------------------------


def bench_env(url: str, redis_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "DEBUG"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            # Plain HTTP on loopback: no TLS to redirect to or to mark cookies secure for.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            # One client address sends everything; production's 60/min would refuse it all.
            "THROTTLE_ANON": "1000000/s",
            "THROTTLE_USER": "1000000/s",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            # Static files collected for this run, as a deployment does before starting.
            "XINGLIN_VAR_DIR": str(OUT_DIR / "var"),
        }
    )
    return env


def reminders_phase(plan: Plan, redis_url: str, report: dict) -> list[Target]:
    from benchmarks.reminders import reminders_compare, reminders_seed, report_of

    started = time.monotonic()
    now = reminders_seed(notices=plan.reminders, recipients=plan.reminder_recipients)
    seeded = time.monotonic() - started
    result = reminders_compare(notices=plan.reminders, redis_url=redis_url, now=now)
    print(
        f"\n[reminders] {plan.reminders} dose reminders due in the same minute for "
        f"{plan.reminder_recipients} patients (seeded in {seeded:.0f} s)"
    )
    print(f"  scan (SKIP LOCKED batches)          {result.engine_seconds:9.1f} s")
    print(f"  Redis LPUSH/BRPOP, a row at a time  {result.baseline_seconds:9.1f} s")
    print(f"  same work: {'yes' if result.same_work else 'NO'} ({result.engine})")
    value = ratio(result.baseline_seconds, result.engine_seconds) if result.same_work else math.nan
    report["reminders"] = {**report_of(result), "ratio": value}
    return [
        Target("reminders dispatched vs a Redis queue (speed)", value, 1.0, "at_least"),
        Target(
            f"reminders: {plan.reminders:,} due dispatched within (s)",
            result.engine_seconds if result.same_work else math.nan,
            60.0,
            "at_most",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about two minutes, one round")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    parser.add_argument(
        "--only",
        default="catalog,checkout,memory,claims,reminders",
        help="phases, comma-separated",
    )
    args = parser.parse_args(argv)
    plan = Plan(args.quick)
    phases = set(args.only.split(","))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    for target in (url, redis_url):
        host = re.sub(r"^\w+://(?:[^@/]*@)?", "", target).split("/")[0].split(":")[0]
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(f"refusing a non-loopback server: {target}", file=sys.stderr)
            return 2
    if not loadgen.wrk_path():
        print(
            "wrk not found: using the Python load generator (lower ceiling). "
            "For wrk: sudo apt-get install -y wrk"
        )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    env = bench_env(url, redis_url)
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.bare.settings"}

    try:
        database_recreate(url)
    except Exception as error:
        print(f"PostgreSQL is needed at {url}: {error}", file=sys.stderr)
        return 2
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_timeout=5).flushdb()
    except redis.RedisError as error:
        print(f"Redis is needed at {redis_url}: {error}", file=sys.stderr)
        return 2

    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from benchmarks.seed import catalog_seed

    report: dict[str, Any] = {
        "quick": plan.quick,
        "workers": WORKERS,
        "tool": "wrk" if loadgen.wrk_path() else "python",
    }
    targets: list[Target] = []
    try:
        call_command("migrate", interactive=False, verbosity=0)
        if phases & {"catalog", "checkout", "memory"}:
            static_collect()
            seeded = catalog_seed(products=plan.products)
            scratch_tables_create(url)
            connections.close_all()
            report["seeded"] = seeded
            print(
                f"seeded {seeded['products']} products ({seeded['listed']} listed) in "
                f"{seeded['categories']} categories; {time.monotonic() - started:.0f} s"
            )
        if phases & {"catalog", "checkout"}:
            app = Gunicorn("app", "config.wsgi:application", env, "/healthz")
            with serving(app):
                print(
                    f"gunicorn: {WORKERS} sync workers on 127.0.0.1:{app.port}, "
                    f"workers {app.workers()}"
                )
                if "catalog" in phases:
                    targets += catalog_phase(plan, app, report)
                if "checkout" in phases and time.monotonic() - started < plan.budget_seconds:
                    targets += checkout_race(plan, app, url, report)
                    targets += checkout_throughput(plan, app, url, report)
                    connections.close_all()
        if "memory" in phases and time.monotonic() - started < plan.budget_seconds:
            print(f"\n[memory] {plan.memory_requests} requests over list and detail pages")
            targets += memory_phase(plan, url, env, bare_env, report)
        # In this process, on the same database, after the servers are stopped: the claims
        # passes share the two cores with nothing else of the benchmark's.
        if "claims" in phases and time.monotonic() - started < plan.budget_seconds:
            targets += claims_phase(plan, report)
            connections.close_all()
        if "reminders" in phases and time.monotonic() - started < plan.budget_seconds:
            targets += reminders_phase(plan, redis_url, report)
            connections.close_all()
    finally:
        connections.close_all()
        if not args.keep_db:
            try:
                database_drop(url)
            except Exception as error:
                print(f"could not drop the benchmark database: {error}", file=sys.stderr)
    report["seconds"] = time.monotonic() - started
    report["targets"] = [
        {"name": t.name, "value": t.value, "bound": t.bound, "kind": t.kind, "verdict": t.verdict}
        for t in targets
    ]
    out = OUT_DIR / "results.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\n=== ratios against baselines measured in this run ({report['seconds']:.0f} s) ===")
    for target in targets:
        print(target.line())
    print(f"results: {out.relative_to(ROOT)}")
    return 0 if all(t.met for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
