//! The tokio runtime that owns the sockets and drives the switchboard: receive -> handle,
//! sleep until the earliest timeout, a 20 ms media tick, the management port, signals.
//!
//! Single-threaded on purpose (ARCHITECTURE.md: split media to its own thread only when a
//! measurement on the target says so). Every task borrows the one [`Switchboard`] briefly and
//! never across an `.await`, so nothing can interleave inside a call's processing.

use std::cell::RefCell;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use tokio::net::UdpSocket;
use tokio::sync::Notify;

use crate::Error;
use crate::calls::Switchboard;
use crate::db;
use crate::management::{Api, Monitor, XmlRpcServer};
use crate::setup::Setup;

/// What `run` prints once it is up, for scripts and tests.
#[derive(Debug, Clone)]
pub struct Listening {
    /// The SIP socket.
    pub sip: SocketAddr,
    /// The management port, if it runs.
    pub xmlrpc: Option<SocketAddr>,
}

type Shared = Rc<RefCell<Switchboard>>;

/// Runs the appliance until SIGINT or SIGTERM.
pub fn run(setup: Setup) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: "tokio runtime".into(),
            source,
        })?;
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &rt,
        serve(setup, |l| {
            // One line on stdout that scripts (and the e2e tests) read.
            println!(
                "dsmbox {} listening: sip udp {}",
                env!("CARGO_PKG_VERSION"),
                l.sip
            );
            if let Some(x) = l.xmlrpc {
                println!("dsmbox management: xmlrpc http://{x}/");
            }
        }),
    )
}

/// Imports the installer's `callees.csv` into the appliance database (replacing the table in
/// one transaction; a bad file changes nothing and is reported).
fn import_callees(setup: &Setup) {
    let Some(csv) = &setup.callees_csv else {
        return;
    };
    let result = (|| -> Result<usize, String> {
        let location = db::parse_db_url(&setup.main.db_url, &setup.main.base_dir)
            .map_err(|e| e.to_string())?;
        if let db::DbLocation::File(p) = &location
            && let Some(dir) = p.parent()
        {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut database = db::Database::open_or_create(&location).map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
        database
            .import_callees_csv(&csv.display().to_string(), &text)
            .map_err(|e| e.to_string())
    })();
    match result {
        Ok(n) => log::info!(
            "imported {n} callees from {} into {}",
            csv.display(),
            setup.main.db_url
        ),
        Err(e) => log::error!("callees.csv not imported: {e}"),
    }
}

/// Everything `run` does, on the current `LocalSet`, until SIGINT/SIGTERM; `on_listening` is
/// told the addresses.
pub async fn serve(setup: Setup, on_listening: impl FnOnce(&Listening)) -> Result<(), Error> {
    serve_until(setup, on_listening, |_| std::future::pending::<()>()).await
}

/// [`serve`], also stopping when the future `stop` (given the addresses) completes — the demo
/// and tests run a scenario against the appliance this way, in one process.
pub async fn serve_until<F: std::future::Future<Output = ()>>(
    setup: Setup,
    on_listening: impl FnOnce(&Listening),
    stop: impl FnOnce(Listening) -> F,
) -> Result<(), Error> {
    // Signal handlers first: a SIGTERM that arrives once "listening" is printed must stop us
    // cleanly, not kill us.
    let signals = Signals::install();
    let main = &setup.main;
    // One SIP socket per configured address: sip_ip, and sip_ip6 when set.
    let mut addrs = vec![SocketAddr::new(main.sip_ip, main.sip_port)];
    if let Some(ip6) = main.sip_ip6 {
        addrs.push(SocketAddr::new(ip6, main.sip_port));
    }
    let mut std_socks = Vec::new();
    let mut recv_socks = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let bind_err = |source| Error::Bind {
            addr: addr.to_string(),
            source,
        };
        // With sip_port=0 the IPv6 socket takes the port the IPv4 one got.
        let addr = match (i, std_socks.first().map(|s: &StdUdpSocket| s.local_addr())) {
            (1.., Some(Ok(first))) => SocketAddr::new(addr.ip(), first.port()),
            _ => *addr,
        };
        let s = StdUdpSocket::bind(addr).map_err(bind_err)?;
        s.set_nonblocking(true).map_err(bind_err)?;
        let local = s.local_addr().map_err(bind_err)?;
        let r = s
            .try_clone()
            .and_then(UdpSocket::from_std)
            .map_err(bind_err)?;
        recv_socks.push((local, r));
        std_socks.push(s);
    }
    let bound = recv_socks[0].0;
    import_callees(&setup);

    let monitor = Monitor::new(setup.monitoring.clone());
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id()).rotate_left(32);
    let sb: Shared = Rc::new(RefCell::new(Switchboard::new(
        &setup,
        std_socks,
        monitor.clone(),
        seed,
    )));
    let wake = Rc::new(Notify::new());

    // The management port.
    let mut xmlrpc_addr = None;
    let mut calls_queue = None;
    if setup.xmlrpc.run_server {
        let (server, queue) = XmlRpcServer::bind(&setup.xmlrpc).await?;
        xmlrpc_addr = server.local_addr().ok();
        tokio::task::spawn_local(server.run());
        calls_queue = Some(queue);
    }
    let listening = Listening {
        sip: bound,
        xmlrpc: xmlrpc_addr,
    };
    on_listening(&listening);
    let stop = stop(listening);
    log::info!(
        "SIP on udp {bound}, RTP {}-{} on {}, {} application(s): {}",
        main.rtp_low_port,
        main.rtp_high_port,
        main.media_ip,
        setup.apps.app_names().len(),
        setup.apps.app_names().join(", ")
    );
    sb.borrow_mut().start_registrations(Instant::now());
    sb.borrow_mut().start_system_dsms(Instant::now());

    // SIP receive, one task per socket.
    for (local, sock) in recv_socks {
        let sb = sb.clone();
        let wake = wake.clone();
        if local != bound {
            log::info!("SIP also on udp {local}");
            println!(
                "dsmbox {} listening: sip udp {local}",
                env!("CARGO_PKG_VERSION")
            );
        }
        tokio::task::spawn_local(async move {
            let mut buf = vec![0u8; 65_535];
            loop {
                match sock.recv_from(&mut buf).await {
                    Ok((n, from)) => {
                        sb.borrow_mut()
                            .handle_sip_datagram(Instant::now(), local, from, &buf[..n]);
                        wake.notify_one();
                    }
                    Err(e) => log::debug!("sip receive: {e}"),
                }
            }
        });
    }
    // The 20 ms media tick. Burst: a late tick is still run, because jitter buffers count
    // ticks (media::rtp docs).
    {
        let sb = sb.clone();
        let wake = wake.clone();
        tokio::task::spawn_local(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(20));
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut health = crate::calls::TickHealth::default();
            loop {
                let due = iv.tick().await.into_std();
                let now = Instant::now();
                sb.borrow_mut().tick(now);
                wake.notify_one();
                let busy = now.elapsed();
                if let Some(report) = health.record(now, now.saturating_duration_since(due), busy) {
                    log::warn!("{report}");
                }
            }
        });
    }
    // Timers.
    {
        let sb = sb.clone();
        let wake = wake.clone();
        tokio::task::spawn_local(async move {
            loop {
                let next = sb.borrow_mut().poll_timeout();
                let sleep = match next {
                    Some(t) => tokio::time::sleep_until(t.into()),
                    None => tokio::time::sleep(Duration::from_secs(3600)),
                };
                tokio::select! {
                    () = sleep => {
                        sb.borrow_mut().handle_timeout(Instant::now());
                                        }
                    () = wake.notified() => {}
                }
            }
        });
    }
    // Management calls, answered on this thread.
    if let Some(mut queue) = calls_queue {
        let sb = sb.clone();
        let wake = wake.clone();
        let api = Api::new(setup.xmlrpc.export_di, &setup.xmlrpc.direct_export);
        let monitor = monitor.clone();
        tokio::task::spawn_local(async move {
            while let Some(call) = queue.recv().await {
                let mut s = sb.borrow_mut();
                call.answer(&api, &mut *s, &monitor, SystemTime::now());
                s.after_management(Instant::now());
                drop(s);
                wake.notify_one();
            }
        });
    }

    tokio::select! {
        () = wait_for_signals(signals, &sb, &wake) => {}
        () = stop => {}
    }
    // Shutdown: end every call, then give transactions a moment to finish.
    sb.borrow_mut().shutdown(Instant::now());
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && !sb.borrow().is_idle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        sb.borrow_mut().handle_timeout(Instant::now());
    }
    log::info!("stopped");
    Ok(())
}

/// The signals the appliance acts on, registered before it announces itself.
struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }
}

async fn recv_or_never(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Waits for SIGINT/SIGTERM; reloads on SIGHUP.
async fn wait_for_signals(mut sig: Signals, sb: &Shared, wake: &Notify) {
    loop {
        tokio::select! {
            () = recv_or_never(&mut sig.int) => return,
            () = recv_or_never(&mut sig.term) => return,
            () = recv_or_never(&mut sig.hup) => {
                log::info!("SIGHUP: reloading DSM applications");
                let _ = sb.borrow_mut().reload();
                wake.notify_one();
            }
        }
    }
}
