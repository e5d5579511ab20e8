//! The tray icon, clicked the way a desktop panel clicks it: over D-Bus.
//!
//! On Linux the app's tray (libayatana-appindicator) is a StatusNotifierItem: it registers
//! with `org.kde.StatusNotifierWatcher` on the session bus and exports its menu as
//! `com.canonical.dbusmenu`. Under Xvfb no panel owns that name, so [`StandInWatcher`]
//! plays the panel's part. It must be started before the app: with no watcher at start-up
//! libayatana falls back to an XEmbed icon that nothing can click.
//!
//! ```text
//! let watcher = StandInWatcher::start().await;          // before the app
//! let app = LaunchedApp::start(&binary, &profile, &[]);
//! let tray = watcher.tray(TRAY_WAIT).await;
//! assert_eq!(tray.labels().await, ["Open Atelier Desk", "Check for orders now", ...]);
//! tray.click("Pause watching").await;
//! tray.wait_for_label("Pause watching", "Resume watching", TRAY_WAIT).await;
//! ```
//!
//! Needs the private desktop session of `scripts/e2e-session` (its own session bus).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use zbus::fdo::RequestNameFlags;
use zbus::message::Header;
use zbus::object_server::SignalContext;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Type, Value};
use zbus::Connection;

use crate::e2e::require_session;

/// The well-known name a desktop panel owns to host tray icons.
pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";
pub const WATCHER_PATH: &str = "/StatusNotifierWatcher";
/// Where an item lives when it registers with a bus name only (the KDE convention).
pub const DEFAULT_ITEM_PATH: &str = "/StatusNotifierItem";
const ITEM_INTERFACE: &str = "org.kde.StatusNotifierItem";
const MENU_INTERFACE: &str = "com.canonical.dbusmenu";
const POLL: Duration = Duration::from_millis(100);

/// A tray item that registered with the stand-in watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredItem {
    /// The unique bus name of the connection that registered (`:1.42`).
    pub bus_name: String,
    /// The item's object path (`/org/ayatana/NotificationItem/...`).
    pub path: String,
    /// What the item passed to `RegisterStatusNotifierItem`, as it was.
    pub argument: String,
}

impl RegisteredItem {
    /// The entry of `RegisteredStatusNotifierItems` for it: `bus_name/path`.
    pub fn service(&self) -> String {
        format!("{}{}", self.bus_name, self.path)
    }
}

/// Plays a desktop panel's StatusNotifierWatcher on the session bus. Dropping it closes
/// its connection, which releases the name.
pub struct StandInWatcher {
    connection: Connection,
    items: watch::Receiver<Vec<RegisteredItem>>,
}

struct WatcherObject {
    items: watch::Sender<Vec<RegisteredItem>>,
    hosts: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl WatcherObject {
    /// libayatana passes its object path; other implementations pass a bus name (their
    /// own unique or well-known name), with the item at `/StatusNotifierItem`.
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_context)] context: SignalContext<'_>,
    ) -> zbus::fdo::Result<()> {
        let sender = header
            .sender()
            .map(|s| s.to_string())
            .ok_or_else(|| zbus::fdo::Error::InvalidArgs("no sender".into()))?;
        let (bus_name, path) = if service.starts_with('/') {
            (sender, service.to_owned())
        } else if service.is_empty() {
            (sender, DEFAULT_ITEM_PATH.to_owned())
        } else {
            (service.to_owned(), DEFAULT_ITEM_PATH.to_owned())
        };
        let item = RegisteredItem {
            bus_name,
            path,
            argument: service.to_owned(),
        };
        let entry = item.service();
        self.items.send_modify(|items| {
            items.retain(|i| i.service() != entry);
            items.push(item);
        });
        Self::status_notifier_item_registered(&context, &entry).await?;
        self.registered_status_notifier_items_changed(&context)
            .await?;
        Ok(())
    }

    async fn register_status_notifier_host(
        &self,
        service: &str,
        #[zbus(signal_context)] context: SignalContext<'_>,
    ) -> zbus::fdo::Result<()> {
        self.hosts.lock().unwrap().push(service.to_owned());
        Self::status_notifier_host_registered(&context).await?;
        Ok(())
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .borrow()
            .iter()
            .map(RegisteredItem::service)
            .collect()
    }

    /// Always true: a panel is "there" (libayatana checks it before registering).
    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        context: &SignalContext<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        context: &SignalContext<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(context: &SignalContext<'_>) -> zbus::Result<()>;
}

impl StandInWatcher {
    /// Takes `org.kde.StatusNotifierWatcher` on the session bus. Panics if something else
    /// already owns it (a real panel, or another stand-in still alive).
    pub async fn start() -> StandInWatcher {
        require_session();
        let (sender, items) = watch::channel(Vec::new());
        let object = WatcherObject {
            items: sender,
            hosts: Default::default(),
        };
        let connection = zbus::connection::Builder::session()
            .expect("the session bus")
            .serve_at(WATCHER_PATH, object)
            .expect("the watcher object")
            .build()
            .await
            .expect("a connection to the session bus");
        connection
            .request_name_with_flags(WATCHER_NAME, RequestNameFlags::DoNotQueue.into())
            .await
            .unwrap_or_else(|e| panic!("cannot own {WATCHER_NAME} (is a panel running?): {e}"));
        StandInWatcher { connection, items }
    }

    /// Every item registered so far, oldest first.
    pub fn items(&self) -> Vec<RegisteredItem> {
        self.items.borrow().clone()
    }

    /// The first item to register, waiting up to `timeout`.
    pub async fn wait_for_item(&self, timeout: Duration) -> Option<RegisteredItem> {
        let mut items = self.items.clone();
        let found = tokio::time::timeout(timeout, items.wait_for(|i| !i.is_empty()))
            .await
            .ok()?
            .ok()?;
        found.first().cloned()
    }

    /// The tray of the first item to register, waiting up to `timeout`; panics if none
    /// registers in time.
    pub async fn tray(&self, timeout: Duration) -> Tray {
        let item = self.wait_for_item(timeout).await.unwrap_or_else(|| {
            panic!(
                "no tray item registered with the stand-in {WATCHER_NAME} within {} s",
                timeout.as_secs()
            )
        });
        Tray::connect(item).await
    }

    /// The watcher's own connection (e.g. to look at the bus).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

/// One entry of the tray menu, as `GetLayout` gives it (separators are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuEntry {
    /// dbusmenu's id for it (given by the library, not the app's own menu ids).
    pub id: i32,
    /// The label without its `_` mnemonic marks (`__` stays one `_`).
    pub label: String,
    pub enabled: bool,
    pub visible: bool,
}

/// `(ia{sv}av)`: one dbusmenu node, its properties and its children (each a variant
/// holding a node).
#[derive(Debug, serde::Deserialize, Type)]
struct Node(i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// A tray item and its menu, clicked over D-Bus.
pub struct Tray {
    connection: Connection,
    item: RegisteredItem,
    menu: OwnedObjectPath,
}

impl Tray {
    /// Reads the item's `Menu` property and gets ready to click it.
    pub async fn connect(item: RegisteredItem) -> Tray {
        let connection = Connection::session().await.expect("the session bus");
        let props = item_properties(&connection, &item).await;
        let menu = props
            .get("Menu")
            .and_then(|v| OwnedObjectPath::try_from(v.try_clone().ok()?).ok())
            .unwrap_or_else(|| panic!("the tray item {item:?} has no Menu: {props:?}"));
        Tray {
            connection,
            item,
            menu,
        }
    }

    pub fn item(&self) -> &RegisteredItem {
        &self.item
    }

    /// The menu's object path on the item's connection.
    pub fn menu_path(&self) -> &str {
        self.menu.as_str()
    }

    /// `org.kde.StatusNotifierItem`'s properties (`Id`, `Title`, `Status`, `ToolTip`, ...).
    pub async fn properties(&self) -> HashMap<String, OwnedValue> {
        item_properties(&self.connection, &self.item).await
    }

    /// The item's `Title`, if it has one.
    pub async fn title(&self) -> Option<String> {
        self.properties().await.get("Title").and_then(|v| text(v))
    }

    /// The title of the item's `ToolTip` (`(sa(iiay)ss)`: icon, pixmaps, title, text).
    pub async fn tooltip(&self) -> Option<String> {
        let props = self.properties().await;
        match &**props.get("ToolTip")? {
            Value::Structure(s) => s.fields().get(2).and_then(text),
            _ => None,
        }
    }

    /// The menu's entries, top level, in order, separators left out.
    pub async fn entries(&self) -> Vec<MenuEntry> {
        self.try_entries()
            .await
            .unwrap_or_else(|e| panic!("reading the tray menu: {e}"))
    }

    /// Like [`Tray::entries`], or the D-Bus error (e.g. the app has gone).
    pub async fn try_entries(&self) -> zbus::Result<Vec<MenuEntry>> {
        let reply = self
            .connection
            .call_method(
                Some(self.item.bus_name.as_str()),
                self.menu.as_str(),
                Some(MENU_INTERFACE),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await?;
        let (_revision, Node(_root, _props, children)): (u32, Node) = reply.body().deserialize()?;
        let mut entries = Vec::new();
        for child in &children {
            if let Some(entry) = entry_of(child) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// The labels of the visible entries, in order.
    pub async fn labels(&self) -> Vec<String> {
        self.entries()
            .await
            .into_iter()
            .filter(|e| e.visible)
            .map(|e| e.label)
            .collect()
    }

    /// The entry labelled `label`, if the menu has one.
    pub async fn entry(&self, label: &str) -> Option<MenuEntry> {
        self.entries().await.into_iter().find(|e| e.label == label)
    }

    /// Clicks the entry labelled `label` as a panel does (`Event(id, "clicked", "", time)`).
    /// Panics if there is no such entry, or it is disabled or hidden.
    pub async fn click(&self, label: &str) {
        let entries = self.entries().await;
        let entry = entries
            .iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("the tray menu has no {label:?}: {entries:?}"));
        assert!(
            entry.enabled && entry.visible,
            "{label:?} cannot be clicked: {entry:?}"
        );
        self.click_id(entry.id)
            .await
            .unwrap_or_else(|e| panic!("clicking {label:?} in the tray menu: {e}"));
    }

    /// Sends a click on the entry with dbusmenu id `id`.
    pub async fn click_id(&self, id: i32) -> zbus::Result<()> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        self.connection
            .call_method(
                Some(self.item.bus_name.as_str()),
                self.menu.as_str(),
                Some(MENU_INTERFACE),
                "Event",
                &(id, "clicked", Value::from(""), timestamp),
            )
            .await?;
        Ok(())
    }

    /// Waits up to `timeout` until the menu shows `new` and no longer `old` (a relabel
    /// reaches the menu asynchronously). Panics with the labels seen if it does not.
    pub async fn wait_for_label(&self, old: &str, new: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let labels: Vec<String> = match self.try_entries().await {
                Ok(entries) => entries.into_iter().map(|e| e.label).collect(),
                Err(e) => panic!("waiting for {old:?} to become {new:?}: {e}"),
            };
            if labels.iter().any(|l| l == new) && !labels.iter().any(|l| l == old) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the tray entry {old:?} did not become {new:?} within {} s; the menu: {labels:?}",
                    timeout.as_secs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether the item's connection is still on the bus (it goes when the app exits).
    pub async fn is_on_the_bus(&self) -> bool {
        let Ok(dbus) = zbus::fdo::DBusProxy::new(&self.connection).await else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(self.item.bus_name.as_str()) else {
            return false;
        };
        dbus.name_has_owner(name).await.unwrap_or(false)
    }
}

async fn item_properties(
    connection: &Connection,
    item: &RegisteredItem,
) -> HashMap<String, OwnedValue> {
    let reply = connection
        .call_method(
            Some(item.bus_name.as_str()),
            item.path.as_str(),
            Some("org.freedesktop.DBus.Properties"),
            "GetAll",
            &(ITEM_INTERFACE,),
        )
        .await
        .unwrap_or_else(|e| panic!("GetAll({ITEM_INTERFACE}) on {item:?}: {e}"));
    reply
        .body()
        .deserialize()
        .unwrap_or_else(|e| panic!("the properties of {item:?}: {e}"))
}

/// A menu entry from one child of the layout (a variant holding `(ia{sv}av)`); `None`
/// for separators and anything that is not a node.
fn entry_of(value: &Value<'_>) -> Option<MenuEntry> {
    let fields = match value {
        Value::Value(inner) => return entry_of(inner),
        Value::Structure(s) => s.fields(),
        _ => return None,
    };
    let id = match fields.first()? {
        Value::I32(id) => *id,
        _ => return None,
    };
    let props: HashMap<String, &Value<'_>> = match fields.get(1)? {
        Value::Dict(d) => d.iter().filter_map(|(k, v)| Some((text(k)?, v))).collect(),
        _ => return None,
    };
    if props.get("type").and_then(|v| text(v)).as_deref() == Some("separator") {
        return None;
    }
    Some(MenuEntry {
        id,
        label: without_mnemonics(&props.get("label").and_then(|v| text(v)).unwrap_or_default()),
        // dbusmenu leaves out properties at their defaults: enabled and visible are true.
        enabled: props.get("enabled").and_then(|v| flag(v)).unwrap_or(true),
        visible: props.get("visible").and_then(|v| flag(v)).unwrap_or(true),
    })
}

fn text(value: &Value<'_>) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.to_string()),
        Value::Value(inner) => text(inner),
        _ => None,
    }
}

fn flag(value: &Value<'_>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Value(inner) => flag(inner),
        _ => None,
    }
}

/// `_Open` → `Open`, `Save__as` → `Save_as`.
pub fn without_mnemonics(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'_') {
                out.push('_');
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::without_mnemonics;

    #[test]
    fn mnemonic_marks_are_removed() {
        assert_eq!(without_mnemonics("_Open Atelier Desk"), "Open Atelier Desk");
        assert_eq!(without_mnemonics("Save__as"), "Save_as");
        assert_eq!(without_mnemonics("Quit"), "Quit");
    }
}
