//! Signed Twilio webhooks over a minimal keep-alive HTTP/1.1 client.

use super::*;

/// The form Twilio posts for an inbound SMS (its usual fields, in its usual order).
pub fn twilio_params(sid: &str, from: &str, body: &str) -> Vec<(String, String)> {
    [
        ("ToCountry", "US"),
        ("ToState", "CA"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ToCity", "SAN FRANCISCO"),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", "US"),
        ("To", OUR_NUMBER),
        ("ToZip", "94105"),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// A distinct `MessageSid` for message `i` of a phase. Twilio's look random ("SM" and 32 hex
/// digits), so these are scattered too: counting up would make the dedup index an append,
/// cheaper than the random inserts real webhooks cause.
pub fn message_sid(phase: u8, i: u64) -> String {
    let seed = (u64::from(phase) << 56) ^ i;
    format!("SM{:016x}{:016x}", mix(seed), mix(seed ^ 0x5bd1_e995))
}

/// splitmix64's finaliser: a bijection on u64, so distinct inputs give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A complete signed webhook request, as bytes on the wire.
pub fn webhook_request(target: &Target, sid: &str, from: &str, body: &str) -> Vec<u8> {
    let params = twilio_params(sid, from, body);
    let signature = parley::sms::twilio::signature(TWILIO_TOKEN, &target.webhook_url, &params);
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        form.append_pair(k, v);
    }
    let form = form.finish();
    let mut req = String::with_capacity(form.len() + 256);
    let _ = write!(
        req,
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\n\r\n{form}",
        target.addr,
        form.len()
    );
    req.into_bytes()
}

#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// The URL Twilio would sign: the public URL plus the path.
    pub webhook_url: String,
}

/// One keep-alive connection, one request at a time. Reads `Content-Length` bodies (all the
/// webhook answers); anything else is an error.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `request`, reads the answer; returns its status and whether the connection may
    /// be reused.
    pub async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<(u16, bool)> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((status, len, keep)) = parse_response(&self.buf)? {
                self.buf.drain(..len);
                return Ok((status, keep));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

/// A complete response at the start of `buf`: (status, total length, keep-alive).
pub fn parse_response(buf: &[u8]) -> std::io::Result<Option<(u16, usize, bool)>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| bad("non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut length = None;
    let mut keep = true;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad("bad content-length"))?,
            );
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            keep = false;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(bad("unexpected transfer-encoding"));
        }
    }
    let total = head_end + 4 + length.ok_or_else(|| bad("no content-length"))?;
    Ok((buf.len() >= total).then_some((status, total, keep)))
}
