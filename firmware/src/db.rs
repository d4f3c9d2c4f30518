//! The local SQLite database: the installer's callee table and whatever scripts store.
//!
//! One file (by default `/var/lib/dsmbox/dsmbox.db`), opened in WAL mode with
//! `synchronous=FULL`, so a committed transaction survives a power cut and a torn write never
//! corrupts the file (SQLite's atomic commit). Queries from DSM scripts (the `mysql.*` actions,
//! run on SQLite) always bind call data as SQL parameters: see [`Database::query`].
//!
//! The callee table is `callees(id, caller, callee, pin)`, the tutorial's schema. Installers
//! manage it as CSV (`dsmbox callees import|export`); a `callees.csv` in the configuration
//! directory is imported at start-up, replacing the table in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, types::ValueRef};

/// Why a database operation failed. The variants map onto mod_mysql's `$errno` values.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be opened, or the file is not a database (`$errno=connection`).
    #[error("cannot open database {path}: {reason}")]
    Connection {
        /// The database file.
        path: String,
        /// SQLite's reason.
        reason: String,
    },
    /// The statement failed (`$errno=query`).
    #[error("query failed: {0}")]
    Query(String),
    /// A `db_url` we cannot use (`$errno=arg`).
    #[error("{0}")]
    Url(String),
    /// A CSV file could not be imported; each entry names the line.
    #[error("{}", .0.join("\n"))]
    Csv(Vec<String>),
}

impl DbError {
    fn query(e: rusqlite::Error) -> DbError {
        DbError::Query(e.to_string())
    }
}

/// Where a `db_url` points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DbLocation {
    /// A database file.
    File(PathBuf),
    /// A private in-memory database (`sqlite::memory:`), for tests.
    Memory,
}

/// Parses a `db_url`: `sqlite:///absolute/path.db`, `sqlite:relative/path.db` (relative to
/// `base`, the configuration directory) or `sqlite::memory:`. A `mysql://` URL gets an error
/// that says what to write instead: dsmbox runs the `mysql.*` actions on SQLite.
pub fn parse_db_url(url: &str, base: &Path) -> Result<DbLocation, DbError> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest == ":memory:" {
            return Ok(DbLocation::Memory);
        }
        let path = if let Some(abs) = rest.strip_prefix("//") {
            if !abs.starts_with('/') {
                return Err(DbError::Url(format!(
                    "db_url '{url}': write sqlite:///absolute/path.db (three slashes) or sqlite:relative/path.db"
                )));
            }
            PathBuf::from(abs)
        } else {
            base.join(rest)
        };
        if path.as_os_str().is_empty() || rest.is_empty() {
            return Err(DbError::Url(format!("db_url '{url}' names no file")));
        }
        return Ok(DbLocation::File(path));
    }
    if url.starts_with("mysql://") {
        return Err(DbError::Url(format!(
            "db_url '{url}': dsmbox keeps its data in SQLite, not MySQL; \
             write db_url=sqlite:///var/lib/dsmbox/dsmbox.db (the mysql.* actions work unchanged)"
        )));
    }
    Err(DbError::Url(format!(
        "db_url '{url}' is not understood; write db_url=sqlite:///path/to/file.db"
    )))
}

/// A result set, every value as text (as mod_mysql hands values to scripts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// Column labels, in order.
    pub columns: Vec<String>,
    /// The rows; each has one value per column. SQL NULL is the empty string.
    pub rows: Vec<Vec<String>>,
}

/// What a non-SELECT statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// Rows changed (`$db.rows` after `mysql.execute`).
    pub affected: u64,
    /// The rowid of the last insert (`$db.insert_id`; SQLite's `last_insert_rowid()`).
    pub insert_id: i64,
}

/// One open database.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
    name: String,
}

fn value_text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

impl Database {
    /// Opens (creating it if needed) the appliance's own database and its schema.
    pub fn open_or_create(location: &DbLocation) -> Result<Database, DbError> {
        let db = Self::open_with(
            location,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        db.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS callees (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    caller TEXT NOT NULL,
                    callee TEXT NOT NULL,
                    pin TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS callees_by_caller ON callees(caller);",
            )
            .map_err(|e| db.connection_error(e))?;
        Ok(db)
    }

    /// Opens an existing database for a script (`mysql.connect`): a missing or unreadable file,
    /// or one that is not a database, is a connection error, as an unreachable MySQL server is.
    pub fn connect(location: &DbLocation) -> Result<Database, DbError> {
        Self::open_with(location, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn open_with(location: &DbLocation, flags: OpenFlags) -> Result<Database, DbError> {
        let (conn, name) = match location {
            DbLocation::Memory => (Connection::open_in_memory(), ":memory:".to_string()),
            DbLocation::File(p) => (
                Connection::open_with_flags(p, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX),
                p.display().to_string(),
            ),
        };
        let conn = conn.map_err(|e| DbError::Connection {
            path: name.clone(),
            reason: e.to_string(),
        })?;
        let db = Database { conn, name };
        // WAL: readers never block the writer, and a crash mid-commit leaves the last
        // committed state. FULL: a commit is on the card before it is reported done.
        // Reading sqlite_master also proves the file is a database at all.
        db.conn
            .execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
                 SELECT count(*) FROM sqlite_master;",
            )
            .map_err(|e| db.connection_error(e))?;
        db.conn
            .busy_timeout(std::time::Duration::from_millis(200))
            .map_err(|e| db.connection_error(e))?;
        Ok(db)
    }

    fn connection_error(&self, e: rusqlite::Error) -> DbError {
        DbError::Connection {
            path: self.name.clone(),
            reason: e.to_string(),
        }
    }

    /// Runs a query with `params` bound to its `?` placeholders, in order.
    ///
    /// Scripts' values never become SQL text: `mysql.query(select callee, pin from callees
    /// where caller=$query_key)` reaches this function as `... where caller=?` with the value
    /// of `$query_key` as the one parameter, so a caller whose user part is
    /// `35/**/OR/**/1=1` only ever compares `caller` to that string.
    pub fn query(&self, sql: &str, params: &[String]) -> Result<Rows, DbError> {
        let values: Vec<rusqlite::types::Value> = params
            .iter()
            .map(|p| rusqlite::types::Value::Text(p.clone()))
            .collect();
        self.query_values(sql, &values)
    }

    /// [`Database::query`] with typed parameters (text, or a BLOB for `mysql.putFileToDB`).
    pub fn query_values(
        &self,
        sql: &str,
        params: &[rusqlite::types::Value],
    ) -> Result<Rows, DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(DbError::query)?;
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let n = columns.len();
        let mut rows_out = Vec::new();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(DbError::query)?;
        while let Some(row) = rows.next().map_err(DbError::query)? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(value_text(row.get_ref(i).map_err(DbError::query)?));
            }
            rows_out.push(vals);
        }
        Ok(Rows {
            columns,
            rows: rows_out,
        })
    }

    /// Runs any statement with typed parameters; a statement that returns rows (a SELECT) is
    /// stepped through and reports `returned_rows`.
    pub fn execute_values(
        &self,
        sql: &str,
        params: &[rusqlite::types::Value],
    ) -> Result<(Executed, bool), DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(DbError::query)?;
        if stmt.column_count() > 0 {
            let mut rows = stmt
                .query(rusqlite::params_from_iter(params.iter()))
                .map_err(DbError::query)?;
            while rows.next().map_err(DbError::query)?.is_some() {}
            return Ok((
                Executed {
                    affected: 0,
                    insert_id: 0,
                },
                true,
            ));
        }
        let affected = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(DbError::query)?;
        Ok((
            Executed {
                affected: affected as u64,
                insert_id: self.conn.last_insert_rowid(),
            },
            false,
        ))
    }

    /// The first column of the first row as bytes (`mysql.playDBAudio`, `getFileFromDB`).
    pub fn fetch_blob(
        &self,
        sql: &str,
        params: &[rusqlite::types::Value],
    ) -> Result<Option<Vec<u8>>, DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(DbError::query)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(DbError::query)?;
        let Some(row) = rows.next().map_err(DbError::query)? else {
            return Ok(None);
        };
        let v = row.get_ref(0).map_err(DbError::query)?;
        Ok(Some(match v {
            ValueRef::Null => Vec::new(),
            ValueRef::Integer(i) => i.to_string().into_bytes(),
            ValueRef::Real(r) => r.to_string().into_bytes(),
            ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
        }))
    }

    /// Runs a statement that changes data, with `params` bound in order.
    pub fn execute(&self, sql: &str, params: &[String]) -> Result<Executed, DbError> {
        let affected = self
            .conn
            .execute(sql, rusqlite::params_from_iter(params.iter()))
            .map_err(DbError::query)?;
        Ok(Executed {
            affected: affected as u64,
            insert_id: self.conn.last_insert_rowid(),
        })
    }

    /// Replaces the callee table with the rows of a CSV text (`caller,callee,pin`, with or
    /// without that header line), in one transaction: on any error nothing changes, and every
    /// bad line is reported with its number. Returns the number of rows imported.
    pub fn import_callees_csv(
        &mut self,
        source_name: &str,
        csv_text: &str,
    ) -> Result<usize, DbError> {
        let rows = parse_callees_csv(source_name, csv_text)?;
        let tx = self.conn.transaction().map_err(DbError::query)?;
        tx.execute("DELETE FROM callees", [])
            .map_err(DbError::query)?;
        {
            let mut ins = tx
                .prepare("INSERT INTO callees (caller, callee, pin) VALUES (?1, ?2, ?3)")
                .map_err(DbError::query)?;
            for r in &rows {
                ins.execute([&r.caller, &r.callee, &r.pin])
                    .map_err(DbError::query)?;
            }
        }
        tx.commit().map_err(DbError::query)?;
        Ok(rows.len())
    }

    /// The callee table as CSV with a header line, ordered by id.
    pub fn export_callees_csv(&self) -> Result<String, DbError> {
        let rows = self.query("SELECT caller, callee, pin FROM callees ORDER BY id", &[])?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| DbError::Query(e.to_string());
        w.write_record(["caller", "callee", "pin"]).map_err(fail)?;
        for r in &rows.rows {
            w.write_record(r).map_err(fail)?;
        }
        let bytes = w.into_inner().map_err(|e| DbError::Query(e.to_string()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// One row of the callee table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalleeRow {
    /// The number callers dial (the request-URI user of the inbound call).
    pub caller: String,
    /// Who is called (the user part of the dial-out).
    pub callee: String,
    /// The PIN that callee must type.
    pub pin: String,
}

/// Parses callee CSV: three columns, an optional `caller,callee,pin` header, `#` comment lines
/// and blank lines skipped. Every error names `source:line`.
pub fn parse_callees_csv(source_name: &str, text: &str) -> Result<Vec<CalleeRow>, DbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // csv's positions point where it started scanning for a record, before the blank and
    // comment lines it skips, and its line counter does not count those: find the real line.
    let line_at = |pos: Option<&csv::Position>| {
        let mut byte = pos.map(|p| p.byte() as usize).unwrap_or(0).min(text.len());
        loop {
            let rest = text.get(byte..).unwrap_or("");
            let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest[..end].trim();
            if end == 0 || !(line.is_empty() || line.starts_with('#')) || byte + end >= text.len() {
                break;
            }
            byte += end;
        }
        text.as_bytes()[..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = line_at(e.position());
                errors.push(format!("{source_name}:{line}: {e}"));
                continue;
            }
        };
        let line = line_at(rec.position());
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if out.is_empty()
            && errors.is_empty()
            && rec.len() == 3
            && rec[0].eq_ignore_ascii_case("caller")
            && rec[1].eq_ignore_ascii_case("callee")
            && rec[2].eq_ignore_ascii_case("pin")
        {
            continue;
        }
        if rec.len() != 3 {
            errors.push(format!(
                "{source_name}:{line}: expected 3 fields (caller,callee,pin), found {}",
                rec.len()
            ));
            continue;
        }
        let row = CalleeRow {
            caller: rec[0].to_string(),
            callee: rec[1].to_string(),
            pin: rec[2].to_string(),
        };
        if row.caller.is_empty() || row.callee.is_empty() {
            errors.push(format!(
                "{source_name}:{line}: caller and callee must not be empty"
            ));
            continue;
        }
        if !row
            .pin
            .chars()
            .all(|c| c.is_ascii_digit() || "*#ABCDabcd".contains(c))
        {
            errors.push(format!(
                "{source_name}:{line}: pin '{}' has characters a keypad cannot send",
                row.pin
            ));
            continue;
        }
        out.push(row);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DbError::Csv(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem() -> Database {
        Database::open_or_create(&DbLocation::Memory).unwrap()
    }

    /// The SQL that docs/dsm-differences.md promises scripts, against the SQLite that
    /// `.cargo/config.toml`'s `LIBSQLITE3_FLAGS` builds.
    #[test]
    fn the_bundled_sqlite_has_what_the_docs_promise_and_not_the_parts_left_out() {
        let db = mem();
        let json = db
            .query("select json_extract('{\"pin\":\"12345\"}', '$.pin')", &[])
            .unwrap();
        assert_eq!(json.rows[0][0], "12345");
        let sx = db.query("select soundex('Robert')", &[]).unwrap();
        assert_eq!(sx.rows[0][0], "R163");
        for left_out in ["fts5(body)", "fts4(body)", "rtree(id, x0, x1)"] {
            let e = db
                .execute(&format!("create virtual table t using {left_out}"), &[])
                .unwrap_err();
            assert!(e.to_string().contains("no such module"), "{left_out}: {e}");
        }
    }

    #[test]
    fn db_urls() {
        let base = Path::new("/etc/dsmbox");
        assert_eq!(
            parse_db_url("sqlite:///var/lib/dsmbox/x.db", base).unwrap(),
            DbLocation::File("/var/lib/dsmbox/x.db".into())
        );
        assert_eq!(
            parse_db_url("sqlite:data/x.db", base).unwrap(),
            DbLocation::File("/etc/dsmbox/data/x.db".into())
        );
        assert_eq!(
            parse_db_url("sqlite::memory:", base).unwrap(),
            DbLocation::Memory
        );
        let e = parse_db_url("mysql://user:pwd@localhost/quizconnect", base).unwrap_err();
        assert!(e.to_string().contains("write db_url=sqlite:///"), "{e}");
        assert!(parse_db_url("sqlite://relative.db", base).is_err());
        assert!(parse_db_url("postgres://x", base).is_err());
    }

    #[test]
    fn tutorial_query_with_bound_key_finds_rows_and_injection_finds_none() {
        let mut db = mem();
        db.import_callees_csv(
            "t.csv",
            "caller,callee,pin\n35,john,12345\n35,anna,54321\n36,bob,1\n",
        )
        .unwrap();
        let sql = "select callee, pin from callees where caller=?";
        let r = db.query(sql, &["35".to_string()]).unwrap();
        assert_eq!(r.columns, vec!["callee", "pin"]);
        assert_eq!(r.rows, vec![vec!["john", "12345"], vec!["anna", "54321"]]);
        // Pasted into the SQL text this would select every row; bound, it selects none.
        for evil in [
            "35/**/OR/**/1=1",
            "35 OR 1=1",
            "35'; DROP TABLE callees; --",
            "\"35\"",
        ] {
            assert!(
                db.query(sql, &[evil.to_string()]).unwrap().rows.is_empty(),
                "{evil}"
            );
        }
        assert_eq!(
            db.query("select count(*) from callees", &[]).unwrap().rows[0][0],
            "3"
        );
    }

    #[test]
    fn execute_reports_affected_rows_and_insert_id() {
        let db = mem();
        let e = db
            .execute(
                "insert into callees (caller, callee, pin) values (?, ?, ?)",
                &["1".into(), "a".into(), "9".into()],
            )
            .unwrap();
        assert_eq!(
            e,
            Executed {
                affected: 1,
                insert_id: 1
            }
        );
        let e = db
            .execute(
                "update callees set pin=? where caller=?",
                &["7".into(), "1".into()],
            )
            .unwrap();
        assert_eq!(e.affected, 1);
        assert!(matches!(
            db.query("selec nonsense", &[]),
            Err(DbError::Query(_))
        ));
    }

    #[test]
    fn csv_errors_name_lines_and_change_nothing() {
        let mut db = mem();
        db.import_callees_csv("a.csv", "35,john,12345\n").unwrap();
        let err = db
            .import_callees_csv(
                "b.csv",
                "caller,callee,pin\n35,anna,54321\n36,only-two\n\n# note\n37,x,12x5\n",
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.csv:3: expected 3 fields (caller,callee,pin), found 2\nb.csv:6: pin '12x5' has characters a keypad cannot send"
        );
        assert_eq!(
            db.export_callees_csv().unwrap(),
            "caller,callee,pin\n35,john,12345\n"
        );
    }

    #[test]
    fn csv_round_trip_with_quotes() {
        let mut db = mem();
        let n = db
            .import_callees_csv("c.csv", "\u{feff}35,\"o'brien, j\",1\r\n35,anna,54321\r\n")
            .unwrap();
        assert_eq!(n, 2);
        let out = db.export_callees_csv().unwrap();
        assert_eq!(
            out,
            "caller,callee,pin\n35,\"o'brien, j\",1\n35,anna,54321\n"
        );
        let mut db2 = mem();
        db2.import_callees_csv("out.csv", &out).unwrap();
        assert_eq!(db2.export_callees_csv().unwrap(), out);
    }

    #[test]
    fn connect_refuses_missing_and_non_database_files() {
        let dir = std::env::temp_dir().join(format!("dsmbox-db-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = DbLocation::File(dir.join("missing.db"));
        assert!(matches!(
            Database::connect(&missing),
            Err(DbError::Connection { .. })
        ));
        let junk = dir.join("junk.db");
        std::fs::write(
            &junk,
            b"this is not a database, it is a text file of some length......",
        )
        .unwrap();
        let e = Database::connect(&DbLocation::File(junk)).unwrap_err();
        assert!(e.to_string().contains("not a database"), "{e}");
        // The appliance's own database is created with its schema, then scripts can connect.
        let real = DbLocation::File(dir.join("real.db"));
        Database::open_or_create(&real).unwrap();
        let db = Database::connect(&real).unwrap();
        assert_eq!(
            db.query("select count(*) from callees", &[]).unwrap().rows[0][0],
            "0"
        );
        let mode = db.query("pragma journal_mode", &[]).unwrap();
        assert_eq!(mode.rows[0][0], "wal");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
