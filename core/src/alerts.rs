//! What to tell the creator when paid orders arrive: one notification per batch of new
//! orders, in plain words, with the stranger-written brief kept as text.

use crate::models::Order;

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
}
