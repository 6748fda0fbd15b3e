//! The growth bench's open event streams: raw sockets held on `/api/events`, on Parley and on
//! the bare axum SSE server that is their baseline.

use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::*;

/// The baseline server: axum on a multi-threaded runtime (with the same allocator, linked in
/// with Parley's library), one SSE route that sends a small first event and then only
/// keep-alives, as Parley's streams do while nothing happens.
pub(super) fn bare_sse_server() -> std::process::ExitCode {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use std::convert::Infallible;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => return std::process::ExitCode::FAILURE,
    };
    let served = runtime.block_on(async {
        let app = axum::Router::new().route(
            "/api/events",
            axum::routing::get(|| async {
                let first = futures_util::stream::once(async {
                    Ok::<_, Infallible>(Event::default().event("sync").data("{}"))
                });
                Sse::new(first.chain(futures_util::stream::pending()))
                    .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("Parley is running at http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// Opens `/api/events` on a raw socket with `cookie` and reads until its first event has
/// ended; the socket is then held without reading (keep-alives wait in the kernel).
async fn open_stream(addr: SocketAddr, cookie: &str) -> Res<TcpStream> {
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Cookie: {cookie}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let mut seen = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Err("the stream closed before its first event".into());
        }
        seen.extend_from_slice(&buf[..n]);
        let Some(head_end) = find(&seen, b"\r\n\r\n") else {
            continue;
        };
        if !seen.starts_with(b"HTTP/1.1 200") {
            let head = String::from_utf8_lossy(&seen[..head_end]).into_owned();
            return Err(format!("the stream was refused: {head}").into());
        }
        let body = &seen[head_end + 4..];
        if find(body, b"event: sync").is_some_and(|at| find(&body[at..], b"\n\n").is_some()) {
            return Ok(socket);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Opens `n` streams, cookies taken in turn, 32 being opened at a time.
async fn open_streams(addr: SocketAddr, cookies: &[String], n: usize) -> Res<Vec<TcpStream>> {
    futures_util::stream::iter(0..n)
        .map(|i| open_stream(addr, &cookies[i % cookies.len()]))
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// The server's growth per stream in bytes, from still to still: (per stream, seconds to
/// open them all).
pub(super) async fn per_stream(server: &Process, cookies: &[String], n: usize) -> Res<(f64, f64)> {
    settle(&server.pid()).await?;
    let before = server.rss();
    let t = Instant::now();
    let streams = open_streams(server.addr()?, cookies, n).await?;
    let opened = t.elapsed().as_secs_f64();
    settle(&server.pid()).await?;
    let after = server.rss();
    drop(streams);
    Ok((after.saturating_sub(before) as f64 / n as f64, opened))
}
