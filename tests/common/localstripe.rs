//! A real localstripe process per test, and a tiny recording HTTP server for what localstripe
//! cannot show (request headers, webhook deliveries, a server that never answers).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use flagshop::payments::{ServerKind, StripeClient};

/// Any `sk_test_` key works with localstripe.
pub const TEST_KEY: &str = "sk_test_flagshop_tests";

/// The environment variable that runs every Stripe test against the test server in today's-
/// Stripe mode (`FLAGSHOP_STRIPE_MODE=today`) instead of plain localstripe. `make test` runs
/// the Stripe suites once in each mode.
pub const MODE_ENV: &str = "FLAGSHOP_STRIPE_MODE";

/// A localstripe server on 127.0.0.1 on a free port, with an empty in-memory store. Killed when
/// dropped; it also exits by itself when this test process dies, however it dies (it watches
/// its stdin, whose other end only this process holds).
pub struct LocalStripe {
    child: Child,
    port: u16,
    today: bool,
}

impl LocalStripe {
    /// Starts a server in the mode [`MODE_ENV`] asks for (plain localstripe unless `today`)
    /// and waits until it answers. Panics, saying what to do, when localstripe is not
    /// installed or does not start.
    pub fn start() -> LocalStripe {
        let today = match std::env::var(MODE_ENV).unwrap_or_default().as_str() {
            "" | "localstripe" => false,
            "today" => true,
            other => panic!("{MODE_ENV}={other}: expected today or localstripe"),
        };
        LocalStripe::launch(today)
    }

    /// Starts a server that behaves as today's Stripe, whatever [`MODE_ENV`] says: for what
    /// plain localstripe cannot do at all (disputes, refunds that fail, idempotent replay).
    pub fn start_today() -> LocalStripe {
        LocalStripe::launch(true)
    }

    /// True when the server behaves as today's Stripe, and the app drives it as Stripe.
    pub fn today(&self) -> bool {
        self.today
    }

    /// The server kind the app must be told (`STRIPE_SERVER_KIND`) to drive this server.
    pub fn server_kind(&self) -> ServerKind {
        if self.today {
            ServerKind::Stripe
        } else {
            ServerKind::Emulator
        }
    }

    fn launch(today: bool) -> LocalStripe {
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
            // Stripe's "some time later" (a pending refund settling, a dispute opening) kept
            // short, so tests wait for it by polling without slowing the suite.
            .args(if today {
                &["--today", "--async-delay", "0.3"][..]
            } else {
                &[][..]
            })
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
        let server = LocalStripe { child, port, today };
        server.wait_until_ready();
        server
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The value of `STRIPE_SERVER_KIND` that makes the app drive this server in its dialect.
    pub fn server_kind_env(&self) -> &'static str {
        if self.today { "stripe" } else { "emulator" }
    }

    /// A client for this server with [`TEST_KEY`], speaking its dialect.
    pub fn client(&self) -> StripeClient {
        StripeClient::new(&self.base_url(), TEST_KEY)
            .expect("a test key and a local URL")
            .speaking(self.server_kind())
    }

    /// Does what Stripe.js does in the customer's page when they complete (or fail) the 3-D
    /// Secure challenge of a `requires_action` intent: the test plays the customer.
    pub fn complete_3ds_in_the_page(&self, intent: &str, client_secret: &str, success: bool) {
        let path = format!("/v1/payment_intents/{intent}/_authenticate?success={success}");
        // Stripe.js sends the publishable key as a form field, with the client secret.
        let body = format!(
            "key=pk_test_flagshop_tests&client_secret={}",
            form_encode(client_secret)
        );
        let (status, answer) =
            http(self.port, "POST", &path, Some(&body)).expect("the test server answers");
        assert_eq!(status, 200, "completing 3-D Secure: {answer}");
    }

    /// Completes or fails the 3-D Secure challenge of the `requires_action` intent `intent`:
    /// in the page as the customer would, on a server that behaves as Stripe; through the
    /// emulator's own endpoint on plain localstripe.
    pub async fn complete_3ds(&self, client: &StripeClient, intent: &str, success: bool) {
        let pi = client
            .retrieve_payment_intent(intent)
            .await
            .expect("read the intent");
        let secret = pi.client_secret.expect("a client secret for Stripe.js");
        if self.today {
            self.complete_3ds_in_the_page(intent, &secret, success);
        } else {
            client
                .emulator_authenticate_3ds(intent, &secret, success)
                .await
                .expect("the emulator authenticates");
        }
    }

    /// A POST to one of the test server's own `/_config` helpers; returns the JSON answer.
    pub fn config(&self, path: &str, form: &str) -> serde_json::Value {
        let (status, answer) =
            http(self.port, "POST", path, Some(form)).expect("the test server answers");
        assert_eq!(status, 200, "{path}: {answer}");
        serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null)
    }

    /// A GET of the Stripe API with [`TEST_KEY`], as JSON: what the server holds, for asserts.
    pub fn get(&self, path: &str) -> serde_json::Value {
        let (status, answer) =
            http_with_key(self.port, "GET", path, None, TEST_KEY).expect("the server answers");
        assert_eq!(status, 200, "GET {path}: {answer}");
        serde_json::from_str(&answer).expect("a JSON answer")
    }

    /// A POST to the Stripe API with [`TEST_KEY`]: status and JSON answer.
    pub fn post(&self, path: &str, form: &str) -> (u16, serde_json::Value) {
        let (status, answer) = http_with_key(self.port, "POST", path, Some(form), TEST_KEY)
            .expect("the server answers");
        (
            status,
            serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null),
        )
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
    request(port, method, path, form, "")
}

/// [`http`] with `Authorization: Bearer {key}`.
pub fn http_with_key(
    port: u16,
    method: &str,
    path: &str,
    form: Option<&str>,
    key: &str,
) -> std::io::Result<(u16, String)> {
    request(
        port,
        method,
        path,
        form,
        &format!("Authorization: Bearer {key}\r\n"),
    )
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    form: Option<&str>,
    headers: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = form.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\
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

pub fn form_encode(value: &str) -> String {
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
    addr: std::net::SocketAddr,
    received: mpsc::Receiver<Recorded>,
}

impl Recorder {
    pub fn start(reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Recorder {
        Recorder::start_on("127.0.0.1".parse().expect("an address"), reply)
    }

    /// [`Recorder::start`] listening on `ip` (say, this machine's address on its network).
    pub fn start_on(
        ip: std::net::IpAddr,
        reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Recorder {
        let listener = TcpListener::bind((ip, 0)).expect("bind a port");
        let addr = listener.local_addr().expect("a bound address");
        let port = addr.port();
        let (sender, received) = mpsc::channel();
        let reply = std::sync::Arc::new(reply);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sender = sender.clone();
                let reply = reply.clone();
                thread::spawn(move || serve(stream, &sender, &*reply));
            }
        });
        Recorder {
            port,
            addr,
            received,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
