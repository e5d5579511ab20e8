//! The Earnings screen's figures, the CSV export and the payout links, all from the kept
//! order list (`inbox.rs`): opening Earnings costs nothing from the hourly budget unless
//! nothing is kept yet, exactly like opening Orders. The sums themselves are worked out by
//! [`crate::earnings`].
//!
//! The creator's UTC offset comes from the page: the `time` crate refuses to read the local
//! offset in a process with more than one thread (reading the time zone database there is
//! not thread-safe on Unix), and this one always has several. The page knows it for sure.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::Desk;
use crate::earnings::{self, Earnings};
use crate::models::Timestamp;
use crate::session::SessionError;

/// The furthest any place on Earth is from UTC (UTC+14, UTC−12) with room to spare; a
/// page's offset beyond this is clamped rather than trusted.
pub const MAX_OFFSET_MINUTES: i32 = 18 * 60;

/// What the Earnings screen shows: the figures, and how current the orders behind them are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarningsView {
    #[serde(flatten)]
    pub earnings: Earnings,
    /// When the orders behind these figures were last brought up to date (the kept list's
    /// `updated_at`).
    pub as_of: Timestamp,
    /// The orders that may still change (in review, waiting) are being looked up, for free:
    /// ask again in a moment for figures that include what they say.
    pub updating: bool,
}

impl Desk {
    /// The Earnings screen for the kept orders (a listing, within the budget, only when
    /// nothing is kept yet), with "this month" judged in the creator's offset:
    /// `utc_offset_minutes` east of UTC (JavaScript: `-new Date().getTimezoneOffset()`),
    /// clamped to ±18 hours.
    pub async fn earnings(&self, utc_offset_minutes: i32) -> Result<EarningsView, SessionError> {
        let inbox = self.orders(false).await?;
        let earnings = earnings::summarize(
            &inbox.orders,
            OffsetDateTime::now_utc(),
            local_offset(utc_offset_minutes),
        );
        Ok(EarningsView {
            earnings,
            as_of: inbox.updated_at,
            updating: inbox.updating,
        })
    }

    /// Every kept order as CSV (RFC 4180, formula-safe: see [`earnings::to_csv`]); a
    /// listing only when nothing is kept yet.
    pub async fn orders_csv(&self) -> Result<String, SessionError> {
        Ok(earnings::to_csv(&self.orders(false).await?.orders))
    }

    /// The explorer page of a kept order's payout: only for an order of the kept list whose
    /// `payout_tx_hash` is a plausible Solana signature ([`earnings::explorer_url`]), so
    /// the link always starts with `https://solscan.io/tx/` and never carries other text.
    pub async fn payout_link(&self, order_id: &str) -> Option<String> {
        let inbox = self.0.inbox.get()?;
        let order = inbox.orders.iter().find(|o| o.id == order_id)?;
        earnings::explorer_url(order.payout_tx_hash.as_deref()?)
    }
}

/// The page's offset (`minutes` east of UTC), clamped to ±18 hours.
pub fn local_offset(minutes: i32) -> UtcOffset {
    let minutes = minutes.clamp(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES);
    // Always within `time`'s ±25:59:59, so this cannot fail; UTC if it ever did.
    UtcOffset::from_whole_seconds(minutes * 60).unwrap_or(UtcOffset::UTC)
}

/// `atelier-orders-2025-03-05.csv`: what the save dialog proposes, dated in the creator's
/// offset.
pub fn export_file_name(now: OffsetDateTime, offset: UtcOffset) -> String {
    let day = now.checked_to_offset(offset).unwrap_or(now);
    format!(
        "atelier-orders-{:04}-{:02}-{:02}.csv",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Writes `contents` to `path`, the file the creator chose, whole or not at all: into a
/// temporary file beside it, synced, then renamed over it, so a crash or a full disk never
/// leaves half a spreadsheet (or half of the file it replaces). A file that is replaced
/// keeps its permissions; a new one gets the usual ones for a document the creator saves.
pub fn write_export(path: &Path, contents: &str) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        if let Ok(existing) = fs::metadata(path) {
            file.set_permissions(existing.permissions())?;
        }
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::SystemTime;

    use serde_json::json;

    use super::*;
    use crate::desk::DeskConfig;
    use crate::earnings::{When, EXPLORER_ORIGIN};
    use crate::models::Order;
    use crate::secrets::MemoryKeyring;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atelier-desk-earnings-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A desk nobody is signed in to (no mode chosen: no network at all), holding `orders`
    /// as its kept list.
    async fn desk_keeping(name: &str, orders: Vec<Order>) -> (Desk, PathBuf) {
        let dir = scratch(name);
        let desk = Desk::open(DeskConfig {
            settings_file: dir.join("settings.json"),
            practice_data: dir.join("practice.json"),
            watch_dir: dir.join("watch"),
            keys: Arc::new(MemoryKeyring::new()),
        })
        .await;
        let kept = &desk.0.inbox;
        kept.open(None);
        kept.replace(kept.generation(), orders, SystemTime::now())
            .expect("the list is the desk's");
        (desk, dir)
    }

    fn order(value: serde_json::Value) -> Order {
        serde_json::from_value(value).unwrap()
    }

    fn signature() -> String {
        bs58::encode([7u8; 64]).into_string()
    }

    fn now_utc_text() -> String {
        OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    }

    #[test]
    fn the_pages_offset_is_kept_within_eighteen_hours() {
        assert_eq!(local_offset(0), UtcOffset::UTC);
        assert_eq!(local_offset(330).whole_minutes(), 330, "India, +5:30");
        assert_eq!(local_offset(-570).whole_minutes(), -570, "Marquesas, -9:30");
        assert_eq!(local_offset(840).whole_minutes(), 840, "Kiribati, +14");
        assert_eq!(local_offset(19 * 60).whole_minutes(), 18 * 60);
        assert_eq!(local_offset(i32::MAX).whole_minutes(), 18 * 60);
        assert_eq!(local_offset(i32::MIN).whole_minutes(), -18 * 60);
    }

    #[test]
    fn the_proposed_file_name_is_dated_where_the_creator_is() {
        let late_evening_in_new_york = time::macros::datetime!(2025-03-06 02:30 UTC);
        assert_eq!(
            export_file_name(late_evening_in_new_york, local_offset(-300)),
            "atelier-orders-2025-03-05.csv"
        );
        assert_eq!(
            export_file_name(late_evening_in_new_york, UtcOffset::UTC),
            "atelier-orders-2025-03-06.csv"
        );
    }

    #[test]
    fn an_export_replaces_the_chosen_file_whole_and_leaves_nothing_beside_it() {
        let dir = scratch("write");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("orders.csv");
        std::fs::write(&path, "an older export").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_export(&path, "\u{FEFF}order id\r\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "\u{FEFF}order id\r\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640, "the replaced file's permissions are kept");
        }
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["orders.csv"], "no temporary file left");

        let nowhere = dir.join("missing-folder").join("orders.csv");
        assert!(write_export(&nowhere, "x").is_err());
        assert!(!nowhere.exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn earnings_come_from_the_kept_list_without_anyone_signed_in_to_ask() {
        let completed = now_utc_text();
        let (desk, dir) = desk_keeping(
            "kept",
            vec![
                order(json!({"id": "ord_3", "status": "paid", "quoted_price_usd": "5.00"})),
                order(
                    json!({"id": "ord_2", "status": "delivered", "quoted_price_usd": "7.5",
                    "review_deadline": "2025-03-03T09:00:00Z"}),
                ),
                order(
                    json!({"id": "ord_1", "status": "completed", "quoted_price_usd": "5",
                    "completed_at": completed, "payout_tx_hash": signature()}),
                ),
            ],
        )
        .await;
        let view = desk.earnings(120).await.expect("the kept list is enough");
        let totals = &view.earnings.totals;
        assert_eq!(totals.waiting_to_deliver.usd.as_str(), "5.00");
        assert_eq!(totals.in_review.usd.as_str(), "7.50");
        assert_eq!(totals.completed_this_month.usd.as_str(), "5.00");
        assert_eq!(totals.completed_all_time.orders, 1);
        assert!(!view.updating, "nobody signed in: nothing is looked up");
        assert_eq!(
            view.as_of,
            desk.0.inbox.get().unwrap().updated_at,
            "as of the kept list"
        );
        assert!(matches!(view.earnings.rows[2].when, When::PaidOut { .. }));

        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["totals"]["in_review"]["usd"], "7.50", "{json}");
        assert_eq!(json["rows"][0]["id"], "ord_3");
        assert!(json["as_of"].is_string());
        assert_eq!(json["updating"], false);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn with_nothing_kept_and_nobody_signed_in_the_page_hears_why() {
        let dir = scratch("nothing");
        let desk = Desk::open(DeskConfig {
            settings_file: dir.join("settings.json"),
            practice_data: dir.join("practice.json"),
            watch_dir: dir.join("watch"),
            keys: Arc::new(MemoryKeyring::new()),
        })
        .await;
        use crate::error::PageError;
        let refused = desk.earnings(0).await.unwrap_err();
        assert_eq!(refused.code(), "no_mode");
        assert_eq!(desk.orders_csv().await.unwrap_err().code(), "no_mode");
        assert_eq!(desk.payout_link("ord_1").await, None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_csv_holds_every_kept_order_neutralised() {
        let hostile = "Hi, \"quoted\"\nline two";
        let (desk, dir) = desk_keeping(
            "csv",
            vec![
                order(
                    json!({"id": "ord_2", "status": "paid", "quoted_price_usd": "5",
                    "brief": "=HYPERLINK(\"http://evil\",\"x\")"}),
                ),
                order(
                    json!({"id": "ord_1", "status": "paid", "quoted_price_usd": "5",
                    "brief": hostile}),
                ),
            ],
        )
        .await;
        let csv = desk.orders_csv().await.unwrap();
        assert!(csv.starts_with('\u{FEFF}'));
        assert_eq!(csv, earnings::to_csv(&desk.0.inbox.get().unwrap().orders));
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""));
        assert!(csv.contains("\"Hi, \"\"quoted\"\"\nline two\""));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_payout_link_only_for_a_kept_order_with_a_real_signature() {
        let (desk, dir) = desk_keeping(
            "links",
            vec![
                order(json!({"id": "ord_paid", "status": "completed",
                    "payout_tx_hash": signature()})),
                order(json!({"id": "ord_odd", "status": "completed",
                    "payout_tx_hash": "javascript:alert(1)"})),
                order(json!({"id": "ord_path", "status": "completed",
                    "payout_tx_hash": format!("{}/../../evil", signature())})),
                order(json!({"id": "ord_none", "status": "completed"})),
            ],
        )
        .await;
        assert_eq!(
            desk.payout_link("ord_paid").await,
            Some(format!("{EXPLORER_ORIGIN}/tx/{}", signature()))
        );
        for id in ["ord_odd", "ord_path", "ord_none", "ord_unknown", ""] {
            assert_eq!(desk.payout_link(id).await, None, "{id}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
