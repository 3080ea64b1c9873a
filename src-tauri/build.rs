//! Generates the command surface from the `#[tauri::command]` functions of `src/commands/`
//! (see `build/surface.rs`), then runs Tauri's own build steps.

#[path = "build/surface.rs"]
mod surface;

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=src/commands");
    println!("cargo::rerun-if-changed=build");
    let commands = surface::read(Path::new("src/commands"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    write_if_changed(&out.join("handler.rs"), &surface::handler(&commands));
    // Written to OUT_DIR, exported by the `export_bindings_commands` test like ts-rs's bindings.
    write_if_changed(
        &out.join("commands.ts"),
        &surface::typescript_interface(&commands),
    );
    // Read by tauri_build below: the main window may call exactly these commands.
    write_if_changed(
        Path::new("capabilities/main.json"),
        &surface::capability(&commands),
    );

    // AppManifest keeps the names for the rest of the build.
    let names: &'static [&'static str] = Vec::leak(
        commands
            .iter()
            .map(|c| &*String::leak(c.name.clone()))
            .collect(),
    );
    // Each command gets an `allow-<command>` permission.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .expect("the Tauri configuration and capabilities are valid");
}

/// Leaves a file that already says the same untouched, so nothing rebuilds for nothing.
fn write_if_changed(path: &Path, content: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return;
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
