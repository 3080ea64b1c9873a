//! End to end on the real window: the built app under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, each scenario in a fresh shop of its own. Each step leaves a screenshot in
//! `target/e2e/`, named after its scenario.
//!
//! Needs Xvfb, ImageMagick's `import`, `tauri-driver` and `WebKitWebDriver` (scripts/setup.sh
//! installs them); `make test` runs it with
//! `cargo test -p flagshop-desktop --test e2e -- --ignored --test-threads=1`.

mod backoffice;
mod backups;
mod checkout;
mod import;
mod menu;
mod orders;
mod settings;
mod startup;
mod storefront;

use std::fs::File;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Longest wait for one WebDriver call; the driver has been seen to hang rather than fail.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the page to reach an expected state.
const STATE_TIMEOUT: Duration = Duration::from_secs(30);

/// One scenario's world: a private X display, tauri-driver, a fresh data dir, and the place
/// its screenshots go (`target/e2e/<scenario>-<step>.png`).
pub struct Scenario {
    pub app: PathBuf,
    name: &'static str,
    shots: PathBuf,
    pub data_dir: tempfile::TempDir,
    // Dropped in this order: the driver (and the app) before the display it draws on.
    driver: Driver,
    display: Display,
}

impl Scenario {
    /// Starts the display and the driver; removes this scenario's screenshots of earlier runs.
    pub fn start(name: &'static str) -> Scenario {
        Scenario::start_with_env(name, &[])
    }

    /// Like [`Scenario::start`], with extra environment for the app (e.g. the Stripe server).
    pub fn start_with_env(name: &'static str, env: &[(&str, &str)]) -> Scenario {
        let app = PathBuf::from(env!("CARGO_BIN_EXE_flagshop-desktop"));
        let shots = target_dir(&app).join("e2e");
        std::fs::create_dir_all(&shots).expect("create target/e2e");
        let prefix = format!("{name}-");
        for old in std::fs::read_dir(&shots)
            .expect("read target/e2e")
            .flatten()
        {
            if old.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(old.path());
            }
        }
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let display = Display::start(&shots, name);
        let driver = Driver::start(&display, data_dir.path(), &shots, name, env);
        Scenario {
            app,
            name,
            shots,
            data_dir,
            driver,
            display,
        }
    }

    /// Launches the app and connects to its window.
    pub async fn launch(&self) -> Client {
        self.driver.session(&self.app).await
    }

    /// The X display the app draws on, e.g. `:121`.
    pub fn display_name(&self) -> String {
        self.display.name()
    }

    /// Saves the screen as `target/e2e/<scenario>-<step>.png`.
    pub fn shoot(&self, step: &str) {
        // Let transitions (200 ms or so) finish, so the picture shows the settled page.
        std::thread::sleep(Duration::from_millis(600));
        self.display
            .screenshot(&self.shots.join(format!("{}-{step}.png", self.name)));
    }
}

/// Every image in the viewport has loaded, and there is at least one.
pub const IMAGES_LOADED: &str = "(() => {
    const seen = [...document.querySelectorAll('main img')].filter(img => {
        const r = img.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight;
    });
    return seen.length > 0 && seen.every(img => img.complete && img.naturalWidth > 0);
})()";

/// `target/` of this build, from the path of the app binary (`target/debug/flagshop-desktop`).
fn target_dir(app: &Path) -> PathBuf {
    app.parent()
        .and_then(Path::parent)
        .expect("the app binary lives in target/<profile>/")
        .to_owned()
}

/// Runs one WebDriver call with a timeout, failing the test with `what` if it errs or hangs.
pub async fn call<T, E: std::fmt::Debug>(what: &str, fut: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("{what}: no answer within {CALL_TIMEOUT:?}"),
    }
}

pub async fn count(client: &Client, css: &str) -> usize {
    call("count elements", client.find_all(Locator::Css(css)))
        .await
        .len()
}

/// Clicks the first element `locator` finds.
pub async fn click(client: &Client, what: &str, locator: Locator<'_>) {
    let element = call(what, client.find(locator)).await;
    call(what, element.click()).await;
}

/// Polls `script` (a function body returning a boolean) until it returns true. A script that
/// errs counts as "not yet": while the page reloads or navigates, WebKit drops a running script
/// ("Callback was not called before the unload event") and the next poll runs in the new page.
pub async fn wait_for(client: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        let last = match tokio::time::timeout(CALL_TIMEOUT, client.execute(script, vec![])).await {
            Ok(Ok(Value::Bool(true))) => return,
            Ok(Ok(value)) => format!("the script returned {value}"),
            Ok(Err(e)) => format!("the script failed: {e:?}"),
            Err(_) => format!("the script gave no answer within {CALL_TIMEOUT:?}"),
        };
        if Instant::now() >= deadline {
            // Reading the page may fail too (it may be reloading): say so rather than hide `last`.
            let read = client.execute("return document.body.innerText.slice(0, 600);", vec![]);
            let page = match tokio::time::timeout(CALL_TIMEOUT, read).await {
                Ok(Ok(text)) => text.to_string(),
                Ok(Err(e)) => format!("(unreadable: {e:?})"),
                Err(_) => format!("(no answer within {CALL_TIMEOUT:?})"),
            };
            panic!("waited {STATE_TIMEOUT:?} for {what}; {last}; the page says: {page}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn log_file(dir: &Path, name: &str) -> Stdio {
    Stdio::from(File::create(dir.join(name)).expect("create a log file"))
}

/// A private X display, killed when dropped.
struct Display {
    number: u32,
    xvfb: Child,
}

impl Display {
    fn start(logs: &Path, scenario: &str) -> Display {
        // A display number no other X server (or earlier run) holds.
        let number = (120..400)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display number");
        let xvfb = Command::new("Xvfb")
            .arg(format!(":{number}"))
            .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(log_file(logs, &format!("{scenario}-xvfb.log")))
            .spawn()
            .expect("start Xvfb (apt-get install xvfb)");
        let display = Display { number, xvfb };
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&socket).exists() {
            assert!(Instant::now() < deadline, "Xvfb :{number} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        display
    }

    fn name(&self) -> String {
        format!(":{}", self.number)
    }

    /// Captures the whole screen (WebDriver's own screenshot call hangs with WebKitGTK here).
    fn screenshot(&self, path: &Path) {
        let status = Command::new("timeout")
            .args(["20", "import", "-display", &self.name(), "-window", "root"])
            .arg(path)
            .status()
            .expect("run ImageMagick's import");
        assert!(status.success(), "screenshot {} failed", path.display());
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// tauri-driver (with WebKitWebDriver behind it) on private ports, stopped when dropped.
struct Driver {
    port: u16,
    process: Child,
}

impl Driver {
    fn start(
        display: &Display,
        data_dir: &Path,
        logs: &Path,
        scenario: &str,
        env: &[(&str, &str)],
    ) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new("tauri-driver");
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", display.name())
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("FLAGSHOP_DATA_DIR", data_dir)
            // The app's log next to the screenshots, never in the tester's own log folder.
            .env(
                "FLAGSHOP_LOG_DIR",
                logs.join(format!("{scenario}-app-logs")),
            )
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file(logs, &format!("{scenario}-tauri-driver.log")))
            .stderr(log_file(logs, &format!("{scenario}-tauri-driver.err.log")));
        let process = command
            .spawn()
            .expect("start tauri-driver (cargo install tauri-driver --locked)");
        let driver = Driver { port, process };
        // Both tauri-driver and the WebKitWebDriver it starts must be listening.
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [port, native_port] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "the WebDriver on port {port} did not listen"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        driver
    }

    /// Launches the app and connects to its window.
    async fn session(&self, app: &Path) -> Client {
        let capabilities = json!({
            "tauri:options": { "application": app },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        call(
            "start the app",
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{}", self.port)),
        )
        .await
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver and the app; SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// localstripe on a free port, empty, gone when dropped (it exits when its stdin closes).
pub struct Emulator {
    port: u16,
    process: Child,
    _stdin: ChildStdin,
    today: bool,
}

impl Emulator {
    /// Plain localstripe, Stripe's 2017 dialect.
    pub fn start() -> Emulator {
        Emulator::launch(false)
    }

    /// The test server in today's-Stripe mode: the app must drive it exactly as Stripe
    /// (`STRIPE_SERVER_KIND=stripe`, see [`Emulator::app_env`]).
    pub fn start_today() -> Emulator {
        Emulator::launch(true)
    }

    fn launch(today: bool) -> Emulator {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut process = Command::new(root.join(".venv/localstripe/bin/python"))
            .arg(root.join("scripts/localstripe_server.py"))
            .args(["--quiet", "--exit-with-stdin"])
            .args(if today {
                &["--today", "--async-delay", "0.3"][..]
            } else {
                &[][..]
            })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start localstripe (scripts/localstripe.sh installs it)");
        let stdin = process.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(process.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read localstripe's port");
        let port = line.trim().parse().expect("localstripe prints its port");
        Emulator {
            port,
            process,
            _stdin: stdin,
            today,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// True in today's-Stripe mode.
    pub fn today(&self) -> bool {
        self.today
    }

    /// What `STRIPE_SERVER_KIND` the app needs for this server.
    pub fn server_kind(&self) -> &'static str {
        if self.today { "stripe" } else { "emulator" }
    }

    /// Has the emulator deliver its events to `url`, signed with `secret`.
    pub fn register_webhook(&self, url: &str, secret: &str) {
        let status = Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, urllib.parse, urllib.request\n\
                 form = urllib.parse.urlencode({'url': sys.argv[2], 'secret': sys.argv[3]})\n\
                 urllib.request.urlopen(sys.argv[1], form.encode(), timeout=20)",
            )
            .arg(format!("{}/_config/webhooks/flagshop", self.base_url()))
            .args([url, secret])
            .status()
            .expect("run python3");
        assert!(status.success(), "registering the webhook failed");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
