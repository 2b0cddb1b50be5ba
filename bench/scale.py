"""Benchmark 4: the sweeps and the prune at 1,000,000 users and 3,000,000 devices on PostgreSQL, and the dashboard's
queries beside them.

Bulk-loads the bench database with generate_series (indexes built after the load, as a restore would) as a
running service would hold it: a silence over a day was texted already, a stale user had today's backstop. Then:
the queries the app runs, with EXPLAIN (ANALYZE, BUFFERS) in rolled-back transactions (the sweep's two splits
captured from the product's own functions as SQLAlchemy sends them; the rest transcribed); whole sweeps on four
real workers (`bench.sweep_fan_out`: the split and every batch it hands out); the real prune jobs, committed; table
sizes (pg_total_relation_size) and rows and bytes per user.

Readings: two days of 4 syncs a day per device (24 M rows, ~2.7 GB) instead of 90 days (1.08 billion rows), for
the machine's disk: what a prune run deletes is the minute or hour that passed the cutoff whatever the retention.
Texts: three per user spread over the 90 days kept.

Device mix per user (3 devices): an active tracker (synced within hours), a scale (weekly), and either a
second active tracker (half the users) or an old tracker the platform still lists (last sync 31–400 days
ago; both platforms keep old devices for good). Every sync stores one reading per listed device
(app/tasks/sync.py: record_readings), so readings = devices × syncs per day × days.

    .venv/bin/python -m bench.scale [--users 1000000] [--readings-per-day 4] [--days 2] [--reuse] [--load-only]
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg

from bench import sweep_fan_out
from bench.common import BENCH_DATABASE_URL, RESULTS, fresh_database, machine, production_env, save

LOAD = """
SET session_replication_role = replica;   -- no FK triggers during the bulk load (bench database only)
SET maintenance_work_mem = '512MB';
INSERT INTO users (id, platform, platform_user_id, time_zone, time_zone_from_platform, granted_scopes, connection_state,
                   phone, phone_verified_at, threshold_percent, include_scales, paused, last_push_at, last_synced_at,
                   backstop_requested_at, created_at, session_version)
SELECT g, 'google', 'health-' || g, 'Europe/London', true, 'settings activity',
       CASE WHEN g % 50 = 0 THEN 'needs_reconnect' WHEN g % 100 = 1 THEN 'disconnected' ELSE 'connected' END,
       '+4477009' || lpad((g % 100000)::text, 5, '0'), now() - interval '60 days', 20, g % 10 = 0, false,
       now() - (random() * interval '3 hours'),
       -- 5 % of users have not been heard from for over a day (the backstop's candidates)
       CASE WHEN g % 20 = 0 THEN now() - interval '26 hours' - random() * interval '20 days'
            ELSE now() - random() * interval '3 hours' END,
       -- a running service: the stale users had their backstop sync today already (run_sweep makes some due)
       CASE WHEN g % 20 = 0 THEN now() - random() * interval '23 hours' END,
       now() - interval '90 days', md5(g::text)
FROM generate_series(1, {users}) g;
INSERT INTO oauth_tokens (id, provider, user_id, token, created_at)
SELECT g, 'google', g, 'gAAAAA' || repeat(md5(g::text), 12), now() FROM generate_series(1, {users}) g;
INSERT INTO devices (id, user_id, platform_device_id, device_type, product_name, battery_status, battery_level,
                     last_sync_at, last_seen_at, last_read_at, low_episode, in_low, empty_sent, silence, silent_sent)
SELECT d, u, 'device-' || d, device_type, product_name, 'Medium', 20 + (d % 80), seen, seen,
       now() - random() * interval '3 hours', (d % 3), false, false, 0,
       -- a running service: a device silent for over a day was texted about when it fell silent (run_sweep makes some due)
       seen < now() - interval '24 hours'
FROM (SELECT d, u, CASE k WHEN 1 THEN 'SCALE' ELSE 'TRACKER' END AS device_type,
             CASE k WHEN 0 THEN 'Charge 6' WHEN 1 THEN 'Aria Air' ELSE (CASE WHEN u % 2 = 0 THEN 'Pixel Watch 3' ELSE 'Inspire 2' END) END AS product_name,
             CASE WHEN k = 0 THEN (SELECT last_synced_at FROM users WHERE id = u)
                  WHEN k = 1 THEN now() - random() * interval '7 days'
                  WHEN u % 2 = 0 THEN now() - random() * interval '3 hours'
                  ELSE now() - interval '31 days' - random() * interval '370 days' END AS seen
      FROM (SELECT g AS d, (g - 1) / 3 + 1 AS u, (g - 1) % 3 AS k FROM generate_series(1, {users} * 3) g) numbered) s;
ALTER TABLE battery_readings SET (autovacuum_enabled = false);
DROP INDEX IF EXISTS ix_battery_readings_device_read_at;
DROP INDEX IF EXISTS ix_battery_readings_read_at;
ALTER TABLE battery_readings DROP CONSTRAINT IF EXISTS pk_battery_readings;
INSERT INTO battery_readings (id, device_id, read_at, battery_level, battery_status)
-- each round of syncs spread over its interval, appended in time order as syncs append them (the BRIN index relies on it)
SELECT row_number() OVER (), d, now() - interval '{days} days' + ((s + d / ({users} * 3.0)) * interval '1 day' / {per_day}),
       (d + s) % 100, CASE WHEN (d + s) % 100 < 20 THEN 'Low' ELSE 'Medium' END
FROM generate_series(0, {days} * {per_day} - 1) s CROSS JOIN LATERAL generate_series(1, {users} * 3) d;
ALTER TABLE battery_readings ADD CONSTRAINT pk_battery_readings PRIMARY KEY (id);
CREATE INDEX ix_battery_readings_device_read_at ON battery_readings (device_id, read_at);
CREATE INDEX ix_battery_readings_read_at ON battery_readings USING brin (read_at);  -- as migration 0001 creates it
ALTER TABLE battery_readings SET (autovacuum_enabled = true);
SELECT setval('battery_readings_id_seq', (SELECT max(id) FROM battery_readings));
INSERT INTO outgoing_messages (id, user_id, idempotency_key, kind, "to", body, status, provider_message_id, attempts,
                               created_at, submitted_at, delivered_at, updated_at)
SELECT g, (g - 1) % {users} + 1, 'low:' || g, CASE WHEN g % 7 = 0 THEN 'silent' ELSE 'low' END, '+447700900123',
       'Your Charge 6 battery is low (15%). Charge it soon so it keeps tracking.', 'delivered', 'msg-' || g, 1,
       -- three texts per user over the 90 days kept, in id order as they are written
       now() - interval '90 days' + g * interval '90 days' / ({users} * 3), now(), now(), now()
FROM generate_series(1, {users} * 3) g;
SELECT setval('users_id_seq', {users}); SELECT setval('devices_id_seq', {users} * 3);
SELECT setval('outgoing_messages_id_seq', {users} * 3); SELECT setval('oauth_tokens_id_seq', {users});
SET session_replication_role = origin;
"""

USERS = 1_000_000
LOAD_RECORD = RESULTS / "scale_load.txt"  # how long the last --load-only took, reported by a --reuse run
# Two days of readings at 1M users (24 M rows, ~2.7 GB): what the prune deletes each hour is one hour's worth
# whatever the retention, and the machine's disk is limited.
DAYS = 2
READINGS_PER_DAY = 4
USER = 4242  # a typical user for the per-user dashboard queries
QUERIES = {
    # The silent-device and backstop sweeps as shipped are captured from app/tasks/sweeps.py (product_sweeps below).
    # These two are the queries as they were before 1e95f15, kept only for the before/after ratio in one run.
    "before 1e95f15: silent devices (old query)": "SELECT DISTINCT devices.user_id FROM devices WHERE devices.last_sync_at < now() - interval '24 hours' AND devices.silent_sent IS false",
    "before 1e95f15: backstop users (old query, no order)": "SELECT users.id, users.platform, users.platform_user_id FROM users WHERE users.connection_state = 'connected' AND users.last_synced_at < now() - interval '24 hours' LIMIT 500",
    # app/tasks/texts.py resume_stalled_texts (due <= now - STALLED_AFTER; status queued)
    "sweep: stalled texts": "SELECT outgoing_messages.id FROM outgoing_messages WHERE outgoing_messages.status = 'queued' AND coalesce(outgoing_messages.send_after, outgoing_messages.created_at) <= now() - interval '5 minutes' LIMIT 500",
    # app/tasks/maintenance.py prune_battery_history, run hourly: one hour of the oldest readings past the cutoff
    "before: hourly prune in one statement (1 h of readings; BRIN on read_at)": "DELETE FROM battery_readings WHERE read_at < now() - interval '{prune_days} days'",
    # app/tasks/sync.py: the job's user lookup
    "sync: user by platform id": "SELECT * FROM users WHERE platform = 'google' AND platform_user_id = 'health-4242'",
    # app/tasks/maintenance.py prune_old_texts before the page walk: the outbox's created_at has no index of its own
    "before: hourly texts prune in one statement (1 h of texts at 90 days)": "DELETE FROM outgoing_messages WHERE created_at < now() - interval '2159 hours' AND status <> 'queued'",
    # app/domain/outbox.py texts_sent_today
    "sync: texts sent today": f"SELECT count(outgoing_messages.id) FROM outgoing_messages WHERE outgoing_messages.user_id = {USER} AND outgoing_messages.kind IN ('low','empty','silent','reconnect','retired') AND outgoing_messages.created_at >= date_trunc('day', now()) AND outgoing_messages.status IN ('queued','submitted','delivered','failed')",
    # app/web/dashboard/presenting.py dashboard_parts, app/domain/readings.py readings_since
    "dashboard: devices": f"SELECT * FROM devices WHERE devices.user_id = {USER}",
    "dashboard: last 20 texts": f"SELECT * FROM outgoing_messages WHERE outgoing_messages.user_id = {USER} ORDER BY outgoing_messages.created_at DESC LIMIT 20",
    "dashboard: chart readings, 30 days": f"SELECT device_id, read_at, battery_level FROM battery_readings WHERE device_id IN (SELECT id FROM devices WHERE user_id = {USER}) AND read_at >= now() - interval '30 days' ORDER BY read_at",
    "dashboard: chart readings, 7 days": f"SELECT device_id, read_at, battery_level FROM battery_readings WHERE device_id IN (SELECT id FROM devices WHERE user_id = {USER}) AND read_at >= now() - interval '7 days' ORDER BY read_at",
}
TABLES = ("users", "oauth_tokens", "devices", "battery_readings", "outgoing_messages")


def explain(connection, sql: str, before: str | None = None) -> dict:
    """EXPLAIN ANALYZE inside a transaction that is rolled back (the prune deletes nothing for good).

    `before` runs first in the same transaction (e.g. dropping an index to time the query without it)."""
    with connection.transaction(force_rollback=True):
        if before:
            connection.execute(before)
        plan = connection.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).fetchone()[0][0]
    return summarize(plan)


def summarize(plan: dict) -> dict:
    top = plan["Plan"]
    nodes = []

    def walk(node):
        nodes.append(node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
                     + (f" using {node['Index Name']}" if "Index Name" in node else ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(top)
    return {"ms": round(plan["Execution Time"], 2), "rows": top.get("Actual Rows"), "plan": " → ".join(nodes),
            "shared_read_blocks": top.get("Shared Read Blocks", 0), "shared_hit_blocks": top.get("Shared Hit Blocks", 0)}


def time_queries(connection, prune_days: float, runs: int = 3) -> dict:
    return {name: best_of(lambda sql=sql.replace("{prune_days}", str(prune_days)): explain(connection, sql), runs)
            for name, sql in QUERIES.items()}


def best_of(explain_once, runs: int = 3) -> dict:
    results = [explain_once() for _ in range(runs)]
    best = min(results, key=lambda result: result["ms"])
    best["ms_runs"] = [result["ms"] for result in results]
    return best


def product_sweeps(env: dict[str, str], runs: int = 3) -> dict:
    """The sweep's two splits, as the product sends them: the silent-device owners and the backstop's due users.

    Captured from `sweeps.hand_out_silent_devices` and `sweeps.hand_out_backstop` (their batch jobs go to the
    bench Redis db and are dropped after), then timed with EXPLAIN ANALYZE."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db, queues
    from app.models import utcnow
    from app.tasks import sweeps

    app = create_app(environ=env)
    result: dict = {}
    with app.app_context():
        queues.redis.flushdb()  # no batch left by an earlier run holds these users back (bench Redis db only)

        def explain_captured(statement: str, parameters) -> dict:
            try:
                plan = db.session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
            finally:
                db.session.rollback()
            return summarize(plan[0])

        for name, hand_out in (("silent_device_owners", sweeps.hand_out_silent_devices),
                               ("backstop", sweeps.hand_out_backstop)):
            captured: list[tuple[str, object]] = []

            def capture(conn, cursor, statement, parameters, context, executemany, into=captured):
                into.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                handed_out = hand_out(utcnow())
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            statement, parameters = next((s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT"))
            result[name] = {**best_of(lambda s=statement, p=parameters: explain_captured(s, p), runs),
                            "users_selected": handed_out, "sql": statement}
        queues.redis.flushdb()
        db.session.remove()
    return result


def prunes(env: dict[str, str]) -> dict:
    """The real prune jobs, committed: the oldest minute of readings (what each sweep's run deletes), then the
    rest of that hour in one run (what one hourly run would delete), then the oldest hour of texts. The cutoffs
    are set from the oldest row, so the figures hold however long after the load this runs."""
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import BatteryReading, OutgoingMessage, utcnow
    from app.tasks import maintenance

    def age_in_days(column, order) -> float:
        oldest = db.session.scalar(select(column).order_by(order).limit(1))
        db.session.rollback()
        return (utcnow() - oldest).total_seconds() / 86400

    app = create_app(environ=env)
    result = {}
    with app.app_context():
        readings = age_in_days(BatteryReading.read_at, BatteryReading.id)
        texts = age_in_days(OutgoingMessage.created_at, OutgoingMessage.id)
        for name, prune, keep_days in (
                ("readings, the oldest minute (one run; runs every sweep)", maintenance.prune_battery_history,
                 readings - 1 / 1440),
                ("readings, the rest of that hour in one run (as one hourly run would)", maintenance.prune_battery_history,
                 readings - 1 / 24),
                ("texts, the oldest hour (one run; runs hourly)", maintenance.prune_old_texts, texts - 1 / 24)):
            started = time.perf_counter()
            rows = prune(keep_days)
            result[name] = {"seconds": round(time.perf_counter() - started, 3), "rows": rows}
        db.session.remove()
    return result


def sizes(connection, users: int, days: int) -> dict:
    table_sizes = {}
    for table in TABLES:
        total, rows = connection.execute(
            f"SELECT pg_total_relation_size('{table}'), (SELECT count(*) FROM {table})").fetchone()
        table_sizes[table] = {"rows": rows, "total_bytes": total, "mb": round(total / 2**20, 1),
                              "bytes_per_row": round(total / max(rows, 1), 1)}
    readings = table_sizes["battery_readings"]
    return {"tables": table_sizes,
            "readings_rows_per_user_per_month": round(readings["rows"] / users * 30 / days, 1),
            "readings_bytes_per_user_per_month": round(readings["total_bytes"] / users * 30 / days),
            "all_bytes_per_user": round(sum(t["total_bytes"] for t in table_sizes.values()) / users)}


def load(users: int, days: int, readings_per_day: int) -> float:
    """A fresh bench database filled with generate_series; the seconds it took (migrations, load, VACUUM ANALYZE)."""
    started = time.perf_counter()
    fresh_database(production_env())
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        for statement in LOAD.format(users=users, days=days, per_day=readings_per_day).split(";\n"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - started, 1)


def main(users: int = USERS, readings_per_day: int = READINGS_PER_DAY, days: int = DAYS, reuse: bool = False) -> dict:
    env = production_env()
    result: dict = {"machine": machine(), "users": users, "devices": users * 3, "days": days,
                    "readings_per_device_per_day": readings_per_day}
    loaded = reuse and loaded_users() == users
    result["load_seconds"] = float(LOAD_RECORD.read_text()) if loaded and LOAD_RECORD.exists() else (
        None if loaded else load(users, days, readings_per_day))
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        result["sizes"] = sizes(connection, users, days)
        # The hourly prune as one statement (before the page walk): the oldest hour, as at 90 days, counted from the
        # oldest reading left (earlier runs' prunes took some).
        oldest = connection.execute("SELECT extract(epoch FROM now() - read_at) / 86400 FROM battery_readings "
                                    "ORDER BY id LIMIT 1").fetchone()[0]
        result["queries"] = time_queries(connection, prune_days=float(oldest) - 1 / 24)
    result["product_sweeps"] = product_sweeps(env)
    save("scale", result)  # what is measured so far, should the sweeps on real workers fail
    result["fan_out"] = sweep_fan_out.main()
    result["prunes"] = prunes(env)
    save("scale", result)
    return result


def loaded_users() -> int | None:
    try:
        with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
            return connection.execute("SELECT count(*) FROM users").fetchone()[0]
    except psycopg.Error:
        return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--readings-per-day", type=int, default=READINGS_PER_DAY)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data when it has as many users")
    parser.add_argument("--load-only", action="store_true")
    options = parser.parse_args()
    if options.load_only:
        seconds = load(options.users, options.days, options.readings_per_day)
        LOAD_RECORD.write_text(f"{seconds}\n")
        print(json.dumps({"load_seconds": seconds}))
    else:
        print(json.dumps(main(options.users, options.readings_per_day, options.days, options.reuse), indent=2))
