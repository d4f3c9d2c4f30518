//! The DSM host: what scripts need answered at once (spec §5, §6) — database queries on
//! SQLite (the `mysql.*` actions), prompt files, dial-out tags, conference sizes, file
//! actions of `mod_sys`.
//!
//! `popen` and `sys.system` stay refused: a script must not run shell commands on the
//! appliance (SEMS allows it; it is listed in docs/dsm-differences.md).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use dsm::{DbError, DbExecution, DbRows, Dialout, Host, SqlStatement, SqlValue};
use media::mixer::Conference;
use media::playlist::PromptCache;
use rusqlite::types::Value as SqlParam;

use crate::apps::Apps;
use crate::db::{self, Database, DbLocation};

use super::leg::{Leg, LegId};

/// A small xorshift generator for tags and ids (seeded at start; not for security).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x2545_F491_4F6C_DD1D | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A SEMS-style local tag: `XXXXXXXX-XXXXXXXX-XXXXXXXX`.
    pub fn tag(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!("{:08X}-{:08X}-{:08X}", a >> 32, a as u32, b as u32)
    }
}

/// Open database connections of scripts (`mysql.connect`), by handle. Handles to the same
/// database share one SQLite connection: SEMS opens a MySQL connection per call, but on one
/// thread one connection serves every call, and 400 connections would cost 400 page caches.
#[derive(Debug, Default)]
pub struct DbPool {
    next: u64,
    conns: HashMap<u64, std::rc::Rc<Database>>,
    by_location: HashMap<DbLocation, std::rc::Weak<Database>>,
    /// Relative `sqlite:` paths are resolved against this directory.
    pub base: PathBuf,
}

impl DbPool {
    /// Closes a handle (`mysql.disconnect`, or the leg ended); the connection closes with
    /// its last handle.
    pub fn close(&mut self, handle: u64) {
        self.conns.remove(&handle);
        self.by_location.retain(|_, w| w.strong_count() > 0);
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }
}

/// Everything the switchboard shares among its legs.
pub struct Services {
    /// Loaded DSM applications.
    pub apps: Apps,
    /// Script database connections.
    pub db: DbPool,
    /// Decoded prompt files.
    pub prompts: PromptCache,
    /// The conference mixer.
    pub conference: Conference,
    /// Tags, ids.
    pub rng: Rng,
    /// Dial-out tags handed to scripts whose legs are not created yet.
    pub reserved: HashSet<String>,
    /// System DSMs scripts asked for (`createSystemDSM`), started after the current event.
    pub pending_system: Vec<(String, String)>,
}

/// The [`Host`] a session sees while one of its events runs.
pub struct DsmHost<'a> {
    /// Shared services.
    pub services: &'a mut Services,
    /// Live legs by tag.
    pub tags: &'a HashMap<String, LegId>,
    /// Named event queues.
    pub queues: &'a HashMap<String, LegId>,
    /// The leg whose session runs (its session is out of it meanwhile).
    pub leg: Option<&'a Leg>,
}

fn bind(params: &[SqlValue]) -> Result<Vec<SqlParam>, DbError> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Text(t) => Ok(SqlParam::Text(t.clone())),
            SqlValue::FileContents(path) => std::fs::read(path)
                .map(SqlParam::Blob)
                .map_err(|e| DbError::File(format!("{path}: {e}"))),
        })
        .collect()
}

fn query_err(e: db::DbError) -> DbError {
    match e {
        db::DbError::Connection { reason, .. } => DbError::Connection {
            code: 2002,
            message: reason,
        },
        db::DbError::Url(m) => DbError::BadUrl(m),
        other => DbError::Query(other.to_string()),
    }
}

impl DsmHost<'_> {
    fn conn(&self, handle: u64) -> Result<&Database, DbError> {
        self.services
            .db
            .conns
            .get(&handle)
            .map(|c| &**c)
            .ok_or_else(|| DbError::Query("not connected".into()))
    }
}

impl Host for DsmHost<'_> {
    fn audio_file_openable(&mut self, path: &str, write: bool) -> bool {
        if write {
            return std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .is_ok();
        }
        load_prompt(&mut self.services.prompts, path).is_ok()
    }

    fn reserve_dialout(&mut self, request: &Dialout) -> Option<String> {
        self.services.apps.resolve(&request.app)?;
        let tag = match &request.requested_ltag {
            Some(t) if !t.is_empty() => t.clone(),
            _ => self.services.rng.tag(),
        };
        if self.tags.contains_key(&tag) || self.services.reserved.contains(&tag) {
            log::error!(
                "dialout: local tag '{tag}' is already in use (clear($X_ltag) between dialouts)"
            );
            return None;
        }
        self.services.reserved.insert(tag.clone());
        Some(tag)
    }

    fn event_target_exists(&mut self, target: &str) -> bool {
        self.tags.contains_key(target)
            || self.queues.contains_key(target)
            || self.leg.is_some_and(|l| l.tag == target)
    }

    fn conference_size(&mut self, room: &str) -> usize {
        self.services.conference.size(room)
    }

    fn record_length_ms(&mut self) -> u64 {
        self.leg.map_or(0, |l| l.audio.record_length_ms())
    }

    fn record_data_size(&mut self) -> u64 {
        self.leg.map_or(0, |l| l.audio.record_data_size())
    }

    fn db_connect(&mut self, url: &str) -> Result<u64, DbError> {
        let location = db::parse_db_url(url, &self.services.db.base).map_err(query_err)?;
        if location == DbLocation::Memory {
            return Err(DbError::BadUrl(
                "sqlite::memory: would give every call its own empty database".into(),
            ));
        }
        let pool = &mut self.services.db;
        let conn = match pool
            .by_location
            .get(&location)
            .and_then(std::rc::Weak::upgrade)
        {
            Some(c) => c,
            None => {
                let c = std::rc::Rc::new(Database::connect(&location).map_err(query_err)?);
                pool.by_location
                    .insert(location, std::rc::Rc::downgrade(&c));
                c
            }
        };
        pool.next += 1;
        pool.conns.insert(pool.next, conn);
        Ok(pool.next)
    }

    fn db_disconnect(&mut self, handle: u64) -> Result<(), DbError> {
        self.services.db.close(handle);
        Ok(())
    }

    fn db_connected(&mut self, handle: u64) -> bool {
        self.services.db.conns.contains_key(&handle)
    }

    fn db_query(&mut self, handle: u64, statement: &SqlStatement) -> Result<DbRows, DbError> {
        let conn = self.conn(handle)?;
        let rows = conn
            .query_values(&statement.sql, &bind(&statement.params)?)
            .map_err(query_err)?;
        Ok(DbRows {
            columns: rows.columns,
            rows: rows.rows,
        })
    }

    fn db_execute(
        &mut self,
        handle: u64,
        statement: &SqlStatement,
    ) -> Result<DbExecution, DbError> {
        let conn = self.conn(handle)?;
        let (done, returned_rows) = conn
            .execute_values(&statement.sql, &bind(&statement.params)?)
            .map_err(query_err)?;
        Ok(DbExecution {
            returned_rows,
            affected_rows: done.affected,
            insert_id: u64::try_from(done.insert_id).unwrap_or(0),
        })
    }

    fn db_fetch_to_file(
        &mut self,
        handle: u64,
        statement: &SqlStatement,
        path: Option<&str>,
        fmt_hint: &str,
    ) -> Result<String, DbError> {
        let conn = self.conn(handle)?;
        let bytes = conn
            .fetch_blob(&statement.sql, &bind(&statement.params)?)
            .map_err(query_err)?
            .ok_or_else(|| DbError::Query("no rows".into()))?;
        let target = match path {
            Some(p) => p.to_string(),
            None => {
                // The file name only selects the format (spec §6.3).
                let ext = fmt_hint
                    .rsplit('.')
                    .next()
                    .filter(|e| !e.is_empty())
                    .unwrap_or("wav");
                let p = std::env::temp_dir().join(format!(
                    "dsmbox_db_{:016x}.{ext}",
                    self.services.rng.next_u64()
                ));
                p.display().to_string()
            }
        };
        std::fs::write(&target, bytes).map_err(|e| DbError::File(format!("{target}: {e}")))?;
        Ok(target)
    }

    fn db_client_version(&mut self, _handle: u64) -> String {
        format!("SQLite {}", rusqlite::version())
    }

    fn file_exists(&mut self, path: &str) -> bool {
        std::path::Path::new(path).exists()
    }

    fn mkdir(&mut self, path: &str) -> Result<(), String> {
        std::fs::create_dir(path).map_err(|e| e.to_string())
    }

    fn mkdir_recursive(&mut self, path: &str) -> Result<(), String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), String> {
        match std::fs::rename(from, to) {
            Ok(()) => Ok(()),
            // Across file systems (SD card to tmpfs): copy, then remove (SEMS's fallback
            // never ran: spec §6.4).
            Err(_) => std::fs::copy(from, to)
                .and_then(|_| std::fs::remove_file(from))
                .map_err(|e| e.to_string()),
        }
    }

    fn unlink(&mut self, path: &str) -> Result<(), String> {
        std::fs::remove_file(path).map_err(|e| e.to_string())
    }

    fn temp_file_name(&mut self) -> Result<String, String> {
        for _ in 0..16 {
            let p = std::env::temp_dir().join(format!(
                "dsmbox_{:06x}",
                self.services.rng.next_u64() & 0xFF_FFFF
            ));
            if std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .is_ok()
            {
                return Ok(p.display().to_string());
            }
        }
        Err("no temporary file name free".into())
    }

    fn wall_clock(&mut self) -> SystemTime {
        SystemTime::now()
    }

    fn create_system_dsm(&mut self, conf_name: &str, diagram: &str) -> Result<(), String> {
        check_system_dsm(&self.services.apps, conf_name, diagram)?;
        self.services
            .pending_system
            .push((conf_name.to_string(), diagram.to_string()));
        Ok(())
    }
}

/// Whether `diagram` of bundle `conf_name` exists (`main` is dsm.conf's own scripts).
pub fn check_system_dsm(apps: &Apps, conf_name: &str, diagram: &str) -> Result<(), String> {
    let name = crate::apps::bundle_name_of(conf_name);
    let bundle = apps
        .bundles()
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = apps.bundles().iter().map(|b| b.name.as_str()).collect();
            format!(
                "Error: Script config '{name}' not found, in [{}]",
                names.join(", ")
            )
        })?;
    if bundle.collection.has_diagram(diagram) {
        Ok(())
    } else {
        Err(format!("Error: diagram '{diagram}' not found in '{name}'"))
    }
}

/// Reads and decodes a prompt into the cache (once); the error is a value.
pub fn load_prompt(cache: &mut PromptCache, path: &str) -> Result<media::playlist::Clip, String> {
    if let Some(r) = cache.get(path) {
        return r.map_err(|e| e.to_string());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    cache
        .insert(path, &bytes)
        .map_err(|e| format!("{path}: {e}"))
}
