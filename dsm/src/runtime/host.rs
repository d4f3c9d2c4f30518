//! The [`Host`] trait: the few things a script needs answered *at once* (a query's rows, a
//! new leg's tag, whether a file can be opened), which therefore cannot be commands.
//!
//! `firmware` implements it; tests use a recording fake. One host value may serve many
//! sessions (it is passed to every `handle_*` call), so the methods that act on a session's
//! resources take the handle the host gave out.
//!
//! Every method has a conservative default, so an implementation only writes what it supports.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::command::Dialout;

/// A value bound to one `?` placeholder of a [`SqlStatement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    /// A value taken from the call (`$var` or `#param`): bind it as a parameter; it must
    /// never be pasted into SQL text.
    Text(String),
    /// `mysql.putFileToDB`'s `__FILE__`: bind the bytes of this file (a BLOB).
    FileContents(String),
}

/// A statement from `mysql.*`, with the script's `$var`/`#param` references turned into
/// `?` placeholders and their values listed in order.
///
/// SEMS pastes values into the SQL text unescaped (spec §6.3); dsmbox binds them instead.
/// A reference inside a quoted SQL literal is bound too: `'$x'` becomes `?`, and
/// `'%$x%'` becomes `('%' || ? || '%')` (SQLite string concatenation), so the statement
/// means what SEMS's pasted text meant while the value stays data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    /// The statement as the script wrote it.
    pub template: String,
    /// The SQL to prepare, with `?` placeholders.
    pub sql: String,
    /// One value per `?`, in order.
    pub params: Vec<SqlValue>,
    /// The text SEMS would have executed (values pasted in). For logs only; never execute it.
    pub legacy_text: String,
}

/// A result set: column labels and rows of text values (SQL NULL reads as `""`, as the
/// MySQL connector's `getString` does).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DbRows {
    /// Column labels, in order.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<String>>,
}

/// What a `mysql.execute` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DbExecution {
    /// The statement returned rows (a SELECT): SEMS then reports 0 rows and insert id 0.
    pub returned_rows: bool,
    /// Rows changed (INSERT, UPDATE, DELETE).
    pub affected_rows: u64,
    /// The last insert id (`last_insert_rowid()` on SQLite).
    pub insert_id: u64,
}

/// Why a database operation failed; decides `$errno` (spec §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    /// Bad `db_url` (`$errno=arg`), e.g. a `mysql://` URL on an appliance that runs SQLite.
    BadUrl(String),
    /// Configuration problem (`$errno=config`).
    Config(String),
    /// Could not connect (`$errno=connection`, `$db.errno`, `$db.ereason`).
    Connection {
        /// Driver error code.
        code: i64,
        /// Driver message.
        message: String,
    },
    /// The statement failed (`$errno=query`, `$db.ereason`).
    Query(String),
    /// A file could not be read or written (`$errno=file`).
    File(String),
}

/// An argument of a `DI(...)` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiArg {
    /// A string.
    Str(String),
    /// `(int)v`.
    Int(i64),
    /// `(struct)name`: every `name.*` variable, nested on further dots.
    Struct(BTreeMap<String, String>),
    /// `(array)name`: `name[0]`, `name[1]`, ...
    Array(Vec<String>),
    /// `(json)v`: JSON text for the host to decode.
    Json(String),
}

/// A `DI(...)` result, as far as DSM can use one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An array (only string and int elements reach variables).
    Array(Vec<DiValue>),
    /// Anything else (no result variable is set; `$errno=arg`).
    Other,
    /// No value.
    Undefined,
}

/// What the script needs answered synchronously. See the module docs.
pub trait Host {
    /// `playFile`, `recordFile`, mix-ins: can this audio file be opened for reading (or, with
    /// `write`, for writing)? `false` makes the action throw a `file` exception.
    fn audio_file_openable(&mut self, path: &str, write: bool) -> bool {
        let _ = (path, write);
        true
    }

    /// `playPrompt`: does the prompt exist (in `prompt_set`, or the default set)? `false`
    /// throws a `prompt` exception.
    fn prompt_exists(&mut self, prompt_set: Option<&str>, name: &str) -> bool {
        let _ = (prompt_set, name);
        false
    }

    /// `setPrompts(name)`: does the prompt set exist? `false` throws `prompt`.
    fn prompt_set_exists(&mut self, name: &str) -> bool {
        let _ = name;
        false
    }

    /// `dlg.dialout`: reserve the new leg and return its local tag (honouring
    /// `requested_ltag` when set), or `None` when the call cannot be placed (tag in use,
    /// unknown application): `$X_ltag=""`, `$errno=general`. On `Some`, the session then
    /// emits [`crate::Command::Dialout`] for the host to place the call.
    fn reserve_dialout(&mut self, request: &Dialout) -> Option<String> {
        let _ = request;
        None
    }

    /// `postEvent`: is there a session with this local tag, or an event queue with this
    /// name? `false` sets `$errno=arg` and no event is sent.
    fn event_target_exists(&mut self, target: &str) -> bool {
        let _ = target;
        true
    }

    /// `conference.size(room, var)`.
    fn conference_size(&mut self, room: &str) -> usize {
        let _ = room;
        0
    }

    /// `getRecordLength`: length of the current recording in ms.
    fn record_length_ms(&mut self) -> u64 {
        0
    }

    /// `getRecordDataSize`: bytes of the current recording.
    fn record_data_size(&mut self) -> u64 {
        0
    }

    /// `mysql.connect([url])`: open a connection for this session.
    fn db_connect(&mut self, url: &str) -> Result<u64, DbError> {
        let _ = url;
        Err(DbError::Config("no database on this host".into()))
    }

    /// `mysql.disconnect()`.
    fn db_disconnect(&mut self, handle: u64) -> Result<(), DbError> {
        let _ = handle;
        Ok(())
    }

    /// Whether the connection is still usable (`mysql.connected()`).
    fn db_connected(&mut self, handle: u64) -> bool {
        let _ = handle;
        false
    }

    /// `mysql.query`, `mysql.queryGetResult`: run a statement that returns rows.
    fn db_query(&mut self, handle: u64, statement: &SqlStatement) -> Result<DbRows, DbError> {
        let _ = (handle, statement);
        Err(DbError::Query("no database on this host".into()))
    }

    /// `mysql.execute`, `mysql.putFileToDB`: run a statement.
    fn db_execute(
        &mut self,
        handle: u64,
        statement: &SqlStatement,
    ) -> Result<DbExecution, DbError> {
        let _ = (handle, statement);
        Err(DbError::Query("no database on this host".into()))
    }

    /// `mysql.getFileFromDB(sql, path)` and `mysql.playDBAudio*` (with `path = None`: a
    /// temporary file whose name selects the format `fmt_hint`, e.g. `x.wav`): write column
    /// 1 of row 1 to a file and return the file's path.
    fn db_fetch_to_file(
        &mut self,
        handle: u64,
        statement: &SqlStatement,
        path: Option<&str>,
        fmt_hint: &str,
    ) -> Result<String, DbError> {
        let _ = (handle, statement, path, fmt_hint);
        Err(DbError::Query("no database on this host".into()))
    }

    /// `mysql.getClientVersion(var)`.
    fn db_client_version(&mut self, handle: u64) -> String {
        let _ = handle;
        String::new()
    }

    /// `sys.file_exists` / `sys.file_not_exists`.
    fn file_exists(&mut self, path: &str) -> bool {
        let _ = path;
        false
    }

    /// `sys.mkdir`.
    fn mkdir(&mut self, path: &str) -> Result<(), String> {
        let _ = path;
        Err("file operations are not available".into())
    }

    /// `sys.mkdirRecursive`.
    fn mkdir_recursive(&mut self, path: &str) -> Result<(), String> {
        let _ = path;
        Err("file operations are not available".into())
    }

    /// `sys.rename`.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), String> {
        let _ = (from, to);
        Err("file operations are not available".into())
    }

    /// `sys.unlink`, `sys.unlinkArray`.
    fn unlink(&mut self, path: &str) -> Result<(), String> {
        let _ = path;
        Err("file operations are not available".into())
    }

    /// `sys.tmpnam`: a fresh temporary file name.
    fn temp_file_name(&mut self) -> Result<String, String> {
        Err("file operations are not available".into())
    }

    /// `sys.popen($v=cmd)`: stdout and exit status. The default refuses (a shell from a
    /// call flow is a security risk); the action then throws `popen`.
    fn popen(&mut self, command: &str) -> Result<(String, i32), String> {
        let _ = command;
        Err("popen is not permitted".into())
    }

    /// `sys.system(cmd)` condition: the exit status, or `None` when not permitted.
    fn system(&mut self, command: &str) -> Option<i32> {
        let _ = command;
        None
    }

    /// Wall-clock time for `sys.getTimestamp` (the session itself only sees `Instant`s).
    fn wall_clock(&mut self) -> SystemTime {
        SystemTime::UNIX_EPOCH
    }

    /// `DI(factory, function, args...)`, `DIgetResult`, `DIgetResultArray`.
    fn di_call(
        &mut self,
        factory: &str,
        function: &str,
        args: &[DiArg],
    ) -> Result<DiValue, String> {
        let _ = (factory, function, args);
        Err(format!("load module for factory '{factory}'"))
    }

    /// `createSystemDSM(conf, diag)`: start a system DSM; an error throws `core`.
    fn create_system_dsm(&mut self, conf_name: &str, diagram: &str) -> Result<(), String> {
        let _ = (conf_name, diagram);
        Err("system DSMs are not available".into())
    }
}

/// A host that supports nothing: every method keeps its default.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullHost;

impl Host for NullHost {}
