//! What to tell the creator when paid orders arrive: one notification per batch of new
//! orders, in plain words, with the stranger-written brief kept as text.

use std::time::SystemTime;

use crate::models::Order;
use crate::watcher::{ChangeKind, OrderChange};

/// A notification, ready for the desktop.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    pub title: String,
    /// Safe for notification servers that render markup in the body.
    pub body: String,
    /// The same words as plain text, for the in-app alert (shown with `textContent`).
    pub text: String,
    /// The orders it announces, so a click can open the right one.
    pub order_ids: Vec<String>,
}

const BRIEF_CHARS: usize = 140;

/// The notification for orders seen paid for the first time; several at once make one
/// summary rather than a burst of pop-ups.
pub fn for_new_orders(orders: &[Order]) -> Option<Alert> {
    let order_ids = orders.iter().map(|o| o.id.clone()).collect();
    match orders {
        [] => None,
        [order] => {
            let text = excerpt(&order.brief, BRIEF_CHARS);
            Some(Alert {
                title: format!("New order: {} — {}", service_of(order), price_of(order)),
                body: as_text(&text),
                text,
                order_ids,
            })
        }
        several => {
            let named: Vec<String> = several
                .iter()
                .take(2)
                .map(|o| format!("{} ({})", service_of(o), price_of(o)))
                .collect();
            let rest = several.len() - named.len();
            let list = if rest > 0 {
                format!("{} and {rest} more", named.join(", "))
            } else {
                named.join(" and ")
            };
            Some(Alert {
                title: format!("{} new paid orders", several.len()),
                body: as_text(&list),
                text: list,
                order_ids,
            })
        }
    }
}

/// The notifications for order news (`desk/reminders.rs`): one per kind of news, so a
/// creator back after a weekend reads "3 orders are late", not a burst of pop-ups.
pub fn for_changes(changes: &[OrderChange], now: SystemTime) -> Vec<Alert> {
    let kinds = [
        ChangeKind::Late,
        ChangeKind::DueSoon,
        ChangeKind::Disputed,
        ChangeKind::Completed,
        ChangeKind::Cancelled,
    ];
    kinds
        .iter()
        .filter_map(|kind| {
            let these: Vec<&OrderChange> = changes.iter().filter(|c| c.kind == *kind).collect();
            change_alert(*kind, &these, now)
        })
        .collect()
}

fn change_alert(kind: ChangeKind, changes: &[&OrderChange], now: SystemTime) -> Option<Alert> {
    let order_ids = changes.iter().map(|c| c.order.id.clone()).collect();
    let (title, text) = match changes {
        [] => return None,
        [one] => {
            let (service, price) = (service_of(&one.order), price_of(&one.order));
            let when = one
                .due_at
                .map(|due| SystemTime::from(due.as_offset()))
                .map(|due| match due.duration_since(now) {
                    Ok(left) => format!("in {}", roughly(left)),
                    Err(past) => format!("{} ago", roughly(past.duration())),
                })
                .unwrap_or_default();
            match kind {
                ChangeKind::DueSoon => (
                    format!("Due {when}: {service}"),
                    "Deliver it before the deadline so the client gets what they paid for on time.".to_owned(),
                ),
                ChangeKind::Late => (
                    format!("Late: {service}"),
                    format!("It was due {when}. Deliver it as soon as you can: the client is waiting."),
                ),
                ChangeKind::Completed => (
                    format!("Completed: you receive {price}"),
                    format!("{service}: the client approved your delivery. Atelier sends {price} to your payout wallet."),
                ),
                ChangeKind::Disputed => (
                    format!("Disputed: {service}"),
                    "The client opened a dispute about this order. Open it in Atelier Desk to see where it stands.".to_owned(),
                ),
                ChangeKind::Cancelled => (
                    format!("Cancelled: {service}"),
                    "The client cancelled this order before paying. There is nothing to deliver.".to_owned(),
                ),
            }
        }
        several => {
            let n = several.len();
            let title = match kind {
                ChangeKind::DueSoon => format!("{n} orders are due soon"),
                ChangeKind::Late => format!("{n} orders are late"),
                ChangeKind::Completed => format!("{n} orders completed"),
                ChangeKind::Disputed => format!("{n} orders disputed"),
                ChangeKind::Cancelled => format!("{n} orders cancelled"),
            };
            let named: Vec<String> = several
                .iter()
                .take(2)
                .map(|c| format!("{} ({})", service_of(&c.order), price_of(&c.order)))
                .collect();
            let rest = n - named.len();
            let list = if rest > 0 {
                format!("{} and {rest} more", named.join(", "))
            } else {
                named.join(" and ")
            };
            (title, list)
        }
    };
    Some(Alert {
        title,
        body: as_text(&text),
        text,
        order_ids,
    })
}

/// "3 hours", "40 minutes", "2 days": how a person says a span.
fn roughly(span: std::time::Duration) -> String {
    let minutes = span.as_secs() / 60;
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes < 60 {
        plural(minutes.max(1), "minute")
    } else if minutes < 48 * 60 {
        plural((minutes + 30) / 60, "hour")
    } else {
        plural((minutes + 12 * 60) / (24 * 60), "day")
    }
}

fn service_of(order: &Order) -> String {
    one_line(
        order
            .service_title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("your service"),
    )
}

/// The price as the server wrote it when it is not a plain amount: a compromised or newer
/// server may put anything there, so it gets the brief's treatment and a short leash.
fn price_of(order: &Order) -> String {
    match &order.quoted_price_usd {
        Some(price) => excerpt(&price.display(), PRICE_CHARS),
        None => "price on request".to_owned(),
    }
}

/// Longer than any real amount ("$1,000,000.00"), short enough for a title.
const PRICE_CHARS: usize = 24;

/// Control characters and line breaks out, runs of spaces folded, and invisible
/// characters dropped: a stranger writes the brief, and direction overrides or zero-width
/// characters would let it show something other than what it says
/// (`invoice\u{202E}gnp.exe` reads as `invoiceexe.png`).
fn one_line(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    visible
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bidirectional marks, embeddings, overrides and isolates, and zero-width characters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The start of `text`, cut at a word boundary, with an ellipsis when cut.
fn excerpt(text: &str, max_chars: usize) -> String {
    let line = one_line(text);
    if line.chars().count() <= max_chars {
        return line;
    }
    let cut: String = line.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(at) if at > max_chars / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':', ' ']))
}

/// Notification servers (GNOME Shell, dunst, …) render a small HTML subset in the body;
/// escaping keeps a brief like `<b>` or `<a href>` exactly as the client typed it.
fn as_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Whether anything on this desktop will show a notification. The notification plugin
/// reports success even when nobody listens, so the app asks the bus itself and falls
/// back to in-app alerts when this is `Err` (with the reason).
#[cfg(target_os = "linux")]
pub fn notification_server() -> Result<String, String> {
    notify_rust::get_server_information()
        .map(|info| format!("{} {}", info.name, info.version))
        .map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
pub fn notification_server() -> Result<String, String> {
    Ok("system notifications".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(id: &str, title: &str, price: &str, brief: &str) -> Order {
        serde_json::from_value(json!({
            "id": id, "service_title": title, "quoted_price_usd": price, "brief": brief, "status": "paid"
        }))
        .unwrap()
    }

    #[test]
    fn one_order_names_the_service_the_price_and_the_start_of_the_brief() {
        let alert = for_new_orders(&[order(
            "ord_1",
            "Custom Avatar",
            "5",
            "A cyberpunk avatar\nwith neon accents",
        )])
        .unwrap();
        assert_eq!(alert.title, "New order: Custom Avatar — $5.00");
        assert_eq!(alert.body, "A cyberpunk avatar with neon accents");
        assert_eq!(alert.order_ids, ["ord_1"]);
    }

    #[test]
    fn a_long_brief_is_cut_at_a_word() {
        let brief = "word ".repeat(60);
        let alert = for_new_orders(&[order("ord_1", "Avatars", "5", &brief)]).unwrap();
        assert!(alert.body.ends_with("word…"), "{}", alert.body);
        assert!(alert.body.chars().count() <= BRIEF_CHARS + 1);
    }

    #[test]
    fn markup_in_a_brief_stays_text() {
        let alert = for_new_orders(&[order(
            "ord_1",
            "<i>Avatars</i>",
            "5",
            "<b>urgent</b> & <a href='x'>see</a>",
        )])
        .unwrap();
        assert_eq!(
            alert.body,
            "&lt;b&gt;urgent&lt;/b&gt; &amp; &lt;a href='x'&gt;see&lt;/a&gt;"
        );
        assert!(!alert.body.contains('<'));
        assert_eq!(
            alert.text, "<b>urgent</b> & <a href='x'>see</a>",
            "the in-app alert shows it as typed"
        );
    }

    #[test]
    fn a_brief_cannot_disguise_itself_with_invisible_or_reversing_characters() {
        // "invoice" + RIGHT-TO-LEFT OVERRIDE + "gnp.exe" shows as "invoiceexe.png".
        let disguised = order(
            "ord_1",
            "Log\u{200D}o\u{2066}s\u{2069}",
            "5",
            "invoice\u{202E}gnp.exe, pay\u{200B}\u{200C}\u{200D}pal\u{2060}\u{FEFF} \u{200E}\u{200F}\u{061C}\u{202A}\u{202B}\u{202C}\u{202D}\u{2067}\u{2068}now",
        );
        let alert = for_new_orders(&[disguised]).unwrap();
        assert_eq!(alert.text, "invoicegnp.exe, paypal now");
        assert_eq!(alert.body, "invoicegnp.exe, paypal now");
        assert_eq!(alert.title, "New order: Logos — $5.00");
    }

    #[test]
    fn several_orders_make_one_summary() {
        let orders = [
            order("ord_1", "Avatars", "5", "first brief here"),
            order("ord_2", "Promo video", "7.5", "second brief here"),
            order("ord_3", "Logo", "20", "third brief here"),
        ];
        let alert = for_new_orders(&orders).unwrap();
        assert_eq!(alert.title, "3 new paid orders");
        assert_eq!(
            alert.body,
            "Avatars ($5.00), Promo video ($7.50) and 1 more"
        );
        assert_eq!(alert.order_ids.len(), 3);
        assert_eq!(
            for_new_orders(&orders[..2]).unwrap().body,
            "Avatars ($5.00) and Promo video ($7.50)"
        );
        assert_eq!(for_new_orders(&[]), None);
    }

    fn change(kind: ChangeKind, order: Order, due_in_secs: Option<i64>) -> OrderChange {
        let now = time::OffsetDateTime::from(
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000),
        );
        OrderChange {
            kind,
            order,
            due_at: due_in_secs
                .map(|s| crate::models::Timestamp::from(now + time::Duration::seconds(s))),
        }
    }

    fn then() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn a_late_order_says_how_late_and_a_completed_one_what_it_pays() {
        let late = change(
            ChangeKind::Late,
            order("ord_1", "Custom Avatar", "5", "x"),
            Some(-3 * 3600),
        );
        let paid = change(
            ChangeKind::Completed,
            order("ord_2", "Logo", "12.5", "y"),
            None,
        );
        let alerts = for_changes(&[paid, late], then());
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].title, "Late: Custom Avatar");
        assert!(
            alerts[0].text.contains("due 3 hours ago"),
            "{}",
            alerts[0].text
        );
        assert_eq!(alerts[1].title, "Completed: you receive $12.50");
        assert_eq!(alerts[1].order_ids, ["ord_2"]);
    }

    #[test]
    fn several_orders_with_the_same_news_make_one_notification() {
        let late: Vec<OrderChange> = (0..4)
            .map(|i| {
                change(
                    ChangeKind::Late,
                    order(&format!("ord_{i}"), "Avatar", "5", "x"),
                    Some(-60),
                )
            })
            .collect();
        let alerts = for_changes(&late, then());
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].title, "4 orders are late");
        assert!(alerts[0].text.ends_with("and 2 more"), "{}", alerts[0].text);
        assert_eq!(alerts[0].order_ids.len(), 4);
    }

    #[test]
    fn due_soon_counts_down_in_plain_words() {
        let soon = change(
            ChangeKind::DueSoon,
            order("ord_1", "Avatar", "5", "x"),
            Some(2 * 3600 + 50 * 60),
        );
        assert_eq!(
            for_changes(&[soon], then())[0].title,
            "Due in 3 hours: Avatar"
        );
    }
}
