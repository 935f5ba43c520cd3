"""The datasets service's task references learn each task's team (migration 0005): rows recorded before it get
the team only where it is certain (the child version made for the task), and stay unknown otherwise, which a
refused delete counts as another team's, never naming it."""

from __future__ import annotations

from annostream_datasets.adapters.stats_store import TaskRefs
from annostream_kernel.db import migrate

from .schema_helpers import fresh_schema


async def test_existing_task_refs_get_their_childs_team_and_an_unknown_team_is_counted_never_named(
    postgres_dsn: str,
) -> None:
    async with fresh_schema(postgres_dsn, "dsrefs", "annostream_datasets.migrations") as pool:
        schema = await pool.fetchval("SELECT current_schema()")
        await pool.execute("ALTER TABLE task_refs DROP COLUMN team")  # as before 0005
        await pool.execute("DELETE FROM schema_migrations WHERE name LIKE '%0005_task_refs_team.sql'")
        await pool.execute("INSERT INTO datasets (dataset_id, name, team) VALUES ('ds', 'd', 'a')")
        await pool.execute(
            "INSERT INTO versions (version_id, dataset_id, name, parent_version_id, status, team) VALUES"
            " ('pub', 'ds', 'p', NULL, 'published', 'a'), ('child_b', 'ds', 'cb', 'pub', 'draft', 'b'),"
            " ('child_a', 'ds', 'ca', 'pub', 'draft', 'a'), ('draft', 'ds', 'dr', NULL, 'draft', 'a')"
        )
        await pool.execute(
            "INSERT INTO task_refs (task_id, dataset_id, version_ids) VALUES ('tb', 'ds', '{child_b,pub}'),"
            " ('ta', 'ds', '{child_a,pub}'), ('in_place', 'ds', '{draft}')"
        )
        assert [n.split("/")[-1] for n in await migrate(pool, schema, ["annostream_datasets.migrations"])] == [
            "0005_task_refs_team.sql"
        ]
        rows = {r["task_id"]: r["team"] for r in await pool.fetch("SELECT task_id, team FROM task_refs")}
        assert rows == {"tb": "b", "ta": "a", "in_place": None}
        async with pool.acquire() as conn:
            refs = TaskRefs(conn)
            of_a = await refs.of_dataset("ds", "a")
            assert (of_a.own_ids, of_a.own, of_a.others) == (("ta",), 1, 2)
            of_pub_for_b = await refs.of_version("pub", "b")
            assert (of_pub_for_b.own_ids, of_pub_for_b.own, of_pub_for_b.others) == (("tb",), 1, 1)
