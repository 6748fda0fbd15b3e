//! An agent's or supervisor's SSE stream, parsed event by event.

use super::*;

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// A parsed SSE stream.
pub struct Events {
    stream: ByteStream,
    buf: String,
}

impl Events {
    pub fn from_response(res: reqwest::Response) -> Events {
        Events {
            stream: Box::pin(res.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event (name, data), or panics after the deadline.
    pub async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(DEADLINE, self.next_inner())
            .await
            .expect("no event before the deadline")
    }

    /// The next event, or None if nothing comes within `within`.
    pub async fn try_next(&mut self, within: Duration) -> Option<(String, Value)> {
        tokio::time::timeout(within, self.next_inner()).await.ok()
    }

    async fn next_inner(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = "message".to_owned();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                return (name, serde_json::from_str(&data).unwrap());
            }
            let chunk = self
                .stream
                .next()
                .await
                .expect("event stream ended")
                .expect("event stream failed");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Waits until the server ends the stream, skipping whatever comes before; panics if it is
    /// still open after `within`.
    pub async fn assert_ends_within(&mut self, within: Duration, why: &str) {
        let end = async {
            while let Some(chunk) = self.stream.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        };
        assert!(
            tokio::time::timeout(within, end).await.is_ok(),
            "the event stream stayed open after {why}"
        );
    }

    /// Skips events until one named `name` arrives.
    pub async fn next_named(&mut self, name: &str) -> Value {
        loop {
            let (n, data) = self.next().await;
            if n == name {
                return data;
            }
        }
    }

    /// The next offer's workitem id.
    pub async fn offer(&mut self) -> u64 {
        self.next_named("offer").await["workitem"]["id"]
            .as_u64()
            .unwrap()
    }
}
