//! The tokio runtime that owns the sockets and drives the sans-IO cores: receive -> handle,
//! drain -> send, sleep until the earliest timeout. Single-threaded on purpose (ARCHITECTURE.md:
//! split media to its own thread only when a measurement on the target says so).

use std::net::SocketAddr;

use tokio::net::UdpSocket;

use crate::Error;
use crate::config::MainConfig;

/// Runs the appliance until SIGINT or SIGTERM.
pub fn run(cfg: MainConfig) -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: "tokio runtime".into(),
            source,
        })?;
    rt.block_on(serve(cfg))
}

async fn serve(cfg: MainConfig) -> Result<(), Error> {
    let addr = SocketAddr::new(cfg.sip_ip, cfg.sip_port);
    let sock = UdpSocket::bind(addr).await.map_err(|source| Error::Bind {
        addr: addr.to_string(),
        source,
    })?;
    let local = sock.local_addr().map_err(|source| Error::Bind {
        addr: addr.to_string(),
        source,
    })?;
    // One line on stdout that scripts (and the e2e tests) can read.
    println!(
        "dsmbox {} listening: sip udp {local}",
        env!("CARGO_PKG_VERSION")
    );
    log::info!(
        "SIP on udp {local}, RTP {}-{} on {}",
        cfg.rtp_low_port,
        cfg.rtp_high_port,
        cfg.media_ip
    );

    let mut buf = vec![0u8; 65_535];
    let mut received: u64 = 0;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    received += 1;
                    log::debug!("{n} bytes from {from} (SIP core not wired yet)");
                }
                Err(e) => log::warn!("receive on {local}: {e}"),
            },
            () = &mut shutdown => break,
        }
    }
    log::info!("shutting down after {received} datagrams");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => {
            // Without signal handlers we can still be stopped by ctrl-c.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
