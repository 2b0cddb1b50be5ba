"""Benchmark 4: the sweeps' and the dashboard's queries on PostgreSQL at 100,000 users, 300,000 devices, a month of readings.

Bulk-loads the bench database with generate_series (indexes built after the load, as a restore would),
then times the queries the app runs with EXPLAIN (ANALYZE, BUFFERS): the two sweeps changed in 1e95f15
(silent devices, backstop) are captured from the product's own functions (`sweeps.silent_device_owners`,
`sweeps.backstop_syncs`) as SQLAlchemy sends them, so the figure is what ships; the others are transcribed
from app/tasks/sweeps.py, app/dashboard/presenting.py, app/readings.py, app/outbox.py, app/tasks/maintenance.py. The queries as they were
before 1e95f15 are timed in the same run for the before/after ratio (the prune without the BRIN index is
timed by dropping the index inside a rolled-back transaction). Runs the real backstop twice (does the second
minute pick other users?) and the real silent-device sweep on a slice, and reports table sizes
(pg_total_relation_size) and rows and bytes per user per month.

Device mix per user (3 devices): an active tracker (synced within hours), a scale (weekly), and either a
second active tracker (half the users) or an old tracker the platform still lists (last sync 31–400 days
ago; both platforms keep old devices for good). Every sync stores one reading per listed device
(app/tasks/sync.py: record_readings), so readings = devices × syncs per day × days.

    .venv/bin/python -m bench.scale [--users 100000] [--readings-per-day 4] [--days 30]
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg

from bench.common import BENCH_DATABASE_URL, fresh_database, machine, production_env, save

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
    "hourly prune (deletes 1 h of readings; BRIN on read_at)": "DELETE FROM battery_readings WHERE read_at < now() - interval '{prune_days} days'",
    # app/tasks/sync.py: the job's user lookup
    "sync: user by platform id": "SELECT * FROM users WHERE platform = 'google' AND platform_user_id = 'health-4242'",
    # app/outbox.py texts_sent_today
    "sync: texts sent today": f"SELECT count(outgoing_messages.id) FROM outgoing_messages WHERE outgoing_messages.user_id = {USER} AND outgoing_messages.kind IN ('low','empty','silent','reconnect','retired') AND outgoing_messages.created_at >= date_trunc('day', now()) AND outgoing_messages.status IN ('queued','submitted','delivered','failed')",
    # app/dashboard/presenting.py dashboard_parts, app/readings.py readings_since
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


def time_queries(connection, prune_days: int, runs: int = 3) -> dict:
    return {name: best_of(lambda sql=sql.replace("{prune_days}", str(prune_days)): explain(connection, sql), runs)
            for name, sql in QUERIES.items()}


def best_of(explain_once, runs: int = 3) -> dict:
    results = [explain_once() for _ in range(runs)]
    best = min(results, key=lambda result: result["ms"])
    best["ms_runs"] = [result["ms"] for result in results]
    return best


def product_sweeps(env: dict[str, str], runs: int = 3) -> dict:
    """The silent-device and backstop queries exactly as the product sends them, timed; the backstop run twice."""
    from datetime import timedelta

    from sqlalchemy import event, func, select

    from app import create_app
    from app.extensions import db
    from app.models import ConnectionState, User, utcnow
    from app.tasks import sweeps

    app = create_app(environ=env)
    result: dict = {}
    with app.app_context():
        captured: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        def explain_captured(statement: str, parameters) -> dict:
            try:
                plan = db.session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
            finally:
                db.session.rollback()
            return summarize(plan[0])

        now = utcnow()
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            owners = sweeps.silent_device_owners(now, now - timedelta(hours=int(app.config.get("SILENCE_HOURS", 24))))
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = captured[-1]
        result["silent_device_owners"] = {**best_of(lambda: explain_captured(statement, parameters), runs),
                                          "users_selected": len(owners), "sql": statement}

        # The backstop commits its marks and enqueues (Redis db 15): run it for real, minute after minute.
        captured.clear()
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            first = sweeps.backstop_syncs(now=now)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = next((s, p) for s, p in captured if s.lstrip().upper().startswith("SELECT"))
        first_ids = set(db.session.scalars(select(User.id).where(User.backstop_requested_at == now)))
        # Timed after the first minute's marks, i.e. the query of the second minute (same cost shape).
        timed = best_of(lambda: explain_captured(statement, parameters), runs)
        minutes = [{"scheduled": first, "users": len(first_ids)}]
        seen = set(first_ids)
        overlap_second = None
        for minute in range(1, 30):
            then = now + timedelta(minutes=minute)
            scheduled = sweeps.backstop_syncs(now=then)
            ids = set(db.session.scalars(select(User.id).where(User.backstop_requested_at == then)))
            if minute == 1:
                overlap_second = len(ids & first_ids)
            minutes.append({"scheduled": scheduled, "users": len(ids), "new": len(ids - seen)})
            seen |= ids
            if not ids:
                break
        stale = db.session.scalar(select(func.count(User.id)).where(
            User.connection_state == ConnectionState.CONNECTED, User.last_synced_at < now - timedelta(hours=sweeps.BACKSTOP_HOURS)))
        result["backstop"] = {**timed, "sql": statement, "stale_connected_users": stale,
                              "users_second_minute_also_in_first": overlap_second,
                              "distinct_users_backstopped": len(seen),
                              "minutes_to_cover_all_stale": sum(1 for m in minutes if m["users"]), "minutes": minutes}
        db.session.remove()
    return result


def silent_sweep_slice(env: dict[str, str], users_in_slice: int = 500) -> dict:
    """The real text_silent_devices over a slice of its users: seconds per user examined, and what a full sweep costs."""
    from datetime import timedelta

    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Device, utcnow
    from app.tasks import sweeps

    app = create_app(environ=env)
    with app.app_context():
        now = utcnow()
        selected = len(sweeps.silent_device_owners(now, now - timedelta(hours=24)))
        # Move "now" back so that the sweep's own query selects about `users_in_slice` users: the same code path.
        oldest = sorted(db.session.scalars(select(Device.last_sync_at).where(Device.silent_sent.is_(False))
                                           .order_by(Device.last_sync_at).limit(users_in_slice)).all())[-1]
        then = oldest + timedelta(hours=24, seconds=1)
        examined_first = len(sweeps.silent_device_owners(then, then - timedelta(hours=24)))
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            texts = sweeps.text_silent_devices(now=then)
            runs.append({"seconds": round(time.perf_counter() - started, 2), "texts": texts})
        examined = len(sweeps.silent_device_owners(then, then - timedelta(hours=24)))
        db.session.remove()
    # Second run: users still selected after the first texted (gated by quiet hours or the cap); none once every
    # selected device gets judged, so the first run (which texts) gives the cost per user, an upper bound.
    per_user_first = runs[0]["seconds"] / max(1, examined_first)
    per_user = runs[1]["seconds"] / examined if examined else None
    return {"users_selected_now": selected, "slice_users_examined_on_first_run": examined_first,
            "slice_users_examined_on_second_run": examined, "runs": runs,
            "ms_per_user_examined_first_run": round(per_user_first * 1000, 2),
            "ms_per_user_examined": round(per_user * 1000, 2) if per_user is not None else None,
            "estimated_full_sweep_seconds": round(per_user_first * selected, 1)}


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
    result["load_seconds"] = None if loaded else load(users, days, readings_per_day)
    with psycopg.connect(BENCH_DATABASE_URL, autocommit=True) as connection:
        result["sizes"] = sizes(connection, users, days)
        # The hourly prune at steady state deletes the hour that just passed the cutoff; with `days` loaded,
        # "cutoff" = the oldest hour, so the statement does the same work as at 90 days.
        prune_days = days - 1 / 24
        result["queries"] = time_queries(connection, prune_days)
        # The prune as before 1e95f15: the product's BRIN index dropped inside the rolled-back transaction.
        prune = QUERIES["hourly prune (deletes 1 h of readings; BRIN on read_at)"].replace("{prune_days}", str(prune_days))
        brin_bytes = connection.execute("SELECT pg_relation_size('ix_battery_readings_read_at')").fetchone()[0]
        result["prune_without_index"] = best_of(
            lambda: explain(connection, prune, before="DROP INDEX ix_battery_readings_read_at"))
        result["brin_index_bytes"] = brin_bytes
    result["product_sweeps"] = product_sweeps(env)
    result["fan_out"] = fan_out_sweeps(env)
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
        print(json.dumps({"load_seconds": load(options.users, options.days, options.readings_per_day)}))
    else:
        print(json.dumps(main(options.users, options.readings_per_day, options.days, options.reuse), indent=2))
