//! mod_monitoring (spec §6.6): writes to the monitoring store, as commands.

use super::core::{COMMA_OPT, COMMA2, ONE};
use crate::registry::{Args, Flow, Module, Throw};
use crate::runtime::command::{Command, MonitoringCommand};
use crate::runtime::context::ActionCtx;

type R = Result<Flow, Throw>;

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_monitoring");
    for name in ["monitoring.log", "monitoring.set"] {
        m.action(name, COMMA_OPT, |a: &Args, c: &mut ActionCtx<'_>| {
            let attr = c.resolve(&a.p1);
            let value = c.resolve(&a.p2);
            emit(
                c,
                MonitoringCommand::Set {
                    id: None,
                    attr,
                    value,
                },
            )
        });
    }
    for name in ["monitoring.logAdd", "monitoring.add"] {
        m.action(name, COMMA_OPT, |a: &Args, c: &mut ActionCtx<'_>| {
            let attr = c.resolve(&a.p1);
            let value = c.resolve(&a.p2);
            emit(
                c,
                MonitoringCommand::Add {
                    id: None,
                    attr,
                    value,
                },
            )
        });
    }
    m.action(
        "monitoring.logVars",
        ONE,
        |_: &Args, c: &mut ActionCtx<'_>| {
            let all: Vec<(String, String)> = c
                .vars()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (attr, value) in all {
                c.emit(Command::Monitoring(MonitoringCommand::Set {
                    id: None,
                    attr,
                    value,
                }));
            }
            Ok(Flow::Continue)
        },
    )
    .action(
        "monitoring.setGlobal",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let (id, attr, value) = three(a, c);
            emit(
                c,
                MonitoringCommand::Set {
                    id: Some(id),
                    attr,
                    value,
                },
            )
        },
    )
    .action(
        "monitoring.addGlobal",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let (id, attr, value) = three(a, c);
            emit(
                c,
                MonitoringCommand::Add {
                    id: Some(id),
                    attr,
                    value,
                },
            )
        },
    )
    .action(
        "monitoring.inc",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let id = c.resolve(&a.p1);
            let attr = c.resolve(&a.p2);
            emit(c, MonitoringCommand::Inc { id, attr })
        },
    )
    .action(
        "monitoring.dec",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let id = c.resolve(&a.p1);
            let attr = c.resolve(&a.p2);
            emit(c, MonitoringCommand::Dec { id, attr })
        },
    );
    m
}

/// `(id, attr[, val])`: the second part is split again at its first comma.
fn three(a: &Args, c: &ActionCtx<'_>) -> (String, String, String) {
    let id = c.resolve(&a.p1);
    let t = crate::syntax::text::two_args(&a.p2, ',', true);
    (id, c.resolve(&t.p1), c.resolve(&t.p2))
}

fn emit(c: &mut ActionCtx<'_>, m: MonitoringCommand) -> R {
    c.emit(Command::Monitoring(m));
    Ok(Flow::Continue)
}
