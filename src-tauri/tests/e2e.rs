//! End to end on the real window: the built app under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, in a fresh shop of its own. Each step leaves a screenshot in `target/e2e/`.
//!
//! Needs Xvfb, ImageMagick's `import`, `tauri-driver` and `WebKitWebDriver` (scripts/setup.sh
//! installs them); `make test` runs it with `cargo test -p flagshop-desktop --test e2e -- --ignored`.

use std::fs::File;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Longest wait for one WebDriver call; the driver has been seen to hang rather than fail.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the page to reach an expected state.
const STATE_TIMEOUT: Duration = Duration::from_secs(30);

const SNAKE_ISLAND: &str = "ukraine-snake-island-flag";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver; `make test` runs it"]
async fn shopper_finds_the_snake_island_flag_and_the_cart_survives_a_restart() {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_flagshop-desktop"));
    let shots = target_dir(&app).join("e2e");
    std::fs::create_dir_all(&shots).expect("create target/e2e");
    for old in std::fs::read_dir(&shots)
        .expect("read target/e2e")
        .flatten()
    {
        let _ = std::fs::remove_file(old.path());
    }
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let display = Display::start(&shots);
    let driver = Driver::start(&display, data_dir.path(), &shots);
    let shoot = |name: &str| {
        // Let transitions (200 ms or so) finish, so the picture shows the settled page.
        std::thread::sleep(Duration::from_millis(600));
        display.screenshot(&shots.join(format!("{name}.png")));
    };

    // 1. The catalogue grid fills with the demo products and their images.
    let client = driver.session(&app).await;
    wait_for(&client, "the catalogue grid with loaded images", GRID_READY).await;
    let cards = count(&client, "ul[aria-label='Products'] > li").await;
    assert!(cards >= 24, "only {cards} products in the first page");
    shoot("01-catalogue");

    // 2. Searching "snake" finds the Snake Island flag.
    // The label is for assistive technology only (visually hidden), so read it from the DOM.
    let label = call(
        "read the search label",
        client.execute(
            "return document.querySelector(\"label[for='search']\")?.textContent.trim();",
            vec![],
        ),
    )
    .await;
    assert_eq!(label, json!("Search products"));
    let search = call(
        "find the search field",
        client.find(Locator::Css("input[type='search']")),
    )
    .await;
    call("type in the search field", search.send_keys("snake")).await;
    wait_for(
        &client,
        "search results for snake",
        &format!(
            "const cards = [...document.querySelectorAll(\"ul[aria-label='Products'] a\")];
             return document.querySelector('h1')?.textContent.includes('snake')
                 && cards.some(a => a.dataset.handle === '{SNAKE_ISLAND}')
                 && cards.every(a => a.textContent.toLowerCase().includes('snake'))
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("02-search-snake");

    // 3. Its product page.
    call(
        "open the Snake Island flag",
        client.find(Locator::Css(&format!("a[data-handle='{SNAKE_ISLAND}']"))),
    )
    .await
    .click()
    .await
    .expect("click the Snake Island card");
    wait_for(
        &client,
        "the product page",
        &format!(
            "return document.querySelector('h1')?.textContent === 'Ukraine Snake Island Flag'
                 && {IMAGES_LOADED};"
        ),
    )
    .await;
    shoot("03-product");

    // 4. Choose 3x5 ft nylon: price and SKU follow.
    for value in ["3x5 ft", "Nylon"] {
        let option = call(
            "find an option value",
            client.find(Locator::XPath(&format!(
                "//label[span[normalize-space()='{value}']]"
            ))),
        )
        .await;
        call("choose an option value", option.click()).await;
    }
    wait_for(
        &client,
        "3x5 ft nylon at $39.00",
        "return document.querySelector(\"[data-testid='price']\")?.textContent.trim() === '$39.00'
             && document.body.textContent.includes('UA-SNK-3X5-NYL');",
    )
    .await;
    shoot("04-variant-3x5-nylon");

    // 5. Two in the cart: the count and the subtotal show it.
    call(
        "press +",
        client.find(Locator::Css("button[aria-label='Increase quantity']")),
    )
    .await
    .click()
    .await
    .expect("click +");
    let add = call(
        "find Add to cart",
        client.find(Locator::XPath("//button[normalize-space()='Add to cart']")),
    )
    .await;
    call("add to cart", add.click()).await;
    wait_for(&client, "the cart with 2 items", CART_HAS_TWO).await;
    shoot("05-cart");

    // 6. Quit and start again: the cart is still there.
    call("quit the app", client.close()).await;
    let client = driver.session(&app).await;
    wait_for(
        &client,
        "the cart button after the restart",
        "return document.querySelector(\"button[aria-label^='Cart']\")
             ?.getAttribute('aria-label') === 'Cart, 2 items';",
    )
    .await;
    call(
        "open the cart",
        client.find(Locator::Css("button[aria-label^='Cart']")),
    )
    .await
    .click()
    .await
    .expect("click the cart button");
    wait_for(&client, "the cart after the restart", CART_HAS_TWO).await;
    shoot("06-cart-after-restart");
    call("quit the app", client.close()).await;
}

/// Every image in the viewport has loaded, and there is at least one.
const IMAGES_LOADED: &str = "(() => {
    const seen = [...document.querySelectorAll('main img')].filter(img => {
        const r = img.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight;
    });
    return seen.length > 0 && seen.every(img => img.complete && img.naturalWidth > 0);
})()";

const GRID_READY: &str =
    "return document.querySelectorAll(\"ul[aria-label='Products'] > li\").length >= 24
    && (() => {
        const seen = [...document.querySelectorAll('main img')].filter(img => {
            const r = img.getBoundingClientRect();
            return r.bottom > 0 && r.top < innerHeight;
        });
        return seen.length >= 4 && seen.every(img => img.complete && img.naturalWidth > 0);
    })();";

const CART_HAS_TWO: &str = "const dialog = document.querySelector(\"[role='dialog']\");
    return document.querySelector(\"button[aria-label^='Cart']\")?.getAttribute('aria-label') === 'Cart, 2 items'
        && dialog?.querySelector(\"[data-testid='subtotal']\")?.textContent.trim() === '$78.00'
        && dialog.textContent.includes('Ukraine Snake Island Flag')
        && dialog.textContent.includes('3x5 ft · Nylon')
        && dialog.querySelector(\"input[type='number']\")?.value === '2';";

/// `target/` of this build, from the path of the app binary (`target/debug/flagshop-desktop`).
fn target_dir(app: &Path) -> PathBuf {
    app.parent()
        .and_then(Path::parent)
        .expect("the app binary lives in target/<profile>/")
        .to_owned()
}

/// Runs one WebDriver call with a timeout, failing the test with `what` if it errs or hangs.
async fn call<T, E: std::fmt::Debug>(what: &str, fut: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("{what}: no answer within {CALL_TIMEOUT:?}"),
    }
}

async fn count(client: &Client, css: &str) -> usize {
    call("count elements", client.find_all(Locator::Css(css)))
        .await
        .len()
}

/// Polls `script` (a function body returning a boolean) until it returns true.
async fn wait_for(client: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        let value = call(what, client.execute(script, vec![])).await;
        if value == Value::Bool(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited {STATE_TIMEOUT:?} for {what}; the page says: {}",
            call(
                "read the page",
                client.execute("return document.body.innerText.slice(0, 600);", vec![])
            )
            .await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
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
    fn start(logs: &Path) -> Display {
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
            .stderr(log_file(logs, "xvfb.log"))
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
    fn start(display: &Display, data_dir: &Path, logs: &Path) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let process = Command::new("tauri-driver")
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", display.name())
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("FLAGSHOP_DATA_DIR", data_dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log_file(logs, "tauri-driver.log"))
            .stderr(log_file(logs, "tauri-driver.err.log"))
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
