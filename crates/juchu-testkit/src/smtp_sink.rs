//! A real SMTP server for tests: accepts mail on 127.0.0.1 and keeps the raw messages. It speaks
//! enough of RFC 5321 for lettre (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT), and can be told to refuse mail with a 4xx (an outage) or 5xx (a rejection) code.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM) and recipients (RCPT TO), without the angle brackets.
    pub from: String,
    pub to: Vec<String>,
    /// The message as transmitted, after dot-unstuffing, lines ending in CRLF.
    pub raw: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The decoded text/plain body, lines ending in `\n`.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.replace("\r\n", "\n"))
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    messages: Mutex<Vec<Received>>,
    /// Reply code for MAIL FROM while failing (e.g. 451 or 550).
    fail: Mutex<Option<u16>>,
    refused: Mutex<usize>,
    arrived: Notify,
}

/// The running sink; stops when dropped.
pub struct SmtpSink {
    port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(State::default());
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = session(stream, &st).await;
                });
            }
        });
        SmtpSink { port, state, task }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Refuse every transaction with this code (4xx: come back later; 5xx: rejected), or accept
    /// again with `None`.
    pub fn fail_with(&self, code: Option<u16>) {
        *self.state.fail.lock().unwrap() = code;
    }

    /// How many transactions were refused so far.
    pub fn refused(&self) -> usize {
        *self.state.refused.lock().unwrap()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.messages.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for a message that satisfies `pred`; panics with the subjects seen.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Received) -> bool,
    ) -> Received {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.arrived.notified();
            if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                return m;
            }
            if tokio::time::Instant::now() >= deadline {
                let seen: Vec<String> = self.messages().iter().map(|m| m.subject()).collect();
                panic!("no mail {what} within {timeout:?}; received: {seen:?}");
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// The first message to `to` whose subject contains `subject`, waiting up to 20 s.
    pub async fn wait_subject(&self, to: &str, subject: &str) -> Received {
        self.wait_for(
            Duration::from_secs(20),
            &format!("to {to} with subject containing {subject:?}"),
            |m| m.to.iter().any(|t| t == to) && m.subject().contains(subject),
        )
        .await
    }
}

fn path_arg(line: &str, prefix: &str) -> Option<String> {
    let rest = line.get(prefix.len()..)?.trim();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

async fn session(stream: TcpStream, st: &State) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 juchu-sink ESMTP ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
        let upper = line.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("").to_owned();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-juchu-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into(),
            "HELO" => "250 juchu-sink\r\n".into(),
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "QUIT" => {
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                let fail = *st.fail.lock().unwrap();
                match (fail, path_arg(&line, "MAIL FROM:")) {
                    (Some(code), _) => {
                        *st.refused.lock().unwrap() += 1;
                        if code < 500 {
                            format!("{code} 4.3.0 mail service is down, try again later\r\n")
                        } else {
                            format!("{code} 5.7.1 message rejected\r\n")
                        }
                    }
                    (None, Some(f)) => {
                        from = Some(f);
                        to.clear();
                        "250 2.1.0 OK\r\n".into()
                    }
                    (None, None) => "501 5.5.4 syntax: MAIL FROM:<address>\r\n".into(),
                }
            }
            "RCPT" if upper.starts_with("RCPT TO:") => match (&from, path_arg(&line, "RCPT TO:")) {
                (None, _) => "503 5.5.1 MAIL first\r\n".into(),
                (Some(_), Some(t)) => {
                    to.push(t);
                    "250 2.1.5 OK\r\n".into()
                }
                (Some(_), None) => "501 5.5.4 syntax: RCPT TO:<address>\r\n".into(),
            },
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    "503 5.5.1 RCPT first\r\n".into()
                } else {
                    w.write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut raw = Vec::new();
                    loop {
                        buf.clear();
                        if r.read_until(b'\n', &mut buf).await? == 0 {
                            return Ok(());
                        }
                        if buf == b".\r\n" || buf == b".\n" {
                            break;
                        }
                        // Dot-unstuffing: a line that starts with a dot was sent with one more.
                        let line = if buf.first() == Some(&b'.') {
                            &buf[1..]
                        } else {
                            &buf[..]
                        };
                        raw.extend_from_slice(line);
                    }
                    st.messages.lock().unwrap().push(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        raw,
                    });
                    st.arrived.notify_waiters();
                    "250 2.0.0 OK queued\r\n".into()
                }
            }
            _ => "502 5.5.2 command not recognized\r\n".into(),
        };
        w.write_all(reply.as_bytes()).await?;
    }
}
