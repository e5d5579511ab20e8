//! The package as a creator gets it: after `apt install ./Atelier*.deb`, the app is in the
//! menu with its icon, pulls what it needs, starts and quits cleanly.
//!
//! scripts/test builds the package, installs it and runs these inside the private desktop
//! session:
//!
//!     scripts/e2e-session cargo test -p atelier-tests --test installed
//!
//! `ATELIER_INSTALLED_PACKAGE` names the package (default `atelier-desk`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use atelier_tests::desktop::{LaunchedApp, READY_LINE};
use atelier_tests::e2e::TestProfile;

fn package() -> String {
    std::env::var("ATELIER_INSTALLED_PACKAGE").unwrap_or_else(|_| "atelier-desk".into())
}

fn dpkg(args: &[&str]) -> String {
    let out = Command::new("dpkg-query")
        .args(args)
        .output()
        .expect("dpkg-query runs");
    assert!(
        out.status.success(),
        "dpkg-query {args:?}: {}\n(is the package installed? scripts/test installs it)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file the package installed.
fn files() -> Vec<PathBuf> {
    dpkg(&["-L", &package()])
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect()
}

fn installed_binary() -> PathBuf {
    files()
        .into_iter()
        .find(|p| p.starts_with("/usr/bin"))
        .expect("the package installs a program in /usr/bin")
}

#[test]
fn the_package_puts_the_app_in_the_menu_with_its_icon() {
    let files = files();
    let entry = files
        .iter()
        .find(|p| {
            p.starts_with("/usr/share/applications")
                && p.extension().is_some_and(|e| e == "desktop")
        })
        .expect("a menu entry in /usr/share/applications");
    let text = std::fs::read_to_string(entry).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{} has no {key}=\n{text}", entry.display()))
            .to_owned()
    };
    assert_eq!(value("Name"), "Atelier Desk");
    assert_eq!(value("Type"), "Application");
    let program = installed_binary();
    let exec = value("Exec");
    assert!(
        exec == program.file_name().unwrap().to_str().unwrap() || Path::new(&exec) == program,
        "Exec={exec} starts {}",
        program.display()
    );
    assert!(
        value("Categories").split(';').any(|c| c == "Office"),
        "listed under Office: {}",
        value("Categories")
    );
    let validate = Command::new("desktop-file-validate")
        .arg(entry)
        .output()
        .expect("desktop-file-validate runs (package desktop-file-utils)");
    assert!(
        validate.status.success() && validate.stdout.is_empty(),
        "the entry is valid: {}",
        String::from_utf8_lossy(&validate.stdout)
    );

    // The icon it names, in the sizes launchers look for.
    let icon = value("Icon");
    for size in ["32x32", "128x128", "256x256@2"] {
        let path = PathBuf::from(format!("/usr/share/icons/hicolor/{size}/apps/{icon}.png"));
        assert!(files.contains(&path), "{} is installed", path.display());
    }
}

#[test]
fn the_package_pulls_webkit_gtk_and_the_tray_library() {
    let depends = dpkg(&["-W", "-f=${Depends}", &package()]);
    for needed in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
    ] {
        assert!(
            depends.split(',').any(|d| d.trim().starts_with(needed)),
            "Depends has {needed}: {depends}"
        );
    }
}

#[tokio::test]
async fn the_installed_app_starts_and_quits_cleanly() {
    let profile = TestProfile::new().await;
    let mut app = LaunchedApp::start(&installed_binary(), &profile, &[]);
    let (after, _) = app
        .wait_for_line(READY_LINE, Duration::from_secs(30))
        .unwrap_or_else(|| panic!("the installed app showed no window\n{}", app.stderr_tail()));
    eprintln!("installed app: first screen after {} ms", after.as_millis());
    let family = app.processes();
    let status = app
        .quit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("still running after SIGTERM\n{}", app.stderr_tail()));
    assert_eq!(status.code(), Some(0), "{}", app.stderr_tail());
    assert_eq!(
        family.gone_within(Duration::from_secs(5)),
        Vec::<u32>::new()
    );
}

#[tokio::test]
async fn the_installed_apps_tray_opens_checks_pauses_and_quits() {
    // The release build (panic = "abort"): a panic in a tray handler is a SIGABRT here.
    atelier_tests::stories::tray_story(&installed_binary(), atelier_tests::stories::Start::Window)
        .await;
}

#[tokio::test]
async fn the_installed_app_rides_out_a_misbehaving_marketplace_and_then_announces_an_order() {
    // The release build: a 429 asking for u64::MAX seconds, captive-portal HTML and 500s
    // must cost it nothing, and a paid order is still announced once they stop.
    atelier_tests::fault_story::faulty_marketplace_story(&installed_binary()).await;
}

#[tokio::test]
async fn the_installed_app_survives_a_429_asking_for_u64_max_seconds() {
    atelier_tests::fault_story::absurd_rate_limit_story(&installed_binary()).await;
}
