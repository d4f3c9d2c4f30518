//! The monitoring store: SEMS's `monitoring` module (`apps/monitoring/Monitoring.cpp`) as a
//! sans-IO data structure. Time is passed in; nothing here reads a clock.
//!
//! One record per call ID (the session's local tag) holds named attributes and a `finished`
//! time. The firmware writes `dir`, `from`, `to`, `ruri`, `app`, `dsm_diag`, `dsm_state` and
//! `dsm_stategraph` through [`Monitor`] and marks the record finished when the session ends;
//! XML-RPC clients read it (and may write it) through [`crate::management::Api`].
//!
//! A record is *finished* when its `finished` time is set and not in the future (SEMS:
//! `finished && finished <= now`), so `setExpiration(id, t)` with a future `t` keeps it active
//! until `t`. With `run_garbage_collector=yes` finished records are purged every
//! `garbage_collector_interval` seconds: call [`MonitoringStore::handle_timeout`] when
//! [`MonitoringStore::poll_timeout`] says so.
//!
//! Bounded on purpose (SEMS is not): at most `max_records` records (finished ones are purged
//! early to make room; when every record is active a new one is refused) and at most
//! `max_array_len` elements per array attribute (`add` drops the oldest element first, so a
//! long call's `dsm_stategraph` keeps its latest states).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::value::Value;
use crate::Error;
use crate::config::{ConfFile, Located};

/// Settings from `monitoring.conf`, named as in SEMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringConfig {
    /// `run_garbage_collector` (dsmbox default **yes**; SEMS's default is no, which lets
    /// finished calls pile up for ever on an appliance that never restarts).
    pub run_garbage_collector: bool,
    /// `garbage_collector_interval` in seconds (default 10).
    pub garbage_collector_interval: Duration,
    /// `max_records` (dsmbox only, default 10000): the most records kept at once.
    pub max_records: usize,
    /// `max_array_len` (dsmbox only, default 1000): the most elements of one array attribute.
    pub max_array_len: usize,
}

impl Default for MonitoringConfig {
    fn default() -> MonitoringConfig {
        MonitoringConfig {
            run_garbage_collector: true,
            garbage_collector_interval: Duration::from_secs(10),
            max_records: 10_000,
            max_array_len: 1000,
        }
    }
}

/// The name of the file in the configuration directory.
pub const MONITORING_CONF: &str = "monitoring.conf";

impl MonitoringConfig {
    /// Reads the settings from a parsed `monitoring.conf`; unknown keys go to `notice`.
    pub fn from_conf(
        conf: &ConfFile,
        mut notice: impl FnMut(Located),
    ) -> Result<MonitoringConfig, Vec<Located>> {
        let mut cfg = MonitoringConfig::default();
        let mut errors = Vec::new();
        for entry in &conf.entries {
            let v = entry.value.as_str();
            match entry.key.as_str() {
                "run_garbage_collector" => match parse_yes_no(v) {
                    Some(b) => cfg.run_garbage_collector = b,
                    None => errors.push(conf.error_at(
                        entry,
                        format!("run_garbage_collector: '{v}' is not yes or no"),
                    )),
                },
                "garbage_collector_interval" => match v.parse::<u64>() {
                    Ok(s) if s > 0 => cfg.garbage_collector_interval = Duration::from_secs(s),
                    _ => errors.push(conf.error_at(
                        entry,
                        format!("garbage_collector_interval: '{v}' is not a number of seconds (1 or more)"),
                    )),
                },
                "max_records" => match v.parse::<usize>() {
                    Ok(n) if n > 0 => cfg.max_records = n,
                    _ => errors.push(
                        conf.error_at(entry, format!("max_records: '{v}' is not a count (1 or more)")),
                    ),
                },
                "max_array_len" => match v.parse::<usize>() {
                    Ok(n) if n > 0 => cfg.max_array_len = n,
                    _ => errors.push(conf.error_at(
                        entry,
                        format!("max_array_len: '{v}' is not a count (1 or more)"),
                    )),
                },
                // SEMS's rate samples (addSample/getCount) are not kept by dsmbox.
                "retain_samples_s" => notice(conf.error_at(
                    entry,
                    "'retain_samples_s' is a SEMS setting dsmbox does not need; ignored",
                )),
                key => notice(conf.error_at(entry, format!("unknown setting '{key}'; ignored"))),
            }
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// Reads `DIR/monitoring.conf`; the defaults if there is no such file.
    pub fn load(dir: &Path) -> Result<MonitoringConfig, Error> {
        let path = dir.join(MONITORING_CONF);
        if !path.exists() {
            return Ok(MonitoringConfig::default());
        }
        let conf = ConfFile::load(&path)?;
        MonitoringConfig::from_conf(&conf, |n| log::info!("{n}"))
            .map_err(|errs| Error::Config(errs.iter().map(ToString::to_string).collect()))
    }
}

/// SEMS compares with `== "yes"`; we also accept the usual spellings and refuse anything else.
pub(crate) fn parse_yes_no(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Some(true),
        "no" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Seconds since the Unix epoch, as SEMS's `time(0)`.
pub fn epoch_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// One call's record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// The attributes, sorted by name (the order SEMS sends them in).
    pub attrs: BTreeMap<String, Value>,
    /// When the record was finished or expires, in Unix seconds; `None` while active.
    pub finished: Option<i64>,
}

impl Record {
    /// SEMS: `finished && finished <= now`.
    pub fn is_finished(&self, now: i64) -> bool {
        self.finished.is_some_and(|f| f <= now)
    }
}

/// Which records a listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Every record.
    All,
    /// Records not finished at `now`.
    Active,
    /// Records finished at `now`.
    Finished,
}

/// A new record could not be created because the store holds `max_records` active records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFull;

impl std::fmt::Display for StoreFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("monitoring store full (max_records active records)")
    }
}

/// The records, and the garbage collector's timer.
#[derive(Debug, Clone)]
pub struct MonitoringStore {
    cfg: MonitoringConfig,
    records: BTreeMap<String, Record>,
    /// When the garbage collector runs next; `None` until the first `handle_timeout`, which
    /// schedules it one interval later (SEMS's collector sleeps before its first run).
    next_gc: Option<SystemTime>,
    /// The latest time we were given, used to purge finished records when the store is full.
    last_now: i64,
}

impl MonitoringStore {
    /// An empty store.
    pub fn new(cfg: MonitoringConfig) -> MonitoringStore {
        MonitoringStore {
            cfg,
            records: BTreeMap::new(),
            next_gc: None,
            last_now: 0,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &MonitoringConfig {
        &self.cfg
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn note_time(&mut self, now: SystemTime) -> i64 {
        let n = epoch_secs(now);
        self.last_now = self.last_now.max(n);
        n
    }

    /// The record of `id`, created if missing (SEMS's `log[id]`).
    fn record_mut(&mut self, id: &str) -> Result<&mut Record, StoreFull> {
        if !self.records.contains_key(id) && self.records.len() >= self.cfg.max_records {
            let now = self.last_now;
            self.records.retain(|_, r| !r.is_finished(now));
            if self.records.len() >= self.cfg.max_records {
                return Err(StoreFull);
            }
        }
        Ok(self.records.entry(id.to_string()).or_default())
    }

    /// `log`/`set`: sets an attribute.
    pub fn set(&mut self, id: &str, attr: &str, value: Value) -> Result<(), StoreFull> {
        self.record_mut(id)?.attrs.insert(attr.to_string(), value);
        Ok(())
    }

    /// `logAdd`/`add`: appends to an array attribute; a missing attribute becomes `[value]`,
    /// a scalar becomes `[scalar, value]`. At `max_array_len` the oldest element is dropped.
    pub fn add(&mut self, id: &str, attr: &str, value: Value) -> Result<(), StoreFull> {
        let max = self.cfg.max_array_len;
        let rec = self.record_mut(id)?;
        let slot = rec
            .attrs
            .entry(attr.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !matches!(slot, Value::Array(_)) {
            let scalar = std::mem::replace(slot, Value::Nil);
            *slot = Value::Array(vec![scalar]);
        }
        if let Value::Array(items) = slot {
            if items.len() >= max {
                let excess = items.len() + 1 - max;
                items.drain(..excess);
            }
            items.push(value);
        }
        Ok(())
    }

    /// `inc`/`dec`/`addCount`: adds `delta` to an integer attribute; a missing or non-integer
    /// attribute counts as 0.
    pub fn add_count(&mut self, id: &str, attr: &str, delta: i64) -> Result<(), StoreFull> {
        let rec = self.record_mut(id)?;
        let slot = rec.attrs.entry(attr.to_string()).or_insert(Value::Int(0));
        let base = slot.as_int().unwrap_or(0);
        *slot = Value::Int(base.saturating_add(delta));
        Ok(())
    }

    /// `markFinished`: the call ended at `now` (kept if it was already set).
    pub fn mark_finished(&mut self, id: &str, now: SystemTime) -> Result<(), StoreFull> {
        let n = self.note_time(now);
        let rec = self.record_mut(id)?;
        if rec.finished.is_none() {
            rec.finished = Some(n);
        }
        Ok(())
    }

    /// `setExpiration`: the record counts as finished from `epoch` on (0 = active again).
    pub fn set_expiration(&mut self, id: &str, epoch: i64) -> Result<(), StoreFull> {
        self.record_mut(id)?.finished = (epoch != 0).then_some(epoch);
        Ok(())
    }

    /// `get`: the record of `id`.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.records.get(id)
    }

    /// `getSingle`: one attribute of one record.
    pub fn get_single(&self, id: &str, attr: &str) -> Option<&Value> {
        self.records.get(id)?.attrs.get(attr)
    }

    fn selected(&self, which: Which, now: i64) -> impl Iterator<Item = (&String, &Record)> {
        self.records.iter().filter(move |(_, r)| match which {
            Which::All => true,
            Which::Active => !r.is_finished(now),
            Which::Finished => r.is_finished(now),
        })
    }

    /// `getAttribute*`: `(id, value)` of every selected record; a missing attribute is `Nil`
    /// (sent as 0, as SEMS does). Unlike SEMS this does not add the missing attribute.
    pub fn attribute(&self, attr: &str, which: Which, now: SystemTime) -> Vec<(String, Value)> {
        self.selected(which, epoch_secs(now))
            .map(|(id, r)| (id.clone(), r.attrs.get(attr).cloned().unwrap_or(Value::Nil)))
            .collect()
    }

    /// `list`, `listActive`, `listFinished`.
    pub fn list(&self, which: Which, now: SystemTime) -> Vec<String> {
        self.selected(which, epoch_secs(now))
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn matches(r: &Record, filters: &[(String, Value)]) -> bool {
        filters.iter().all(|(k, v)| r.attrs.get(k) == Some(v))
    }

    /// `listByFilter`: IDs whose attributes equal all given values (type and value).
    pub fn list_by_filter(&self, filters: &[(String, Value)]) -> Vec<String> {
        self.records
            .iter()
            .filter(|(_, r)| Self::matches(r, filters))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// `eraseByFilter`: erases the records `list_by_filter` would list, returning their IDs.
    pub fn erase_by_filter(&mut self, filters: &[(String, Value)]) -> Vec<String> {
        let ids = self.list_by_filter(filters);
        for id in &ids {
            self.records.remove(id);
        }
        ids
    }

    /// `listByRegex`: IDs whose string attribute `attr` matches `re` (unanchored search).
    pub fn list_by_regex(&self, attr: &str, re: &regex_lite::Regex) -> Vec<String> {
        self.records
            .iter()
            .filter(|(_, r)| {
                r.attrs
                    .get(attr)
                    .and_then(Value::as_str)
                    .is_some_and(|s| re.is_match(s))
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// `erase`: removes one record (SEMS wipes all of them here; we do not).
    pub fn erase(&mut self, id: &str) -> bool {
        self.records.remove(id).is_some()
    }

    /// `clear`: removes every record.
    pub fn clear(&mut self) {
        self.records.clear();
    }

    /// `clearFinished`: removes the records finished at `now`.
    pub fn clear_finished(&mut self, now: SystemTime) {
        let n = self.note_time(now);
        self.records.retain(|_, r| !r.is_finished(n));
    }

    /// When [`handle_timeout`](Self::handle_timeout) should run next; `None` without the
    /// garbage collector.
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        if !self.cfg.run_garbage_collector {
            return None;
        }
        Some(self.next_gc.unwrap_or(UNIX_EPOCH))
    }

    /// Whether the garbage collector is due at `now` (without running it).
    fn gc_due(&self, now: SystemTime) -> bool {
        self.next_gc.is_some_and(|due| now >= due)
    }

    /// Runs the garbage collector if it is due.
    pub fn handle_timeout(&mut self, now: SystemTime) {
        self.note_time(now);
        if !self.cfg.run_garbage_collector {
            return;
        }
        if self.next_gc.is_none() {
            self.next_gc = Some(now + self.cfg.garbage_collector_interval);
        } else if self.gc_due(now) {
            self.clear_finished(now);
            self.next_gc = Some(now + self.cfg.garbage_collector_interval);
        }
    }
}

/// A cheap, clonable handle on the one store, for the call code and the XML-RPC dispatcher on
/// the same (current-thread) runtime.
///
/// Every method borrows the store only for its own duration and never calls out while it
/// holds the borrow, so no caller can observe a `RefCell` conflict. The handle is `!Send`
/// on purpose: the store lives on the runtime thread.
#[derive(Debug, Clone)]
pub struct Monitor(Rc<RefCell<MonitoringStore>>);

impl Monitor {
    /// A handle on a new, empty store.
    pub fn new(cfg: MonitoringConfig) -> Monitor {
        Monitor(Rc::new(RefCell::new(MonitoringStore::new(cfg))))
    }

    /// Sets an attribute of a call's record (`monitoring.set`). A full store drops the value
    /// with a warning: monitoring must never fail a call.
    pub fn set(&self, call_id: &str, attr: &str, value: impl Into<Value>) {
        let r = self.0.borrow_mut().set(call_id, attr, value.into());
        warn_full(r, call_id);
    }

    /// Appends to an array attribute (`monitoring.add`), e.g. `dsm_stategraph`.
    pub fn add(&self, call_id: &str, attr: &str, value: impl Into<Value>) {
        let r = self.0.borrow_mut().add(call_id, attr, value.into());
        warn_full(r, call_id);
    }

    /// Adds `delta` to an integer attribute (`monitoring.inc`/`dec`).
    pub fn add_count(&self, call_id: &str, attr: &str, delta: i64) {
        let r = self.0.borrow_mut().add_count(call_id, attr, delta);
        warn_full(r, call_id);
    }

    /// Marks a call's record finished: call this when the session is deleted.
    pub fn mark_finished(&self, call_id: &str, now: SystemTime) {
        let r = self.0.borrow_mut().mark_finished(call_id, now);
        warn_full(r, call_id);
    }

    /// When the garbage collector wants to run ([`MonitoringStore::poll_timeout`]).
    pub fn poll_timeout(&self) -> Option<SystemTime> {
        self.0.borrow().poll_timeout()
    }

    /// Runs the garbage collector if due ([`MonitoringStore::handle_timeout`]).
    pub fn handle_timeout(&self, now: SystemTime) {
        self.0.borrow_mut().handle_timeout(now);
    }

    /// Runs `f` on the store. `f` must not call back into this handle.
    pub fn with<R>(&self, f: impl FnOnce(&mut MonitoringStore) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

fn warn_full(r: Result<(), StoreFull>, call_id: &str) {
    if let Err(e) = r {
        log::warn!("monitoring: {e}; not recording call {call_id}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn store() -> MonitoringStore {
        MonitoringStore::new(MonitoringConfig::default())
    }

    #[test]
    fn set_add_and_counters() {
        let mut s = store();
        s.set("a", "dsm_state", "START".into()).unwrap();
        s.add("a", "dsm_stategraph", "x/START".into()).unwrap();
        s.add("a", "dsm_stategraph", "> t >".into()).unwrap();
        s.add("a", "dsm_state", "second".into()).unwrap();
        assert_eq!(
            s.get_single("a", "dsm_stategraph"),
            Some(&Value::array(["x/START".into(), "> t >".into()]))
        );
        assert_eq!(
            s.get_single("a", "dsm_state"),
            Some(&Value::array(["START".into(), "second".into()]))
        );
        s.add_count("a", "n", 1).unwrap();
        s.add_count("a", "n", 1).unwrap();
        s.add_count("a", "n", -5).unwrap();
        assert_eq!(s.get_single("a", "n"), Some(&Value::Int(-3)));
        s.add_count("a", "dsm_state", 2).unwrap();
        assert_eq!(s.get_single("a", "dsm_state"), Some(&Value::Int(2)));
    }

    #[test]
    fn finished_and_expiry_follow_sems() {
        let mut s = store();
        s.set("a", "k", "1".into()).unwrap();
        s.set("b", "k", "2".into()).unwrap();
        s.mark_finished("a", at(100)).unwrap();
        s.mark_finished("a", at(200)).unwrap(); // kept at 100
        s.set_expiration("b", 150).unwrap();
        assert_eq!(s.list(Which::Active, at(120)), vec!["b"]);
        assert_eq!(s.list(Which::Finished, at(120)), vec!["a"]);
        assert_eq!(s.list(Which::Finished, at(150)), vec!["a", "b"]);
        assert_eq!(s.list(Which::Active, at(99)), vec!["a", "b"]);
        s.set_expiration("b", 0).unwrap();
        assert_eq!(s.list(Which::Active, at(1000)), vec!["b"]);
        s.clear_finished(at(120));
        assert_eq!(s.list(Which::All, at(120)), vec!["b"]);
    }

    #[test]
    fn attribute_missing_is_nil_without_side_effect() {
        let mut s = store();
        s.set("a", "x", 1.into()).unwrap();
        s.set("b", "y", 2.into()).unwrap();
        assert_eq!(
            s.attribute("x", Which::All, at(0)),
            vec![
                ("a".to_string(), Value::Int(1)),
                ("b".to_string(), Value::Nil)
            ]
        );
        assert_eq!(s.get("b").unwrap().attrs.len(), 1);
    }

    #[test]
    fn filters_erase_and_regex() {
        let mut s = store();
        s.set("a", "app", "q".into()).unwrap();
        s.set("a", "dir", "in".into()).unwrap();
        s.set("b", "app", "q".into()).unwrap();
        s.set("b", "dir", "out".into()).unwrap();
        s.set("c", "app", 1.into()).unwrap();
        let f = |k: &str, v: Value| (k.to_string(), v);
        assert_eq!(s.list_by_filter(&[f("app", "q".into())]), vec!["a", "b"]);
        assert_eq!(
            s.list_by_filter(&[f("app", "q".into()), f("dir", "out".into())]),
            vec!["b"]
        );
        assert_eq!(
            s.list_by_filter(&[f("app", "1".into())]),
            Vec::<String>::new()
        );
        assert_eq!(s.list_by_filter(&[]).len(), 3);
        let re = regex_lite::Regex::new("^o").unwrap();
        assert_eq!(s.list_by_regex("dir", &re), vec!["b"]);
        assert!(s.erase("a"));
        assert!(!s.erase("a"));
        assert_eq!(s.len(), 2);
        assert_eq!(s.erase_by_filter(&[f("app", 1.into())]), vec!["c"]);
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn garbage_collector_runs_on_its_interval() {
        let mut s = store();
        assert_eq!(s.poll_timeout(), Some(UNIX_EPOCH));
        s.handle_timeout(at(990));
        assert_eq!(
            s.poll_timeout(),
            Some(at(1000)),
            "first run one interval after start"
        );
        s.set("a", "k", "v".into()).unwrap();
        s.mark_finished("a", at(1001)).unwrap();
        s.handle_timeout(at(1000));
        assert_eq!(s.len(), 1, "not finished yet at 1000");
        assert_eq!(s.poll_timeout(), Some(at(1010)));
        s.handle_timeout(at(1005));
        assert_eq!(s.len(), 1, "not due before 1010");
        s.handle_timeout(at(1010));
        assert!(s.is_empty());
        let off = MonitoringStore::new(MonitoringConfig {
            run_garbage_collector: false,
            ..MonitoringConfig::default()
        });
        assert_eq!(off.poll_timeout(), None);
    }

    #[test]
    fn bounded_records_and_arrays() {
        let mut s = MonitoringStore::new(MonitoringConfig {
            max_records: 2,
            max_array_len: 3,
            ..MonitoringConfig::default()
        });
        s.set("a", "k", "v".into()).unwrap();
        s.set("b", "k", "v".into()).unwrap();
        assert_eq!(s.set("c", "k", "v".into()), Err(StoreFull));
        s.set("a", "k2", "v".into()).unwrap(); // existing records still update
        s.mark_finished("a", at(10)).unwrap();
        s.set("c", "k", "v".into()).unwrap(); // the finished one made room
        assert_eq!(s.list(Which::All, at(10)), vec!["b", "c"]);
        for i in 0..5 {
            s.add("b", "g", i.into()).unwrap();
        }
        assert_eq!(
            s.get_single("b", "g"),
            Some(&Value::array([2.into(), 3.into(), 4.into()]))
        );
    }

    #[test]
    fn config_keys() {
        let conf = ConfFile::parse(
            "monitoring.conf",
            "run_garbage_collector=no\ngarbage_collector_interval=30\nretain_samples_s=5\nmax_records=7\n",
        )
        .unwrap();
        let mut notices = Vec::new();
        let cfg = MonitoringConfig::from_conf(&conf, |n| notices.push(n.to_string())).unwrap();
        assert!(!cfg.run_garbage_collector);
        assert_eq!(cfg.garbage_collector_interval, Duration::from_secs(30));
        assert_eq!(cfg.max_records, 7);
        assert_eq!(notices.len(), 1);
        let bad = ConfFile::parse("m.conf", "run_garbage_collector=maybe\n").unwrap();
        let errs = MonitoringConfig::from_conf(&bad, |_| {}).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "m.conf:1:23: run_garbage_collector: 'maybe' is not yes or no"
        );
    }

    #[test]
    fn handle_is_shared() {
        let m = Monitor::new(MonitoringConfig::default());
        let m2 = m.clone();
        m.set("a", "dsm_state", "X");
        m2.add("a", "dsm_stategraph", "d/X");
        m.mark_finished("a", at(5));
        assert_eq!(m2.with(|s| s.get("a").cloned()).unwrap().finished, Some(5));
    }
}
