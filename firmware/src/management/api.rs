//! The method table of xmlrpc2di and the DI interfaces `dsm` and `monitoring`, with SEMS's
//! argument checks and return shapes (spec §8). Sans-IO: a decoded call in, a value or a
//! fault out; the host and the monitoring store are passed in.
//!
//! Fault codes as xmlrpc2di: 504 no such method (also an unknown method behind `di`), 300
//! wrong argument count or type, 400 `di` without interface and method name, 500 anything
//! else. Like SEMS's `assertArrayFmt`, extra arguments are ignored.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::host::{ManagementHost, Status};
use super::monitoring::{Monitor, StoreFull, Which};
use super::posix_bre;
use super::value::Value;
use super::xmlrpc::{Fault, MethodCall};

/// The methods of DI interface `dsm`, as its `_list` gives them. SEMS lists
/// `loadDSMWithPaths` but only answers `loadDSMWithPath`; we answer both.
pub const DSM_METHODS: &[&str] = &[
    "postDSMEvent",
    "reloadDSMs",
    "loadDSM",
    "loadDSMWithPath",
    "loadDSMWithPaths",
    "preloadModules",
    "preloadModule",
    "loadConfig",
    "hasDSM",
    "listDSMs",
    "registerApplication",
    "createSystemDSM",
];

/// The methods of DI interface `monitoring`: SEMS's `_list` plus `getSingle` and `addCount`,
/// which SEMS answers only through `di`. SEMS's rate samples (`addSample`, `getCount`,
/// `getAllCounts`) are not kept.
pub const MONITORING_METHODS: &[&str] = &[
    "log",
    "set",
    "logAdd",
    "add",
    "inc",
    "dec",
    "addCount",
    "markFinished",
    "setExpiration",
    "erase",
    "eraseByFilter",
    "clear",
    "clearFinished",
    "get",
    "getSingle",
    "getAttribute",
    "getAttributeActive",
    "getAttributeFinished",
    "list",
    "listByFilter",
    "listByRegex",
    "listFinished",
    "listActive",
];

/// xmlrpc2di's built-in methods.
pub const BUILTIN_METHODS: &[&str] = &[
    "calls",
    "get_loglevel",
    "set_loglevel",
    "get_shutdownmode",
    "set_shutdownmode",
    "get_sessioncount",
    "get_callsavg",
    "get_callsmax",
    "get_cpsavg",
    "get_cpsmax",
    "get_cpslimit",
    "set_cpslimit",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Iface {
    Dsm,
    Monitoring,
}

impl Iface {
    fn by_name(name: &str) -> Option<Iface> {
        match name {
            "dsm" => Some(Iface::Dsm),
            "monitoring" => Some(Iface::Monitoring),
            _ => None,
        }
    }

    fn methods(self) -> &'static [&'static str] {
        match self {
            Iface::Dsm => DSM_METHODS,
            Iface::Monitoring => MONITORING_METHODS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Iface::Dsm => "dsm",
            Iface::Monitoring => "monitoring",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Builtin(&'static str),
    Di,
    ListMethods,
    Iface(Iface, &'static str),
}

/// The exported methods; answers decoded calls.
#[derive(Debug, Clone)]
pub struct Api {
    methods: BTreeMap<String, Method>,
}

impl Api {
    /// The method table for `export_di` and `direct_export` (interfaces in the order given;
    /// a plain name already taken is exported only as `iface.method`, as SEMS does). Unknown
    /// interface names are skipped with a warning.
    pub fn new(export_di: bool, direct_export: &[String]) -> Api {
        let mut methods = BTreeMap::new();
        for b in BUILTIN_METHODS {
            methods.insert((*b).to_string(), Method::Builtin(b));
        }
        if export_di {
            methods.insert("di".to_string(), Method::Di);
        }
        methods.insert("system.listMethods".to_string(), Method::ListMethods);
        for name in direct_export {
            let Some(iface) = Iface::by_name(name) else {
                log::warn!(
                    "xmlrpc2di: DI interface '{name}' does not exist in dsmbox; not exported"
                );
                continue;
            };
            for m in iface.methods() {
                if methods.contains_key(*m) {
                    log::info!("xmlrpc2di: '{m}' is taken; exported only as '{name}.{m}'");
                } else {
                    methods.insert((*m).to_string(), Method::Iface(iface, m));
                }
                methods.insert(format!("{name}.{m}"), Method::Iface(iface, m));
            }
        }
        Api { methods }
    }

    /// The exported method names, sorted.
    pub fn method_names(&self) -> Vec<String> {
        self.methods.keys().cloned().collect()
    }

    /// Answers one call. `now` is wall-clock time (monitoring's `finished` is Unix time).
    pub fn call(
        &self,
        call: &MethodCall,
        host: &mut dyn ManagementHost,
        monitor: &Monitor,
        now: SystemTime,
    ) -> Result<Value, Fault> {
        let Some(method) = self.methods.get(&call.name) else {
            return Err(Fault::new(
                504,
                format!("{}: unknown method name", call.name),
            ));
        };
        let args = Args(&call.params);
        match *method {
            Method::Builtin(name) => builtin(name, args, host),
            Method::ListMethods => Ok(Value::array(
                self.methods.keys().map(|k| Value::from(k.as_str())),
            )),
            Method::Di => {
                if call.params.len() < 2 {
                    return Err(Fault::new(
                        400,
                        "need at least factory name and function name to call",
                    ));
                }
                let iface_name = args.str(0)?;
                let method = args.str(1)?;
                let Some(iface) = Iface::by_name(iface_name) else {
                    return Err(Fault::new(500, "could not get factory"));
                };
                invoke(iface, method, Args(&call.params[2..]), host, monitor, now)
            }
            Method::Iface(iface, m) => invoke(iface, m, args, host, monitor, now),
        }
    }
}

#[derive(Clone, Copy)]
struct Args<'a>(&'a [Value]);

fn count_mismatch() -> Fault {
    Fault::new(
        300,
        "Exception: AmArg out of bounds - parameter number mismatch.",
    )
}

fn type_mismatch() -> Fault {
    Fault::new(300, "Exception: Type mismatch in arguments.")
}

impl<'a> Args<'a> {
    fn get(&self, i: usize) -> Result<&'a Value, Fault> {
        self.0.get(i).ok_or_else(count_mismatch)
    }

    fn str(&self, i: usize) -> Result<&'a str, Fault> {
        self.get(i)?.as_str().ok_or_else(type_mismatch)
    }

    fn int(&self, i: usize) -> Result<i64, Fault> {
        self.get(i)?.as_int().ok_or_else(type_mismatch)
    }

    /// An optional string argument, used only if it is a string (SEMS: `isArgCStr`).
    fn opt_str(&self, i: usize) -> Option<&'a str> {
        self.0.get(i).and_then(Value::as_str)
    }
}

fn builtin(name: &str, args: Args<'_>, host: &mut dyn ManagementHost) -> Result<Value, Fault> {
    let ok = || Value::from("200 OK");
    Ok(match name {
        "calls" => Value::from(host.call_stats().active),
        "get_sessioncount" => Value::from(host.call_stats().total),
        "get_callsavg" => Value::from(host.call_stats().calls_avg),
        "get_callsmax" => Value::from(host.call_stats().calls_max),
        "get_cpsavg" => Value::from(host.call_stats().cps_avg),
        "get_cpsmax" => Value::from(host.call_stats().cps_max),
        "get_loglevel" => Value::Int(i64::from(host.log_level())),
        "set_loglevel" => {
            let level = args.int(0)?.clamp(0, 4);
            host.set_log_level(u8::try_from(level).unwrap_or(4));
            ok()
        }
        "get_shutdownmode" => Value::Bool(host.shutdown_mode()),
        "set_shutdownmode" => {
            let on = match args.get(0)? {
                Value::Bool(b) => *b,
                Value::Int(i) => *i != 0,
                _ => return Err(type_mismatch()),
            };
            host.set_shutdown_mode(on);
            ok()
        }
        "get_cpslimit" => {
            let (limit, current) = host.cps_limit();
            Value::String(format!("{limit} {current}"))
        }
        "set_cpslimit" => {
            let limit = u32::try_from(args.int(0)?).map_err(|_| type_mismatch())?;
            host.set_cps_limit(limit);
            ok()
        }
        other => return Err(Fault::new(504, format!("{other}: unknown method name"))),
    })
}

fn not_implemented(method: &str) -> Fault {
    Fault::new(
        504,
        format!("Exception: AmDynInvoke::NotImplemented: {method}"),
    )
}

fn invoke(
    iface: Iface,
    method: &str,
    args: Args<'_>,
    host: &mut dyn ManagementHost,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<Value, Fault> {
    if method == "_list" {
        return Ok(Value::array(
            iface.methods().iter().map(|m| Value::from(*m)),
        ));
    }
    match iface {
        Iface::Dsm => dsm(method, args, host),
        Iface::Monitoring => {
            monitor.handle_timeout(now);
            monitoring(method, args, monitor, now)
        }
    }
    .map_err(|f| {
        if f.code == 504 {
            not_implemented(&format!("{}.{method}", iface.name()))
        } else {
            f
        }
    })
}

fn status(s: Status) -> Value {
    Value::status(i64::from(s.code), s.text)
}

fn result(r: Result<(), String>, ok_text: &str) -> Value {
    match r {
        Ok(()) => Value::status(200, ok_text),
        Err(e) => Value::status(500, e),
    }
}

/// A DSM event parameter value: SEMS takes strings; numbers and booleans are written out.
fn param_text(v: &Value) -> Result<String, Fault> {
    Ok(match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        _ => return Err(type_mismatch()),
    })
}

fn dsm(method: &str, args: Args<'_>, host: &mut dyn ManagementHost) -> Result<Value, Fault> {
    Ok(match method {
        "postDSMEvent" => {
            let ltag = args.str(0)?;
            let mut params = Vec::new();
            match args.get(1)? {
                Value::Array(pairs) => {
                    for pair in pairs {
                        let p = pair.as_array().ok_or_else(type_mismatch)?;
                        let k = p.first().ok_or_else(count_mismatch)?;
                        let v = p.get(1).ok_or_else(count_mismatch)?;
                        let k = k.as_str().ok_or_else(type_mismatch)?;
                        params.push((k.to_string(), param_text(v)?));
                    }
                }
                // dsmbox also takes {name: value}, the natural Python dict.
                Value::Struct(s) => {
                    for (k, v) in s {
                        params.push((k.clone(), param_text(v)?));
                    }
                }
                _ => return Err(type_mismatch()),
            }
            if host.post_dsm_event(ltag, &params) {
                Value::status(200, "OK")
            } else {
                Value::status(404, "Session not found")
            }
        }
        "reloadDSMs" => result(host.reload_dsms(), "DSMs reloaded"),
        "loadDSM" => status(host.load_dsm(args.str(0)?)),
        "loadDSMWithPath" | "loadDSMWithPaths" => {
            let (name, diag, modp) = (args.str(0)?, args.str(1)?, args.str(2)?);
            status(host.load_dsm_with_path(name, diag, modp))
        }
        "preloadModules" => result(host.preload_modules(), "modules preloaded"),
        "preloadModule" => {
            let (name, path) = (args.str(0)?, args.str(1)?);
            result(host.preload_module(name, path), "module preloaded.")
        }
        "hasDSM" => {
            let name = args.str(0)?;
            let has = host.has_dsm(name, args.opt_str(1).filter(|s| !s.is_empty()));
            Value::array([Value::from(if has { "1" } else { "0" })])
        }
        "listDSMs" => {
            let names = match args.0.first() {
                None => host.list_dsms(None),
                Some(Value::String(app)) if app.is_empty() => host.list_dsms(None),
                Some(Value::String(app)) => host.list_dsms(Some(app)),
                // SEMS lists nothing for a non-string argument.
                Some(_) => Vec::new(),
            };
            Value::array(names.into_iter().map(Value::from))
        }
        "registerApplication" => {
            let name = args.str(0)?;
            status(host.register_application(name, args.opt_str(1).filter(|s| !s.is_empty())))
        }
        "loadConfig" => {
            let (path, name) = (args.str(0)?, args.str(1)?);
            result(host.load_config(path, name), "OK")
        }
        "createSystemDSM" => {
            let (conf, diag) = (args.str(0)?, args.str(1)?);
            result(host.create_system_dsm(conf, diag), "OK")
        }
        _ => return Err(Fault::new(504, method)),
    })
}

fn full(e: StoreFull) -> Fault {
    Fault::new(500, format!("Exception: {e}"))
}

fn ok0() -> Value {
    Value::status(0, "OK")
}

fn filters(args: Args<'_>) -> Result<Vec<(String, Value)>, Fault> {
    args.0
        .iter()
        .map(|f| {
            let p = f.as_array().ok_or_else(type_mismatch)?;
            let k = p.first().ok_or_else(count_mismatch)?;
            let v = p.get(1).ok_or_else(count_mismatch)?;
            Ok((k.as_str().ok_or_else(type_mismatch)?.to_string(), v.clone()))
        })
        .collect()
}

fn ids(v: Vec<String>) -> Value {
    Value::array(v.into_iter().map(Value::from))
}

fn pairs(v: Vec<(String, Value)>) -> Value {
    Value::array(
        v.into_iter()
            .map(|(id, val)| Value::array([Value::from(id), val])),
    )
}

fn monitoring(
    method: &str,
    args: Args<'_>,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<Value, Fault> {
    Ok(match method {
        "log" | "set" => {
            let id = args.str(0)?;
            let rest = &args.0[1..];
            if !rest.len().is_multiple_of(2) {
                return Err(count_mismatch());
            }
            // Check every key before changing anything.
            let kv: Vec<(&str, &Value)> = rest
                .chunks(2)
                .map(|c| Ok((c[0].as_str().ok_or_else(type_mismatch)?, &c[1])))
                .collect::<Result<_, Fault>>()?;
            monitor.with(|s| {
                kv.iter()
                    .try_for_each(|(k, v)| s.set(id, k, (*v).clone()))
                    .map_err(full)
            })?;
            ok0()
        }
        "logAdd" | "add" => {
            let (id, k, v) = (args.str(0)?, args.str(1)?, args.get(2)?);
            monitor.with(|s| s.add(id, k, v.clone())).map_err(full)?;
            ok0()
        }
        "inc" | "dec" | "addCount" => {
            let (id, k) = (args.str(0)?, args.str(1)?);
            let delta = match method {
                "inc" => 1,
                "dec" => -1,
                _ => args.int(2)?,
            };
            monitor.with(|s| s.add_count(id, k, delta)).map_err(full)?;
            ok0()
        }
        "markFinished" => {
            let id = args.str(0)?;
            monitor.with(|s| s.mark_finished(id, now)).map_err(full)?;
            ok0()
        }
        "setExpiration" => {
            let (id, t) = (args.str(0)?, args.int(1)?);
            monitor.with(|s| s.set_expiration(id, t)).map_err(full)?;
            ok0()
        }
        "erase" => {
            let id = args.str(0)?;
            monitor.with(|s| s.erase(id));
            ok0()
        }
        "eraseByFilter" => {
            let f = filters(args)?;
            ids(monitor.with(|s| s.erase_by_filter(&f)))
        }
        "clear" => {
            monitor.with(|s| s.clear());
            ok0()
        }
        "clearFinished" => {
            monitor.with(|s| s.clear_finished(now));
            ok0()
        }
        "get" => {
            let id = args.str(0)?;
            match monitor.with(|s| s.get(id).map(|r| r.attrs.clone())) {
                Some(attrs) => Value::array([Value::Struct(attrs)]),
                None => Value::Array(Vec::new()),
            }
        }
        "getSingle" => {
            let (id, k) = (args.str(0)?, args.str(1)?);
            match monitor.with(|s| s.get_single(id, k).cloned()) {
                Some(v) => Value::array([v]),
                None => Value::Array(Vec::new()),
            }
        }
        "getAttribute" => {
            let k = args.str(0)?;
            // SEMS's result is never made an array when there are no records: int 0.
            if monitor.with(|s| s.is_empty()) {
                Value::Nil
            } else {
                pairs(monitor.with(|s| s.attribute(k, Which::All, now)))
            }
        }
        "getAttributeActive" => {
            let k = args.str(0)?;
            pairs(monitor.with(|s| s.attribute(k, Which::Active, now)))
        }
        "getAttributeFinished" => {
            let k = args.str(0)?;
            pairs(monitor.with(|s| s.attribute(k, Which::Finished, now)))
        }
        "list" => ids(monitor.with(|s| s.list(Which::All, now))),
        "listActive" => ids(monitor.with(|s| s.list(Which::Active, now))),
        "listFinished" => ids(monitor.with(|s| s.list(Which::Finished, now))),
        "listByFilter" => {
            let f = filters(args)?;
            ids(monitor.with(|s| s.list_by_filter(&f)))
        }
        "listByRegex" => {
            let (k, re) = (args.str(0)?, args.str(1)?);
            // SEMS logs an uncompilable pattern and lists nothing.
            let compiled = posix_bre::to_regex(re)
                .and_then(|r| regex_lite::Regex::new(&r).map_err(|e| e.to_string()));
            match compiled {
                Ok(re) => ids(monitor.with(|s| s.list_by_regex(k, &re))),
                Err(e) => {
                    log::warn!("monitoring.listByRegex: could not compile regex '{re}': {e}");
                    Value::Array(Vec::new())
                }
            }
        }
        _ => return Err(Fault::new(504, method)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::management::host::CallStats;
    use crate::management::monitoring::MonitoringConfig;
    use crate::management::testing::FakeHost;
    use std::time::{Duration, UNIX_EPOCH};

    struct T {
        api: Api,
        host: FakeHost,
        mon: Monitor,
        now: SystemTime,
    }

    impl T {
        fn new() -> T {
            T {
                api: Api::new(true, &["dsm".to_string(), "monitoring".to_string()]),
                host: FakeHost::default(),
                mon: Monitor::new(MonitoringConfig::default()),
                now: UNIX_EPOCH + Duration::from_secs(1_000_000),
            }
        }

        fn call(&mut self, name: &str, params: Vec<Value>) -> Result<Value, Fault> {
            let c = MethodCall {
                name: name.to_string(),
                params,
            };
            self.api.call(&c, &mut self.host, &self.mon, self.now)
        }
    }

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    #[test]
    fn method_table_follows_direct_export() {
        let api = Api::new(true, &["dsm".to_string(), "monitoring".to_string()]);
        let names = api.method_names();
        for n in [
            "calls",
            "di",
            "loadConfig",
            "dsm.loadConfig",
            "loadDSMWithPath",
            "getAttributeActive",
            "monitoring.getAttributeActive",
            "getSingle",
            "monitoring.erase",
        ] {
            assert!(names.iter().any(|m| m == n), "{n} missing");
        }
        let bare = Api::new(false, &[]);
        assert_eq!(bare.method_names().len(), BUILTIN_METHODS.len() + 1);
        // A name taken by an earlier interface is exported only with its prefix.
        let mut t = T::new();
        t.api = Api::new(
            true,
            &[
                "monitoring".to_string(),
                "dsm".to_string(),
                "nope".to_string(),
            ],
        );
        assert!(t.api.method_names().contains(&"dsm.hasDSM".to_string()));
    }

    #[test]
    fn fault_codes() {
        let mut t = T::new();
        assert_eq!(t.call("nope", vec![]).unwrap_err().code, 504);
        assert_eq!(t.call("loadConfig", vec![s("a")]).unwrap_err().code, 300);
        assert_eq!(
            t.call("loadConfig", vec![s("a"), 1.into()])
                .unwrap_err()
                .code,
            300
        );
        assert_eq!(t.call("set_loglevel", vec![]).unwrap_err().code, 300);
        assert_eq!(t.call("get", vec![]).unwrap_err().code, 300);
        assert_eq!(t.call("di", vec![s("dsm")]).unwrap_err().code, 400);
        assert_eq!(t.call("di", vec![s("x"), s("y")]).unwrap_err().code, 500);
        let f = t.call("di", vec![s("dsm"), s("frobnicate")]).unwrap_err();
        assert_eq!(f.code, 504);
        assert!(f.message.contains("NotImplemented"), "{}", f.message);
        assert_eq!(t.call("log", vec![s("id"), s("k")]).unwrap_err().code, 300);
        assert_eq!(
            t.call("log", vec![s("id"), 1.into(), s("v")])
                .unwrap_err()
                .code,
            300
        );
        assert!(
            t.mon.with(|m| m.is_empty()),
            "a refused log changes nothing"
        );
    }

    #[test]
    fn builtins() {
        let mut t = T::new();
        t.host.stats = CallStats {
            active: 3,
            total: 40,
            calls_avg: 2,
            calls_max: 5,
            cps_avg: 1,
            cps_max: 4,
        };
        t.host.cps = (10, 8);
        assert_eq!(t.call("calls", vec![]), Ok(Value::Int(3)));
        assert_eq!(t.call("get_sessioncount", vec![]), Ok(Value::Int(40)));
        assert_eq!(t.call("get_callsmax", vec![]), Ok(Value::Int(5)));
        assert_eq!(t.call("get_cpslimit", vec![]), Ok(s("10 8")));
        assert_eq!(t.call("set_cpslimit", vec![20.into()]), Ok(s("200 OK")));
        assert_eq!(t.host.cps.0, 20);
        assert_eq!(t.call("set_loglevel", vec![3.into()]), Ok(s("200 OK")));
        assert_eq!(t.call("get_loglevel", vec![]), Ok(Value::Int(3)));
        assert_eq!(t.call("set_loglevel", vec![99.into()]), Ok(s("200 OK")));
        assert_eq!(t.host.log_level, 4);
        assert_eq!(t.call("get_shutdownmode", vec![]), Ok(Value::Bool(false)));
        assert_eq!(
            t.call("set_shutdownmode", vec![true.into()]),
            Ok(s("200 OK"))
        );
        assert_eq!(t.call("get_shutdownmode", vec![]), Ok(Value::Bool(true)));
    }

    #[test]
    fn dsm_methods() {
        let mut t = T::new();
        t.host.sessions.insert("L1".into());
        let ev = Value::array([Value::array([s("action"), s("take")])]);
        assert_eq!(
            t.call("postDSMEvent", vec![s("L1"), ev.clone()]),
            Ok(Value::status(200, "OK"))
        );
        assert_eq!(
            t.call("postDSMEvent", vec![s("L2"), ev]),
            Ok(Value::status(404, "Session not found"))
        );
        assert_eq!(
            t.host.events,
            vec![("L1".into(), vec![("action".into(), "take".into())])]
        );
        assert_eq!(
            t.call("loadDSM", vec![s("a")]),
            Ok(Value::status(200, "loaded a from /etc/dsmbox/dsm/a.dsm"))
        );
        assert_eq!(
            t.call("loadDSM", vec![s("a")]).unwrap().as_array().unwrap()[0],
            Value::Int(400)
        );
        assert_eq!(t.call("hasDSM", vec![s("a")]), Ok(Value::array([s("1")])));
        assert_eq!(t.call("hasDSM", vec![s("b")]), Ok(Value::array([s("0")])));
        assert_eq!(t.call("listDSMs", vec![]), Ok(Value::array([s("a")])));
        assert_eq!(t.call("listDSMs", vec![1.into()]), Ok(Value::Array(vec![])));
        assert_eq!(
            t.call("loadDSMWithPath", vec![s("b"), s("/x/"), s("/m/")]),
            Ok(Value::status(200, "loaded b from /x/b.dsm"))
        );
        t.host.broken.insert(
            "/bad.conf".into(),
            "/bad.dsm:3:7: unknown action 'myslq.connect'".into(),
        );
        assert_eq!(
            t.call("loadConfig", vec![s("/bad.conf"), s("bad.conf")]),
            Ok(Value::status(
                500,
                "/bad.dsm:3:7: unknown action 'myslq.connect'"
            ))
        );
        assert_eq!(
            t.call("reloadDSMs", vec![]),
            Ok(Value::status(200, "DSMs reloaded"))
        );
        assert_eq!(
            t.call("registerApplication", vec![s("zz")]),
            Ok(Value::status(400, "unknown application (DSM)"))
        );
        assert_eq!(
            t.call("preloadModules", vec![]),
            Ok(Value::status(200, "modules preloaded"))
        );
        assert_eq!(
            t.call(
                "di",
                vec![s("dsm"), s("createSystemDSM"), s("main"), s("sys")]
            ),
            Ok(Value::status(200, "OK"))
        );
        let list = t.call("di", vec![s("dsm"), s("_list")]).unwrap();
        assert!(list.as_array().unwrap().contains(&s("loadDSMWithPath")));
    }

    #[test]
    fn monitoring_shapes() {
        let mut t = T::new();
        assert_eq!(
            t.call("getAttribute", vec![s("x")]),
            Ok(Value::Nil),
            "0 with no records"
        );
        assert_eq!(
            t.call("getAttributeActive", vec![s("x")]),
            Ok(Value::Array(vec![]))
        );
        assert_eq!(t.call("get", vec![s("a")]), Ok(Value::Array(vec![])));
        assert_eq!(
            t.call("log", vec![s("a"), s("k"), s("v"), s("n"), 2.into()]),
            Ok(Value::status(0, "OK"))
        );
        let got = t.call("get", vec![s("a")]).unwrap();
        let rec = got.as_array().unwrap()[0].as_struct().unwrap().clone();
        assert_eq!(rec.get("k"), Some(&s("v")));
        assert_eq!(rec.get("n"), Some(&Value::Int(2)));
        assert_eq!(
            t.call("getSingle", vec![s("a"), s("k")]),
            Ok(Value::array([s("v")]))
        );
        assert_eq!(
            t.call("getSingle", vec![s("a"), s("zz")]),
            Ok(Value::Array(vec![]))
        );
        t.call("set", vec![s("b"), s("k"), s("w")]).unwrap();
        t.call("add", vec![s("b"), s("g"), s("x")]).unwrap();
        t.call("inc", vec![s("b"), s("c")]).unwrap();
        t.call("addCount", vec![s("b"), s("c"), 5.into()]).unwrap();
        assert_eq!(
            t.call("getSingle", vec![s("b"), s("c")]),
            Ok(Value::array([6.into()]))
        );
        assert_eq!(
            t.call("getAttribute", vec![s("k")]),
            Ok(Value::array([
                Value::array([s("a"), s("v")]),
                Value::array([s("b"), s("w")])
            ]))
        );
        t.call("markFinished", vec![s("a")]).unwrap();
        assert_eq!(t.call("listActive", vec![]), Ok(Value::array([s("b")])));
        assert_eq!(t.call("listFinished", vec![]), Ok(Value::array([s("a")])));
        assert_eq!(
            t.call("listByFilter", vec![Value::array([s("k"), s("w")])]),
            Ok(Value::array([s("b")]))
        );
        assert_eq!(
            t.call("listByRegex", vec![s("k"), s("^w")]),
            Ok(Value::array([s("b")]))
        );
        assert_eq!(
            t.call("listByRegex", vec![s("k"), s("\\1")]),
            Ok(Value::Array(vec![]))
        );
        // erase removes one record, not all (SEMS bug fixed).
        assert_eq!(t.call("erase", vec![s("b")]), Ok(Value::status(0, "OK")));
        assert_eq!(t.call("list", vec![]), Ok(Value::array([s("a")])));
        t.call("setExpiration", vec![s("c"), 1.into()]).unwrap();
        t.call("clearFinished", vec![]).unwrap();
        assert_eq!(t.call("list", vec![]), Ok(Value::Array(vec![])));
        t.call("set", vec![s("d"), s("k"), s("v")]).unwrap();
        t.call("monitoring.clear", vec![]).unwrap();
        assert_eq!(t.call("list", vec![]), Ok(Value::Array(vec![])));
    }
}
