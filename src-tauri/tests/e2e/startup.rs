//! A start that cannot go on tells the owner why: a shop written by a newer Flagshop opens a
//! native error dialog with the reason and where the log is, and the log says it too. The app
//! is started straight on a private display here (there is no window to drive).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Display, log_file, target_dir};

#[test]
#[ignore = "needs Xvfb; `make test` runs it"]
fn a_shop_from_a_newer_flagshop_stops_the_start_with_a_dialog_that_says_why() {
    let app = std::path::PathBuf::from(env!("CARGO_BIN_EXE_flagshop-desktop"));
    let shots = target_dir(&app).join("e2e");
    std::fs::create_dir_all(&shots).expect("create target/e2e");
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let logs = tempfile::tempdir().expect("temp log dir");
    let db = rusqlite::Connection::open(data_dir.path().join("shop.db")).unwrap();
    db.execute_batch("PRAGMA user_version = 999;").unwrap();
    drop(db);

    let display = Display::start(&shots, "startup");
    let mut child = Command::new(&app)
        .env("DISPLAY", display.name())
        .env("FLAGSHOP_DATA_DIR", data_dir.path())
        .env("FLAGSHOP_LOG_DIR", logs.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(&shots, "startup-app.err.log"))
        .spawn()
        .expect("start the app");
    let logged = || -> String {
        std::fs::read_dir(logs.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !logged().contains("newer Flagshop") {
        assert!(
            Instant::now() < deadline,
            "the log never said why: {}",
            logged()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The dialog holds the app until the owner has read it.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the app exited without showing the reason"
    );
    display.screenshot(&shots.join("startup-01-newer-shop.png"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        logged().contains("Flagshop cannot open the shop"),
        "{}",
        logged()
    );
}
