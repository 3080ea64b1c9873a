//! A real localstripe process per test, and a tiny recording HTTP server for what localstripe
//! cannot show (request headers, webhook deliveries, a server that never answers).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use flagshop::payments::StripeClient;

/// Any `sk_test_` key works with localstripe.
pub const TEST_KEY: &str = "sk_test_flagshop_tests";

/// A localstripe server on 127.0.0.1 on a free port, with an empty in-memory store. Killed when
/// dropped; it also exits by itself when this test process dies, however it dies (it watches
/// its stdin, whose other end only this process holds).
pub struct LocalStripe {
    child: Child,
    port: u16,
}

impl LocalStripe {
    /// Starts a server and waits until it answers. Panics, saying what to do, when
    /// localstripe is not installed or does not start.
    pub fn start() -> LocalStripe {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".venv/localstripe/bin/python");
        assert!(
            python.exists(),
            "localstripe is not installed ({} is missing): run scripts/localstripe.sh",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(root.join("scripts/localstripe_server.py"))
            .args(["--port", "0", "--exit-with-stdin", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().expect("stdout was piped");
        let mut first_line = String::new();
        let read = BufReader::new(stdout).read_line(&mut first_line);
        let port = match (read, first_line.trim().parse::<u16>()) {
            (Ok(_), Ok(port)) => port,
            (read, _) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "localstripe did not print its port (read {read:?}, line {first_line:?}, \
                     exit {status:?}); if the venv is broken, delete .venv/localstripe and run \
                     scripts/localstripe.sh"
                );
            }
        };
        let server = LocalStripe { child, port };
        server.wait_until_ready();
        server
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A client for this server with [`TEST_KEY`].
    pub fn client(&self) -> StripeClient {
        StripeClient::new(&self.base_url(), TEST_KEY).expect("a test key and a local URL")
    }

    /// Registers a webhook endpoint (localstripe's own `/_config/webhooks/{id}`).
    pub fn register_webhook(&self, id: &str, url: &str, secret: &str) {
        let body = format!("url={}&secret={}", form_encode(url), form_encode(secret));
        let (status, answer) = http(
            self.port,
            "POST",
            &format!("/_config/webhooks/{id}"),
            Some(&body),
        )
        .expect("localstripe answers");
        assert_eq!(status, 200, "registering the webhook: {answer}");
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // The fake Stripe.js needs no key: a cheap "are you there".
            if let Ok((200, _)) = http(self.port, "GET", "/js.stripe.com/v3/", None) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "localstripe on port {} did not answer within 20 s",
                self.port
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One plain HTTP/1.1 request to 127.0.0.1:`port`; returns the status and the body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = form.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {answer:?}")))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    Ok((status, body))
}

fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A request as the recording server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header called `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How the recording server answers a request.
pub enum Reply {
    /// Status, content type and body.
    With(u16, &'static str, String),
    /// Never answer (the connection stays open until the client gives up).
    Silence,
}

/// An HTTP server on 127.0.0.1 that records every request and answers as told. Its threads
/// end with the test process.
pub struct Recorder {
    pub port: u16,
    received: mpsc::Receiver<Recorded>,
}

impl Recorder {
    pub fn start(reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("a bound address").port();
        let (sender, received) = mpsc::channel();
        let reply = std::sync::Arc::new(reply);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sender = sender.clone();
                let reply = reply.clone();
                thread::spawn(move || serve(stream, &sender, &*reply));
            }
        });
        Recorder { port, received }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The next request received, waiting up to `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Recorded> {
        self.received.recv_timeout(timeout).ok()
    }

    /// Every request received so far.
    pub fn drain(&self) -> Vec<Recorded> {
        self.received.try_iter().collect()
    }
}

fn serve(
    mut stream: TcpStream,
    sender: &mpsc::Sender<Recorded>,
    reply: &(dyn Fn(&Recorded) -> Reply + Send + Sync),
) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let answer = reply(&request);
    let _ = sender.send(request);
    match answer {
        Reply::With(status, content_type, body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Silence => {
            // Hold the connection until the client hangs up.
            let mut sink = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}
