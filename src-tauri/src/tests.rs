//! The app's commands on Tauri's mock runtime (no display), with an in-memory keyring
//! standing in for the OS one — the real keyring is exercised end to end under Xvfb.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atelier_core::secrets::{KeyringError, MemoryKeyring};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::Setup;

struct Desk {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Desk {
    /// The app as start-up builds it (`run_app` and its setup, as `run()` does), on the
    /// mock runtime: no window of its own, no tray or signals, which need a real desktop.
    fn open(root: &Path, keys: &MemoryKeyring) -> Desk {
        let setup = Setup {
            keys: Arc::new(keys.clone()),
            data_root: Some(root.to_path_buf()),
            window: false,
            desktop: None,
        };
        let mut app = crate::run_app(mock_builder(), setup)
            .build(mock_context(noop_assets()))
            .expect("the app builds");
        // Runs the setup hook, exactly as the event loop's first turn does in the real app.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a window");
        Desk { _app: app, window }
    }

    fn call(&self, command: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: command.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, command: &str, args: Value) -> Value {
        self.call(command, args)
            .unwrap_or_else(|e| panic!("{command} failed: {e}"))
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "atelier-desk-commands-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn agent_form() -> Value {
    json!({
        "name": "Neon Avatars",
        "description": "Cyberpunk avatars in any style",
        "endpoint_url": "https://neon.example.com",
        "capabilities": ["image_gen"],
    })
}

fn service_form(title: &str) -> Value {
    json!({
        "category": "image_gen", "title": title,
        "description": "Three avatar variations in your style",
        "price_usd": "5", "price_type": "fixed", "turnaround_hours": "24",
        "deliverables": ["3 avatars"], "demo_url": ""
    })
}

#[test]
fn the_window_can_ask_for_the_app_name_and_version() {
    let desk = Desk::open(&scratch("info"), &MemoryKeyring::new());
    let info = desk.ok("app_info", json!({}));
    assert_eq!(info["name"], "Atelier Desk");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_creator_practises_registers_lists_a_service_and_is_still_signed_in_after_a_restart() {
    let root = scratch("story");
    let keyring = MemoryKeyring::new();
    let desk = Desk::open(&root, &keyring);
    assert_eq!(
        desk.ok("session", json!({}))["mode"],
        Value::Null,
        "first run: no mode yet"
    );

    let view = desk.ok("choose_mode", json!({"mode": "practice"}));
    assert_eq!(view["mode"], "practice");
    assert!(view["base_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));

    let account = desk.ok("register", json!({"form": agent_form()}));
    let key = account["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("atelier_"));
    assert_eq!(account["session"]["signed_in"], true);
    assert_eq!(account["session"]["key_saved"], true);
    assert_eq!(keyring.len(), 1, "the key went to the keyring");

    let service = desk.ok(
        "create_service",
        json!({"form": service_form("Neon avatar pack")}),
    );
    assert_eq!(service["price_usd"], "5.00");
    drop(desk);

    let desk = Desk::open(&root, &keyring);
    let view = desk.ok("session", json!({}));
    assert_eq!(view["signed_in"], true, "{view}");
    assert_eq!(view["agent_id"], account["agent_id"]);
    let services = desk.ok("services", json!({}));
    assert_eq!(
        services[0]["title"], "Neon avatar pack",
        "the practice marketplace kept its data"
    );

    for file in walk(&root) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(
            !text.contains(&key),
            "{} holds the key in clear",
            file.display()
        );
    }
    assert!(
        root.join("practice-marketplace.json").exists(),
        "the check above looked at real files"
    );
    assert!(
        !desk.ok("profile", json!({})).to_string().contains(&key),
        "nor in any later answer"
    );
}

#[test]
fn bad_input_comes_back_with_every_field_and_nothing_is_sent() {
    let desk = Desk::open(&scratch("invalid"), &MemoryKeyring::new());
    desk.ok("choose_mode", json!({"mode": "practice"}));
    let err = desk
        .call(
            "register",
            json!({"form": {"name": "N", "description": "", "endpoint_url": "x"}}),
        )
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    let fields: Vec<&str> = err["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "description", "endpoint_url"]);
    assert_eq!(desk.ok("session", json!({}))["signed_in"], false);

    let live = desk.ok(
        "check_form",
        json!({"kind": "service", "form": {"title": "Av"}}),
    );
    assert!(live
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["field"] == "title"));
}

#[test]
fn a_bad_marketplace_address_is_refused_beside_its_field() {
    let desk = Desk::open(&scratch("base-url"), &MemoryKeyring::new());
    let err = desk
        .call(
            "choose_mode",
            json!({"mode": "live", "liveBaseUrl": "http://agentgram.fun/api"}),
        )
        .unwrap_err();
    assert_eq!(err["field"], "base_url");
    assert!(err["message"].as_str().unwrap().contains("https://"));
    assert_eq!(
        desk.ok("session", json!({}))["mode"],
        Value::Null,
        "nothing was saved"
    );
}

#[test]
fn without_a_keyring_the_creator_is_told_and_nothing_is_written_in_clear() {
    let root = scratch("no-keyring");
    let keyring = MemoryKeyring::new();
    keyring.break_with(Some(KeyringError::Unavailable {
        detail: "no Secret Service".into(),
    }));
    let desk = Desk::open(&root, &keyring);
    desk.ok("choose_mode", json!({"mode": "practice"}));

    let account = desk.ok("register", json!({"form": agent_form()}));
    let key = account["api_key"].as_str().unwrap().to_owned();
    let view = &account["session"];
    assert_eq!(view["signed_in"], true, "usable for this run");
    assert_eq!(view["key_saved"], false);
    assert_eq!(view["keyring_problem"]["code"], "keyring_unavailable");
    for entry in walk(&root) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&key), "{} holds the key", entry.display());
    }

    keyring.break_with(None);
    let view = desk.ok("retry_keyring", json!({}));
    assert_eq!(
        (view["key_saved"].clone(), view["keyring_problem"].clone()),
        (json!(true), Value::Null)
    );
    assert_eq!(keyring.len(), 1);
}

#[test]
fn each_mode_keeps_its_own_account_and_signing_out_forgets_the_key() {
    let root = scratch("modes");
    let keyring = MemoryKeyring::new();
    let desk = Desk::open(&root, &keyring);
    desk.ok("choose_mode", json!({"mode": "practice"}));
    desk.ok("register", json!({"form": agent_form()}));

    let live = desk.ok(
        "choose_mode",
        json!({"mode": "live", "liveBaseUrl": "http://127.0.0.1:9/api/atelier"}),
    );
    assert_eq!(
        live["signed_in"], false,
        "the practice account is not the real one"
    );
    let back = desk.ok("choose_mode", json!({"mode": "practice"}));
    assert_eq!(
        back["signed_in"], true,
        "and it is still there when coming back"
    );

    let out = desk.ok("sign_out", json!({}));
    assert_eq!(out["signed_in"], false);
    assert!(keyring.is_empty(), "the key left the keyring");
    assert_eq!(
        desk.call("profile", json!({})).unwrap_err()["code"],
        "not_signed_in"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_simulated_practice_order_is_announced_once() {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    use tauri::Listener;

    let root = scratch("simulate");
    let desk = Desk::open(&root, &MemoryKeyring::new());
    let announced: Arc<Mutex<Vec<Value>>> = Arc::default();
    let alerts: Arc<Mutex<Vec<Value>>> = Arc::default();
    let alert_sink = alerts.clone();
    desk._app.listen_any(crate::watch::ALERT, move |event| {
        alert_sink
            .lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap());
    });
    let sink = announced.clone();
    desk._app.listen_any(crate::watch::EVENT, move |event| {
        let event: Value = serde_json::from_str(event.payload()).unwrap();
        if event["type"] == "new_orders" {
            sink.lock().unwrap().push(event);
        }
    });

    desk.ok("choose_mode", json!({"mode": "practice"}));
    // With desktop notifications off, the news comes as an in-app alert instead.
    desk.ok(
        "set_preferences",
        json!({"preferences": {"notifications": false}}),
    );
    let err = desk.call("simulate_order", json!({})).unwrap_err();
    assert_eq!(
        err["code"], "not_signed_in",
        "a pretend client needs someone to order from"
    );
    desk.ok("register", json!({"form": agent_form()}));
    assert_eq!(
        desk.call("simulate_order", json!({})).unwrap_err()["code"],
        "no_service"
    );
    desk.ok(
        "create_service",
        json!({"form": service_form("Neon avatar pack")}),
    );
    let order = desk.ok(
        "simulate_order",
        json!({"brief": "A neon fox avatar for my stream, please"}),
    );
    // The pretend client creates the order, then pays it seconds later, as a real checkout
    // does: the command answers with the order as created, and the watcher, following it
    // through its free order page, announces it once paid.
    assert_eq!(order["status"], "quoted");

    let deadline = Instant::now() + Duration::from_secs(45);
    while announced.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Long enough for another page read and the next counts: still only the one.
    std::thread::sleep(Duration::from_secs(8));
    let events = announced.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["orders"][0]["status"], "paid");
    assert_eq!(events[0]["orders"][0]["id"], order["id"]);
    assert_eq!(
        events[0]["orders"][0]["brief"],
        "A neon fox avatar for my stream, please"
    );

    let status = desk.ok("watch_status", json!({}));
    assert_eq!(status["status"]["running"], true);
    assert!(
        status["status"]["budget_left"].as_u64().unwrap() < 30,
        "the poll was counted: {status}"
    );

    // The inbox lists it to deliver; the creator delivers; it moves to awaiting review.
    let inbox = desk.ok("orders", json!({}));
    assert_eq!(inbox["orders"][0]["status"], "paid");
    let bad = desk.call("deliver", json!({"orderId": order["id"], "form": {"deliverable_url": "result.png", "deliverable_media_type": "image"}}));
    assert_eq!(
        bad.unwrap_err()["field"],
        "deliverable_url",
        "checked before it is queued"
    );
    let form = json!({"deliverable_url": "https://cdn.example.com/fox.png", "deliverable_media_type": "image"});
    desk.ok("deliver", json!({"orderId": order["id"], "form": form}));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = Value::Null;
    while Instant::now() < deadline {
        status = desk.ok("orders", json!({}))["orders"][0]["status"].clone();
        if status == "delivered" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        status, "delivered",
        "the kept inbox follows the watcher's news"
    );
    let fresh = desk.ok("orders", json!({"refresh": true}));
    assert!(fresh["orders"][0]["review_deadline"].is_string(), "{fresh}");
}

/// The commands that, called on `window`, ask for state nobody manages, or are not served.
fn commands_missing_their_state(window: &WebviewWindow<MockRuntime>) -> Vec<String> {
    let mut broken = Vec::new();
    for command in crate::commands::COMMANDS {
        // Without the page's arguments: the state comes first in every command, so it is
        // asked for before any argument is found missing.
        let answer = get_ipc_response(
            window,
            InvokeRequest {
                cmd: (*command).into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(json!({})),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        );
        if let Err(error) = answer {
            let text = error.to_string();
            if text.contains("state not managed") || text.contains("not found") {
                broken.push(format!("{command}: {text}"));
            }
        }
    }
    broken
}

#[test]
fn every_command_finds_the_state_start_up_manages() {
    let desk = Desk::open(&scratch("state"), &MemoryKeyring::new());
    assert_eq!(
        commands_missing_their_state(&desk.window),
        Vec::<String>::new()
    );
}

#[test]
fn the_state_check_catches_an_app_that_skipped_start_up() {
    // The same commands on an app whose start-up never ran: the check above must see it.
    let app = mock_builder()
        .invoke_handler(crate::handler!())
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let broken = commands_missing_their_state(&window);
    assert!(
        broken.iter().any(|b| b.starts_with("check_now:")),
        "{broken:?}"
    );
}

#[test]
fn every_tray_entry_works_on_the_app_start_up_builds() {
    use std::time::{Duration, Instant};

    let desk = Desk::open(&scratch("tray"), &MemoryKeyring::new());
    desk.ok("choose_mode", json!({"mode": "practice"}));
    desk.ok("register", json!({"form": agent_form()}));
    let handle = desk._app.handle();
    for entry in crate::tray::ENTRIES {
        if entry != crate::tray::QUIT {
            crate::tray::on_menu(handle, entry);
        }
    }
    // Pause was clicked once: the watcher says so, and Check now did not stop it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = desk.ok("watch_status", json!({}));
        if status["status"]["paused"] == true {
            assert_eq!(status["status"]["running"], true, "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "never paused: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
    crate::tray::on_menu(handle, crate::tray::PAUSE);
    let deadline = Instant::now() + Duration::from_secs(10);
    while desk.ok("watch_status", json!({}))["status"]["paused"] != false {
        assert!(Instant::now() < deadline, "never resumed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_new_live_address_needs_consent_and_signs_the_real_account_out() {
    let root = scratch("address");
    let keyring = MemoryKeyring::new();
    let desk = Desk::open(&root, &keyring);
    // A real account on a marketplace at one address (a sandbox stands in for it).
    let server = tokio::runtime::Runtime::new().unwrap();
    let marketplace = server
        .block_on(atelier_core::sandbox::Sandbox::start(Default::default()))
        .unwrap();
    let first = marketplace.base_url();
    let live = desk.ok("choose_mode", json!({"mode": "live", "liveBaseUrl": first}));
    assert_eq!(live["live_base_url"], first.as_str());
    let account = desk.ok("register", json!({"form": agent_form()}));
    assert_eq!(keyring.len(), 1);

    // Moving to another address is refused until the creator agrees, beside the field.
    let other = "http://127.0.0.1:9/api/atelier";
    let err = desk
        .call("set_live_address", json!({"url": other}))
        .unwrap_err();
    assert_eq!(err["code"], "confirm_address_change");
    assert_eq!(err["field"], "base_url");
    let agent_id = account["agent_id"].as_str().unwrap();
    assert!(err["message"].as_str().unwrap().contains(agent_id), "{err}");
    let still = desk.ok("session", json!({}));
    assert_eq!(
        (still["signed_in"].clone(), still["live_base_url"].clone()),
        (json!(true), json!(first))
    );
    // The same through choose_mode (the welcome screen's Advanced).
    let err = desk
        .call("choose_mode", json!({"mode": "live", "liveBaseUrl": other}))
        .unwrap_err();
    assert_eq!(err["code"], "confirm_address_change");

    // Agreed: signed out, the key left the keyring, nothing watches any more.
    let moved = desk.ok("set_live_address", json!({"url": other, "confirmed": true}));
    assert_eq!(moved["signed_in"], false);
    assert_eq!(moved["live_base_url"], other);
    assert_eq!(moved["base_url"], other);
    assert!(keyring.is_empty(), "the old address's key is gone");
    assert_eq!(desk.ok("watch_status", json!({}))["status"], Value::Null);

    // Saving the same address again is not a change and asks nothing.
    desk.ok("set_live_address", json!({"url": other}));
    // After a restart the app is still at the new address, signed out.
    drop(desk);
    let desk = Desk::open(&root, &keyring);
    let view = desk.ok("session", json!({}));
    assert_eq!(
        (view["signed_in"].clone(), view["base_url"].clone()),
        (json!(false), json!(other))
    );
}

#[test]
fn an_alert_no_notification_showed_waits_on_disk_for_the_next_window() {
    use std::time::{Duration, Instant};

    let root = scratch("waiting-alerts");
    let keyring = MemoryKeyring::new();
    let desk = Desk::open(&root, &keyring);
    desk.ok("choose_mode", json!({"mode": "practice"}));
    // Notifications off: nothing on the desktop shows the alert, and no page is listening.
    desk.ok(
        "set_preferences",
        json!({"preferences": {"notifications": false}}),
    );
    desk.ok("register", json!({"form": agent_form()}));
    assert_eq!(desk.ok("waiting_alerts", json!({})), json!([]));
    desk.ok(
        "create_service",
        json!({"form": service_form("Neon avatar pack")}),
    );
    let order = desk.ok(
        "simulate_order",
        json!({"brief": "A neon fox <b>avatar</b> for my stream"}),
    );

    // Paid seconds after it was created (the two-step pretend client).
    let deadline = Instant::now() + Duration::from_secs(45);
    let waiting = loop {
        let waiting = desk.ok("waiting_alerts", json!({}));
        if waiting.as_array().is_some_and(|w| !w.is_empty()) {
            break waiting;
        }
        assert!(Instant::now() < deadline, "the alert was never kept");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(waiting[0]["order_ids"], json!([order["id"]]));
    assert_eq!(waiting[0]["text"], "A neon fox <b>avatar</b> for my stream");
    assert!(waiting[0]["title"]
        .as_str()
        .unwrap()
        .contains("Neon avatar pack"));

    // The app quits before anyone saw it; the next start (a window opening) still has it.
    drop(desk);
    let desk = Desk::open(&root, &keyring);
    let again = desk.ok("waiting_alerts", json!({}));
    assert_eq!(again, waiting, "the same alert, from disk");

    // Seen: it goes, and stays gone after another start.
    let left = desk.ok("dismiss_alerts", json!({"orderIds": [order["id"]]}));
    assert_eq!(left, json!([]));
    drop(desk);
    let desk = Desk::open(&root, &keyring);
    assert_eq!(desk.ok("waiting_alerts", json!({})), json!([]));
}
