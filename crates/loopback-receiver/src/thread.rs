//! The thread every loopback server here runs on: its own current-thread Tokio runtime,
//! bound to `127.0.0.1` on an ephemeral port, stopped and joined on drop.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::tls;

/// A server thread serving one axum router on `127.0.0.1:0`.
#[derive(Debug)]
pub(crate) struct ServerThread {
    name: String,
    addr: SocketAddr,
    shutdown_tx: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds, starts the thread and returns once it is listening. With an `acceptor`
    /// the server speaks TLS.
    pub(crate) fn start(
        name: &str,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
        router: axum::Router,
    ) -> std::io::Result<ServerThread> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<std::io::Result<()>>();
        let thread_name = name.to_owned();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                serve(
                    &thread_name,
                    listener,
                    acceptor,
                    router,
                    shutdown_rx,
                    ready_tx,
                )
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(std::io::Error::other(
                    "server thread exited before listening",
                ));
            }
        }
        Ok(ServerThread {
            name: name.to_owned(),
            addr,
            shutdown_tx: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            // Err only if the server already stopped.
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(server = %self.name, "loopback server thread panicked");
        }
    }
}

/// The listener the server runs on.
enum Either {
    Plain(tokio::net::TcpListener),
    Tls(tls::TlsListener),
}

/// Body of the server thread.
fn serve(
    name: &str,
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    shutdown_rx: oneshot::Receiver<()>,
    ready_tx: mpsc::Sender<std::io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready_tx.send(Err(e));
            return;
        }
    };
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
    };
    let listener = match listener {
        Ok(l) => l,
        Err(e) => {
            let _ = ready_tx.send(Err(e));
            return;
        }
    };
    let listener = match acceptor {
        None => Either::Plain(listener),
        Some(acceptor) => {
            let _guard = runtime.enter();
            match tls::TlsListener::new(listener, acceptor) {
                Ok(l) => Either::Tls(l),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
        }
    };
    let _ = ready_tx.send(Ok(()));

    runtime.block_on(async move {
        let served = async move {
            match listener {
                Either::Tls(tls) => axum::serve(tls, router).into_future().await,
                Either::Plain(plain) => axum::serve(plain, router).into_future().await,
            }
        };
        tokio::select! {
            res = served => {
                if let Err(e) = res {
                    tracing::error!(server = %name, "loopback server stopped: {e}");
                }
            }
            _ = shutdown_rx => {}
        }
    });
    // Dropping the runtime aborts every connection task, including hanging requests.
    drop(runtime);
}
