//! Two copies of Atelier Desk on the same data would both poll and deliver, spending the
//! one hourly allowance twice as fast. The second copy to open the desk watches nothing,
//! says so, and refuses what would spend the allowance, until the first one has gone.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use atelier_core::desk::{Desk, DeskConfig};
use atelier_core::error::PageError;
use atelier_core::forms::ServiceForm;
use atelier_core::models::{Delivery, NewAgent};
use atelier_core::secrets::MemoryKeyring;
use atelier_core::session::SessionError;
use atelier_core::settings::Mode;

const ANOTHER_COPY: &str =
    "Another copy of Atelier Desk is already watching for orders on this computer";

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-desk-lock-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn open_desk(dir: &Path, keys: &MemoryKeyring) -> Desk {
    Desk::open(DeskConfig {
        settings_file: dir.join("settings.json"),
        practice_data: dir.join("practice.json"),
        watch_dir: dir.join("watch"),
        keys: Arc::new(keys.clone()),
    })
    .await
}

fn agent() -> NewAgent {
    NewAgent {
        name: "Neon Avatars".into(),
        description: "Cyberpunk avatars in any style".into(),
        endpoint_url: "https://neon.example.com".into(),
        capabilities: vec!["image_gen".into()],
        ..Default::default()
    }
}

fn service() -> ServiceForm {
    ServiceForm {
        category: "image_gen".into(),
        title: "Neon avatar pack".into(),
        description: "Three avatar variations in your style".into(),
        price_usd: "5".into(),
        price_type: "fixed".into(),
        turnaround_hours: "24".into(),
        deliverables: vec!["3 avatars".into()],
        demo_url: String::new(),
    }
}

fn delivery() -> Delivery {
    Delivery {
        deliverable_url: "https://cdn.example.com/a.png".into(),
        deliverable_media_type: "image".into(),
    }
}

fn assert_another_copy<T>(what: &str, answer: Result<T, SessionError>) {
    match answer {
        Err(e) => {
            assert_eq!(e.code(), "another_copy", "{what}: {e}");
            assert!(e.to_string().starts_with(ANOTHER_COPY), "{what}: {e}");
        }
        Ok(_) => panic!("{what} was not refused"),
    }
}

async fn until_watching(desk: &Desk) {
    for _ in 0..200 {
        if desk
            .status()
            .await
            .is_some_and(|s| s.running && s.problem.is_none())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never watched: {:?}", desk.status().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_desk_on_the_same_data_watches_nothing_and_spends_nothing() {
    let dir = scratch("two");
    let keys = MemoryKeyring::new();
    let first = open_desk(&dir, &keys).await;
    first
        .choose_mode(Mode::Practice, None, false)
        .await
        .unwrap();
    first.register(&agent()).await.unwrap();
    until_watching(&first).await;

    let second = open_desk(&dir, &keys).await;
    assert!(second.session().await.signed_in, "the same account");
    let status = second
        .status()
        .await
        .expect("a status saying why nothing watches");
    assert!(!status.running, "{status:?}");
    let problem = status.problem.expect("the reason");
    assert_eq!(problem.code, "another_copy");
    assert!(
        problem.message.starts_with(ANOTHER_COPY),
        "{}",
        problem.message
    );

    let mut news = second.subscribe();
    second.check_now().await;
    let heard = news.try_recv().expect("news says it too");
    assert!(
        matches!(&heard.event, Some(atelier_core::watcher::WatchEvent::Problem { problem }) if problem.code == "another_copy"),
        "{heard:?}"
    );

    assert_another_copy("register", second.register(&agent()).await);
    assert_another_copy("create_service", second.create_service(&service()).await);
    assert_another_copy("orders", second.orders(true).await);
    assert_another_copy("deliver", second.deliver("ord_1", &delivery()).await);

    // The first copy is not disturbed.
    assert!(first.orders(true).await.is_ok());
    assert!(first.status().await.is_some_and(|s| s.running));

    // Once it has gone, the second one takes over.
    first.stop().await;
    drop(first);
    second.check_now().await;
    until_watching(&second).await;
    assert!(second.create_service(&service()).await.is_ok());
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Not a test on its own: the other process of the test below, holding a desk open on
/// the folder it is given until its standard input closes.
#[tokio::test]
async fn desk_held_by_another_process() {
    let Some(dir) = std::env::var_os("ATELIER_TEST_HOLD_DESK") else {
        return;
    };
    let desk = open_desk(Path::new(&dir), &MemoryKeyring::new()).await;
    println!("holding the desk");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    desk.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_open_in_another_process_keeps_this_one_from_spending() {
    let dir = scratch("process");
    let mut other = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "desk_held_by_another_process", "--nocapture"])
        .env("ATELIER_TEST_HOLD_DESK", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(other.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("holding the desk") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the other process ended"
        );
    }
    // Whatever it prints from now on must not fill the pipe (or meet a closed one).
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));

    let desk = open_desk(&dir, &MemoryKeyring::new()).await;
    desk.choose_mode(Mode::Practice, None, false).await.unwrap();
    assert_another_copy("register", desk.register(&agent()).await);

    drop(other.stdin.take());
    assert!(other.wait().unwrap().success());
    desk.register(&agent())
        .await
        .expect("the other copy has gone: this one may register");
    until_watching(&desk).await;
    desk.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
