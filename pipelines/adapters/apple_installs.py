"""App Store Connect Analytics Reports API: "App Store Installation and Deletion" (Standard and
Detailed) daily segments, `.txt.gz` (sources.prepare gunzips) or plain text.

TAB-separated, one header row, long and multi-dimensional: installs and deletions are rows
(`Event`), split by app version, device, source, page, territory... Columns are found by header
name (the order differs between Standard, Detailed and over time). Per (Date, app, Territory):

    installs              sum(Counts) where Event = Install and Download Type in
                          (First-time download, Redownload)
    first_time_downloads  ... Download Type = First-time download
    redownloads           ... Download Type = Redownload
    updates               ... Download Type = Manual update
    restores              ... Download Type = Restore
    uninstalls            sum(Counts) where Event = Delete

`Counts` (events of opted-in users) is used, never `Unique Devices`. Identical rows (the same
segment delivered twice, or two instances concatenated) are counted once: full rows are
de-duplicated before summing. A repeated header line (segments concatenated with
`cat a.txt.gz b.txt.gz`) is skipped. An aggregated value's line is its first contributing line.

Segments and restatements. Apple splits a large report instance into several segment files,
each with other rows of the same days; the contract's "restated days replace" would let the
second segment replace the first. So, per app and day, a file is compared with the earlier
files of this format still stored for that app and day (their raw bytes are in the archive),
on their detail rows - every column but the measures (`Counts`, `Unique Devices`) and the
`App Name` label, on the columns both files have (Standard vs Detailed):

- no detail row in common: another segment of the same report, its rows add to the day;
- any detail row in common: a restatement of that earlier file, whose rows stop counting.

Folding every stored file in import order (the new one last) gives the files that count for
each app and day; the file writes their sum, so the contract's replace-and-keep-for-undo
machinery holds the previous total for undo. Rows of files that no longer count, for series
the new total lacks, are moved aside too (`after_write`). Undoing a file of this format
re-folds the files left (`before_undo`/`after_undo`): segments undone in any order leave
exactly the others' sums, and a restated file comes back when its restatement is undone.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import settings, sources, sql
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, Problem

NAME = "apple-installs"
# Columns that are not part of a detail row's identity: the measures, and the app's display
# name (a label of App Apple Identifier that may change between deliveries).
NOT_DETAIL = ("counts", "unique_devices", "app_name", "processing_date")
INSTALL_TYPES: dict[str, tuple[str, ...]] = {
    "first-time download": ("installs", "first_time_downloads"),
    "redownload": ("installs", "redownloads"),
    "manual update": ("updates",),
    "restore": ("restores",),
}


@dataclass(frozen=True)
class ReportSpec:
    """One Analytics Reports API report read by the segment machinery of this module: which
    columns it needs, and which metric(s) each Download Type's Counts go to. With `events`,
    rows carry an Event (Install/Delete): Delete rows are uninstalls and only Install rows are
    mapped by Download Type; without, every row is mapped by its Download Type."""

    name: str
    title: str
    required: tuple[str, ...]
    types: dict[str, tuple[str, ...]]
    events: bool


INSTALLS = ReportSpec(
    name=NAME,
    title="App Store Installation and Deletion",
    required=("date", "app_apple_identifier", "event", "download_type", "territory", "counts"),
    types=INSTALL_TYPES,
    events=True,
)
UNKNOWN_COUNTRY = "ZZ"
MAX_SHOWN = 10
NEW = 0  # apple_parts.k of the file being imported; stored files are 1..n in import order
_LABELS = {
    "date": "Date",
    "app_apple_identifier": "App Apple Identifier",
    "event": "Event",
    "download_type": "Download Type",
    "territory": "Territory",
    "counts": "Counts",
}


# Warehouse copies of these reports (Fivetran's app_store_installation_and_deletion_*_daily and
# app_store_download_*_daily tables) name the app `app_id` and are comma-separated.
ALIASES = {"app_id": "app_apple_identifier"}


def _delimiter(src: SourceFile) -> str:
    """TAB for Apple's own segments; a comma for a warehouse table exported as CSV."""
    return "\t" if "\t" in csvtext.first_line(src.head) else ","


def _header(src: SourceFile) -> tuple[list[str], list[str]]:
    """The header and its keys; a loader's bookkeeping columns get keys of their own
    (`_bookkeeping_<i>`), so they are never a detail or a required column."""
    header = csvtext.parse_header(src, _delimiter(src))
    keys = []
    for i, name in enumerate(header):
        key = csvtext.normalise_header(name)
        keys.append(f"_bookkeeping_{i}" if csvtext.is_bookkeeping(name) else ALIASES.get(key, key))
    return header, keys


def _mapping_sql(spec: ReportSpec) -> str:
    """The fixed (download type, metric) pairs as a VALUES list of our own constants."""
    pairs = [(t, m) for t, metrics in spec.types.items() for m in metrics]
    return ", ".join(f"('{t}', '{m}')" for t, m in pairs)


@dataclass
class _File:
    """One file's de-duplicated rows in temp table `table` (columns c0..cN as in its header,
    plus line, copies and the unit keys date_key/app_key)."""

    k: int
    table: str
    header: list[str]
    keys: list[str]
    import_id: int | None = None
    delimiter: str = "\t"

    @property
    def col(self) -> dict[str, str]:
        return {k: f"c{i}" for i, k in enumerate(self.keys)}

    def label(self) -> str:
        return f"import #{self.import_id}" if self.import_id is not None else "this file"


def _load(
    con: duckdb.DuckDBPyConnection,
    src: SourceFile,
    table: str,
    k: int,
    only_units: bool,
    spec: ReportSpec = INSTALLS,
) -> tuple[_File, int]:
    """Read one file into `table`, its rows de-duplicated; (the file, rows read).

    `only_units` keeps only the apps and days in temp table apple_units (a stored file is read
    for the days the new file shares with it). Only our own identifiers (table names, c0..cN)
    and fixed constants reach the SQL text.
    """
    header, keys = _header(src)
    problems = csvtext.duplicate_header_problems(header)
    missing = [c for c in spec.required if c not in keys]
    if missing:
        problems.append(
            Problem(
                f"missing column(s) {', '.join(_LABELS[m] for m in missing)} of the "
                f"{spec.title} report.",
                line=1,
                hint="Import the report segment as downloaded from Apple.",
            )
        )
    if problems:
        raise ImportFailed(src.name, problems)
    delimiter = _delimiter(src)
    rows = csvtext.read_text_table(con, src, delimiter, len(header), labels=header)
    file = _File(k, table, header, keys, delimiter=delimiter)
    col = file.col
    # Full rows, but a loader's bookkeeping columns (when a row was synced, its hash id) do
    # not make two deliveries of one row different.
    grouped = [c for key, c in col.items() if not key.startswith("_bookkeeping_")]
    kept = [f"min({c}) as {c}" for key, c in col.items() if key.startswith("_bookkeeping_")]
    all_cols = ", ".join(grouped + kept)
    group_cols = ", ".join(grouped)
    units = "semi join apple_units u using (date_key, app_key)" if only_units else ""
    # Full-row de-duplication; the repeated header of concatenated segments is dropped.
    sql.run_text(
        con,
        f"""
        create or replace temp table {table} as
        select *
        from (
            select *, trim({col["date"]}) as date_key,
                   nfc_normalize(trim({col["app_apple_identifier"]})) as app_key
            from (
                select {all_cols}, min(rowid) + 2 as line, count(*) as copies
                from raw
                where not ({col["date"]} is not distinct from $date_label
                           and {col["counts"]} is not distinct from $counts_label)
                group by {group_cols}
            )
        ) {units}""",  # noqa: S608
        date_label=header[keys.index("date")],
        counts_label=header[keys.index("counts")],
    )
    return file, rows


def _add_parts(con: duckdb.DuckDBPyConnection, file: _File, spec: ReportSpec = INSTALLS) -> None:
    """Append the file's sums per (day, app, territory, metric) to temp table apple_parts."""
    col = file.col
    app_name = col.get("app_name", "null::varchar")
    event = f"lower(trim({col['event']}))" if spec.events else "'install'"
    deletes = (
        "union all select t.*, 'uninstalls' from typed t where t.event = 'delete'"
        if spec.events
        else ""
    )
    sql.run_text(
        con,
        f"""
        insert into apple_parts
        with typed as (
            select line, date_key, app_key, {col["date"]} as date,
                   {col["app_apple_identifier"]} as app, {app_name} as app_name,
                   coalesce(nullif(trim({col["territory"]}), ''), '{UNKNOWN_COUNTRY}')
                       as country,
                   {event} as event,
                   lower(trim(coalesce({col["download_type"]}, ''))) as download_type,
                   trim({col["counts"]})::hugeint as counts
            from {file.table}
        ),
        mapping (download_type, metric) as (values {_mapping_sql(spec)}),
        tagged as (
            select t.*, m.metric from typed t join mapping m using (download_type)
            where t.event = 'install'
            {deletes}
        )
        select {file.k} as k, min(line) as line, date_key, app_key, min(date) as date,
               min(app) as app, min(app_name) as app_name, country, metric,
               sum(counts) as counts
        from tagged
        group by date_key, app_key, country, metric""",  # noqa: S608
    )


def _check(
    con: duckdb.DuckDBPyConnection, src: SourceFile, file: _File, spec: ReportSpec = INSTALLS
) -> list[Problem]:
    """Values the sums depend on, checked before summing (a sum would hide them)."""
    col = file.col
    labels = {c: file.header[int(c[1:])] for c in col.values()}
    events = (
        f"""
        union all
        select line, 'event', {col["event"]},
               'unknown Event (expected Install or Delete).'
        from {file.table}
        where lower(trim(coalesce({col["event"]}, ''))) not in ('install', 'delete')"""  # noqa: S608
        if spec.events
        else ""
    )
    bad = sql.run_text(
        con,
        f"""
        select line, 'counts' as field, {col["counts"]} as value,
               case when nullif(trim({col["counts"]}), '') is null
                    then 'empty Counts on an event row; the day cannot be summed.'
                    else 'Counts must be a whole number of events.' end as message
        from {file.table}
        where not regexp_full_match(coalesce(trim({col["counts"]}), ''), '\\d{{1,15}}')
        {events}
        order by line
        limit {MAX_SHOWN}""",  # noqa: S608
    )
    problems = []
    for line, field, value, message in bad:
        column = labels[col[field]]
        problems.append(
            Problem(
                message,
                line=int(line),
                column=column,
                value=value,
                hint="Download the segment again; installpulse does not guess counts.",
            )
        )
    if problems:
        mapping = csvtext.physical_lines(src.path, file.delimiter, {p.line - 2 for p in problems})
        problems = [
            Problem(p.message, mapping.get(p.line - 2, p.line), p.column, p.value, p.hint)
            for p in problems
        ]
    return problems


def _overlap_units(con: duckdb.DuckDBPyConnection, a: _File, b: _File) -> set[tuple[str, str]]:
    """The (day, app) units on which files a and b share a detail row, compared on the
    detail columns both have (trimmed, case-insensitive; empty = missing)."""
    common = [
        k
        for k in a.keys
        if k in b.keys and k not in NOT_DETAIL and not k.startswith("_bookkeeping_")
    ]
    ca, cb = a.col, b.col
    on = " and ".join(
        f"lower(trim(coalesce(x.{ca[k]}, ''))) = lower(trim(coalesce(y.{cb[k]}, '')))"
        for k in common
    )
    rows = sql.run_text(
        con,
        f"select distinct x.date_key, x.app_key from {a.table} x join {b.table} y "  # noqa: S608
        f"on x.date_key = y.date_key and x.app_key = y.app_key and {on}",
    )
    return {(d, app) for d, app in rows}


def _units_of(con: duckdb.DuckDBPyConnection, file: _File) -> set[tuple[str, str]]:
    rows = sql.run_text(
        con,
        f"select distinct date_key, app_key from {file.table} "  # noqa: S608
        "where date_key is not null and app_key is not null",
    )
    return {(d, app) for d, app in rows}


def _fold(
    con: duckdb.DuckDBPyConnection, files: list[_File]
) -> tuple[dict[tuple[str, str], list[_File]], dict[tuple[str, str], list[_File]]]:
    """Which files count for each unit: in order, a file drops the earlier counting files it
    shares a detail row with and joins the rest. Returns (counting files per unit, the files
    the last file dropped per unit)."""
    units = {f.k: _units_of(con, f) for f in files}
    overlaps: dict[tuple[int, int], set[tuple[str, str]]] = {}
    for i, a in enumerate(files):
        for b in files[i + 1 :]:
            if units[a.k] & units[b.k]:
                overlaps[(a.k, b.k)] = _overlap_units(con, a, b)
    counting: dict[tuple[str, str], list[_File]] = {}
    dropped: dict[tuple[str, str], list[_File]] = {}
    for unit in set().union(*units.values()):
        live: list[_File] = []
        for f in files:
            if unit not in units[f.k]:
                continue
            gone = [e for e in live if unit in overlaps.get((e.k, f.k), set())]
            live = [e for e in live if e not in gone] + [f]
            dropped[unit] = gone
        counting[unit] = live
    return counting, dropped


def _archived(
    con: duckdb.DuckDBPyConnection,
    row: tuple,
    workdir: Path,
    k: int,
    for_name: str,
    spec: ReportSpec = INSTALLS,
) -> _File:
    """A stored file of this format, read back from the archive into apple_seg_<k>."""
    import_id, file_name, sha, archive_path, options_text = row
    candidates = [Path(archive_path)] if archive_path else []
    db_file = sql.run_text(
        con, "select path from duckdb_databases() where database_name = current_database()"
    )[0][0]
    if db_file and sha:
        candidates.append(settings.archive_dir(Path(db_file)) / sha[:2] / sha)
    path = next((p for p in candidates if p.is_file()), None)

    def fail(reason: str) -> ImportFailed:
        return ImportFailed(
            for_name,
            [
                Problem(
                    f"cannot be compared with import #{import_id} ({file_name}) of the same "
                    f"app and days: {reason}",
                    hint="Segments and restatements of App Store reports are told apart by "
                    "their rows. Put the archive folder back (INSTALLPULSE_ARCHIVE), or undo "
                    f"import #{import_id} and import its file again together with this one.",
                )
            ],
        )

    if path is None:
        raise fail("its archived copy is missing.")
    try:
        known = set(vars(IngestOptions()))
        options = {k: v for k, v in json.loads(options_text or "{}").items() if k in known}
        src = sources.prepare(path, file_name, workdir, IngestOptions(**options))
        file, _ = _load(con, src, f"apple_seg_{k}", k, only_units=True, spec=spec)
        problems = _check(con, src, file, spec)
    except ImportFailed as exc:
        raise fail(f"its archived copy no longer reads ({exc.problems[0].message})") from exc
    if problems:
        raise fail(f"its archived copy no longer reads ({problems[0].message})")
    file.import_id = int(import_id)
    return file


def _stored_files(
    con: duckdb.DuckDBPyConnection, workdir: Path, for_name: str, spec: ReportSpec = INSTALLS
) -> list[_File]:
    """The stored files of this format holding rows for the units in apple_units, oldest
    first, each read into its own temp table with its sums added to apple_parts."""
    files = []
    for k, row in enumerate(sql.run(con, "apple_segment_candidates", format=spec.name), start=1):
        file = _archived(con, row, workdir, k, for_name, spec)
        _add_parts(con, file, spec)
        files.append(file)
    return files


def _create_parts(con: duckdb.DuckDBPyConnection) -> None:
    sql.run_text(
        con,
        "create or replace temp table apple_parts (k integer, line bigint, date_key varchar, "
        "app_key varchar, date varchar, app varchar, app_name varchar, country varchar, "
        "metric varchar, counts hugeint)",
    )
    sql.run_text(
        con,
        "create or replace temp table apple_live (k integer, date_key varchar, app_key varchar, "
        "import_id integer)",
    )


def _set_live(con: duckdb.DuckDBPyConnection, counting: dict[tuple[str, str], list[_File]]) -> None:
    rows = [(f.k, d, app, f.import_id) for (d, app), files in counting.items() for f in files]
    if rows:
        ks, days, apps, ids = (list(x) for x in zip(*rows, strict=True))
        sql.run_text(
            con,
            "insert into apple_live select unnest($ks), unnest($days), unnest($apps), unnest($ids)",
            ks=ks,
            days=days,
            apps=apps,
            ids=ids,
        )


def _notices(dropped: dict[tuple[str, str], list[_File]], counting: dict) -> list[str]:
    added: dict[int, int] = {}
    restated: dict[int, int] = {}
    for unit, live in counting.items():
        for f in live:
            if f.import_id is not None:
                added[f.import_id] = added.get(f.import_id, 0) + 1
        for f in dropped.get(unit, []):
            if f.import_id is not None:
                restated[f.import_id] = restated.get(f.import_id, 0) + 1
    out = []
    for import_id, n in sorted(added.items()):
        out.append(
            f"another segment of the report of import #{import_id} (no detail row in common) "
            f"on {n} app-day(s): the stored totals are now the sum of both."
        )
    for import_id, n in sorted(restated.items()):
        out.append(
            f"restates import #{import_id} (the same detail rows) on {n} app-day(s): its rows "
            "there no longer count (undo brings them back)."
        )
    return out


class AppleSegmentReport:
    """The adapter of one Analytics Reports API report (`spec`): segments add up, restatements
    replace, undo re-folds - the machinery of this module, shared by every such report."""

    spec: ReportSpec = INSTALLS
    name = NAME
    label = ""
    how_to_get = ""

    def sniff(self, src: SourceFile) -> bool:
        raise NotImplementedError

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        spec = self.spec
        new, rows = _load(con, src, "apple_rows", NEW, only_units=False, spec=spec)
        stats = sql.run_text(con, "select count(*), coalesce(sum(copies - 1), 0) from apple_rows")[
            0
        ]
        if rows == 0 or stats[0] == 0:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no data rows (only a header).", line=1, hint="Download the segment again."
                    )
                ],
            )
        problems = _check(con, src, new, spec)
        if problems:
            raise ImportFailed(src.name, problems)
        _create_parts(con)
        _add_parts(con, new, spec)
        sql.run(con, "apple_segment_units_new")
        notices = []
        with tempfile.TemporaryDirectory(prefix="installpulse-segments-") as tmp:
            stored = _stored_files(con, Path(tmp), src.name, spec)
        if stored:
            counting, dropped = _fold(con, [*stored, new])
            notices += _notices(dropped, counting)
        else:
            counting = {unit: [new] for unit in _units_of(con, new)}
        _set_live(con, counting)
        sql.run(con, "apple_segment_staging")
        staged = sql.run_text(con, "select count(*) from staging")[0][0]
        if stats[1]:
            notices.append(
                f"{stats[1]} identical row(s) were delivered more than once and counted once."
            )
        col = new.col
        event = f"lower(trim({col['event']}))" if spec.events else "'install'"
        ignored = sql.run_text(
            con,
            f"""
            select lower(trim(coalesce({col["download_type"]}, ''))) as t, count(*)
            from apple_rows
            where {event} = 'install'
              and lower(trim(coalesce({col["download_type"]}, ''))) not in
                  (select unnest($types))
            group by t order by t""",  # noqa: S608
            types=list(spec.types),
        )
        rows_of = "Install row(s)" if spec.events else "row(s)"
        for kind, count in ignored:
            notices.append(
                f"{count} {rows_of} with Download Type '{kind or '(blank)'}' are not part "
                "of any installpulse metric and were left out."
            )
        header, keys = new.header, new.keys
        labels = {
            "date": header[keys.index("date")],
            "app": header[keys.index("app_apple_identifier")],
            "platform": "(App Store: ios)",
            "country": header[keys.index("territory")],
            "source": "(app_store_connect)",
            "counts": f"{header[keys.index('counts')]} (summed)",
        }
        return Staged(
            rows=int(staged),
            labels=labels,
            notices=notices,
            delimiter=new.delimiter,
            lines_from_records=True,
        )

    def after_write(self, con: duckdb.DuckDBPyConnection, import_id: int) -> int:
        """Inside the import transaction, after the write: rows of this format's earlier files
        for the new file's apps and days that the new totals do not hold (series only a
        restated file had) are moved aside like replaced rows; returns how many."""
        fmt = self.spec.name
        moved = int(sql.run(con, "apple_segment_retire", import_id=import_id, format=fmt)[0][0])
        if moved:
            sql.run(con, "apple_segment_retire_delete", import_id=import_id, format=fmt)
        return moved

    def before_undo(self, con: duckdb.DuckDBPyConnection, import_id: int) -> None:
        """The apps and days an import of this format touched, kept for after_undo."""
        sql.run(con, "apple_segment_units_of_import", import_id=import_id)

    def after_undo(self, con: duckdb.DuckDBPyConnection, import_id: int) -> None:
        """After the generic undo: the files left are folded again for the undone file's apps
        and days, and the stored rows of this format there are set to their sums."""
        _create_parts(con)
        with tempfile.TemporaryDirectory(prefix="installpulse-segments-") as tmp:
            stored = _stored_files(con, Path(tmp), f"undo of import #{import_id}", self.spec)
        if stored:
            counting, _ = _fold(con, stored)
            _set_live(con, counting)
        for name in (
            "apple_segment_target",
            "apple_segment_settle_update",
            "apple_segment_settle_beneath",
            "apple_segment_settle_dropped",
            "apple_segment_settle_drop",
            "apple_segment_settle_restore",
            "apple_segment_settle_restored",
            "apple_segment_settle_insert",
        ):
            sql.run(con, name, format=self.spec.name)


class AppleInstallsDeletions(AppleSegmentReport):
    spec = INSTALLS
    name = NAME
    label = (
        "App Store Connect 'App Store Installation and Deletion' report "
        "(Standard/Detailed, .txt.gz)"
    )
    how_to_get = (
        "App Store Connect API: POST /v1/analyticsReportRequests (accessType ONGOING) once per "
        "app, then GET .../reports?filter[name]=App Store Installation and Deletion Standard "
        "(or Detailed) -> instances?filter[granularity]=DAILY -> segments, and download each "
        "segment's url (.txt.gz). Import the segments as they are, together or one by one: "
        "segments of one instance add up, a restated segment replaces its earlier copy. A "
        "warehouse table (app_store_installation_and_deletion_*_daily) as CSV or Parquet "
        "works too."
    )

    def sniff(self, src: SourceFile) -> bool:
        line = csvtext.first_line(src.head)
        if "\t" not in line and "," not in line:
            return False
        _, keys = _header(src)
        return all(k in keys for k in ("app_apple_identifier", "event", "download_type", "counts"))
