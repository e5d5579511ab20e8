//! What the creator has earned, is about to earn and is owed, worked out from the orders
//! alone, and the same orders as a CSV file for a spreadsheet or an accountant.
//!
//! The facts this rests on (`shared/api-notes.md`, "Money"): the client pays
//! `quoted_price_usd + platform_fee_usd`; when an order is approved (`delivered` →
//! `completed`) Atelier sends the **full** `quoted_price_usd` in USDC to the creator's
//! payout wallet and records `payout_tx_hash`; if that transfer fails the order is still
//! `completed`, without a `payout_tx_hash`. The review lasts 48 hours from delivery.
//!
//! Amounts are added exactly, in micro-dollars ([`Usd::micros`]); an amount that cannot
//! be read is counted as unreadable in its bucket, never as zero.
//!
//! The rules, per status:
//!
//! | status | row `when` | counted in |
//! |---|---|---|
//! | `pending_quote`, `quoted`, `accepted` | `not_paid_yet` | `not_counted.not_paid_yet` |
//! | `paid`, `in_progress`, `revision_requested` | `waiting_for_you` | `waiting_to_deliver` |
//! | `delivered` | `in_review` | `in_review` |
//! | `completed` with a payout hash | `paid_out` | `completed_all_time` (+ this month) |
//! | `completed` without one | `completed_no_payout` | the same, and `missing_payouts` |
//! | `disputed` | `disputed` | `disputed` (not income yet) |
//! | `cancelled` | `cancelled` | `not_counted.cancelled` |
//! | anything else | `unknown` | `not_counted.unknown` |

use serde::Serialize;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::models::{Order, OrderStatus, Timestamp, Usd};

/// The one origin transaction links point to, so the app can allow exactly this origin.
pub const EXPLORER_ORIGIN: &str = "https://solscan.io";

/// The review window after a delivery: the guide says Atelier completes the order when it
/// ends; the real server records it (`review_deadline`) but, in its source, never acts on
/// it (docs/sandbox.md). Used only when an order lacks `review_deadline`.
const REVIEW_HOURS: i64 = 48;

/// Everything the earnings screen shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Earnings {
    /// One per order, in the order given.
    pub rows: Vec<EarningsRow>,
    pub totals: Totals,
    /// Orders that are not money for the creator, by kind.
    pub not_counted: NotCounted,
    /// Which month `completed_this_month` is, and how sure it is of each order's date.
    pub month: Month,
}

/// One order, as the earnings screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarningsRow {
    pub id: String,
    pub service_title: Option<String>,
    /// The server's status, unknown ones by their name.
    pub status: OrderStatus,
    /// `quoted_price_usd`, exactly, with at least two decimals (`"7.50"`): what Atelier
    /// sends the creator on completion. `None` when missing or unreadable.
    pub you_receive: Option<Usd>,
    /// `platform_fee_usd`, the same way.
    pub platform_fee: Option<Usd>,
    /// Price + fee, only when both can be read.
    pub client_paid: Option<Usd>,
    /// The server's price text when it is there but not a readable amount, to show as is.
    pub unreadable_price: Option<String>,
    pub when: When,
}

/// Where an order stands for the creator's money, in plain states
/// (`{"state": "in_review", "review_ends_at": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum When {
    /// Not paid by the client yet: nothing to do, nothing earned.
    NotPaidYet,
    /// Paid, in progress or sent back for revision: the creator has to deliver.
    WaitingForYou,
    /// Delivered; the client is reviewing. `review_ends_at` is the server's
    /// `review_deadline`, else `delivered_at` + 48 h, else unknown.
    InReview {
        review_ends_at: Option<Timestamp>,
    },
    /// Completed and Atelier recorded the payout. `explorer_url` only when the hash is a
    /// plausible Solana signature (see [`explorer_url`]).
    PaidOut {
        completed_at: Option<Timestamp>,
        payout_tx_hash: String,
        explorer_url: Option<String>,
    },
    /// Completed, but no payout was recorded: the transfer failed. Worth raising with
    /// Atelier.
    CompletedNoPayout {
        completed_at: Option<Timestamp>,
    },
    /// The client disputed the delivery: not income until it is settled.
    Disputed,
    Cancelled,
    /// A status this app does not know; the row's `status` names it.
    Unknown,
}

/// A sum of order prices in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Total {
    /// The sum of the readable prices, exactly (`"12.50"`).
    pub usd: Usd,
    /// Every order in the bucket, readable price or not.
    pub orders: u32,
    /// Orders in the bucket whose price is missing or unreadable, left out of `usd`.
    pub unreadable: u32,
    #[serde(skip)]
    micros: u128,
}

impl Default for Total {
    fn default() -> Self {
        Total {
            usd: Usd::from_micros(0),
            orders: 0,
            unreadable: 0,
            micros: 0,
        }
    }
}

impl Total {
    /// The exact sum in micro-dollars.
    pub fn micros(&self) -> u128 {
        self.micros
    }

    fn add(&mut self, price: Option<u64>) {
        self.orders = self.orders.saturating_add(1);
        match price.and_then(|p| self.micros.checked_add(u128::from(p))) {
            Some(sum) => {
                self.micros = sum;
                self.usd = Usd::from_micros(sum);
            }
            None => self.unreadable = self.unreadable.saturating_add(1),
        }
    }
}

/// The money buckets. Each order is in at most one of the first four; the completed
/// ones are also split by month, and those without payout are also in `missing_payouts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Paid, in progress or in revision: earned once delivered and approved.
    pub waiting_to_deliver: Total,
    /// Delivered and being reviewed: completes within 48 hours unless disputed.
    pub in_review: Total,
    /// Disputed: not income until settled, shown so it is not forgotten.
    pub disputed: Total,
    /// Completed (paid out or not) in the current calendar month, in the creator's offset.
    pub completed_this_month: Total,
    /// Every completed order, paid out or not: what the creator has earned.
    pub completed_all_time: Total,
    /// Completed orders with no `payout_tx_hash`: earned, but no transfer was recorded.
    /// Already included in the completed totals.
    pub missing_payouts: Total,
}

/// Orders that carry no money for the creator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotCounted {
    pub not_paid_yet: u32,
    pub cancelled: u32,
    /// Statuses this app does not know: shown in the rows, never guessed into a total.
    pub unknown: u32,
}

/// The month `completed_this_month` covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `YYYY-MM` of `now` in the creator's offset.
    pub month: String,
    /// Completed orders placed in (or out of) this month by `delivered_at` or
    /// `created_at` because `completed_at` was missing.
    pub dated_by_fallback: u32,
    /// Completed orders with no date at all: in the all-time total, never in this month.
    pub undated: u32,
}

/// Works out the earnings screen from the orders.
///
/// `now` and `local_offset` decide the month: `completed_this_month` holds the completed
/// orders whose completion falls in the same calendar month as `now`, both seen in
/// `local_offset` (a creator in Tokyo finishing at 01:00 on 1 March local time, 16:00
/// UTC on 28 February, earned it in March). When `completed_at` is missing (an older
/// server, or an order kept before the field was read) the month is judged by
/// `delivered_at`, else by `created_at` — the completion is at most 48 hours after
/// delivery, so near a month's end this can put an order in the wrong month — and the
/// order is counted in [`Month::dated_by_fallback`]; with no date at all it is in no
/// month ([`Month::undated`]). See the module documentation for the rules per status.
pub fn summarize(orders: &[Order], now: OffsetDateTime, local_offset: UtcOffset) -> Earnings {
    let this_month = month_of(now, local_offset);
    let mut totals = Totals::default();
    let mut not_counted = NotCounted::default();
    let mut month = Month {
        month: this_month
            .map(|(y, m)| format!("{y:04}-{:02}", u8::from(m)))
            .unwrap_or_default(),
        dated_by_fallback: 0,
        undated: 0,
    };
    let mut rows = Vec::with_capacity(orders.len());

    for order in orders {
        let price = order.quoted_price_usd.as_ref().and_then(Usd::micros);
        let fee = order.platform_fee_usd.as_ref().and_then(Usd::micros);
        let when = match &order.status {
            OrderStatus::PendingQuote | OrderStatus::Quoted | OrderStatus::Accepted => {
                not_counted.not_paid_yet += 1;
                When::NotPaidYet
            }
            OrderStatus::Paid | OrderStatus::InProgress | OrderStatus::RevisionRequested => {
                totals.waiting_to_deliver.add(price);
                When::WaitingForYou
            }
            OrderStatus::Delivered => {
                totals.in_review.add(price);
                When::InReview {
                    review_ends_at: review_ends_at(order),
                }
            }
            OrderStatus::Completed => {
                totals.completed_all_time.add(price);
                let (date, by_fallback) = match order.completed_at {
                    Some(at) => (Some(at), false),
                    None => (order.delivered_at.or(order.created_at), true),
                };
                match date {
                    None => month.undated += 1,
                    Some(date) => {
                        if by_fallback {
                            month.dated_by_fallback += 1;
                        }
                        let in_month = month_of(date.as_offset(), local_offset);
                        if this_month.is_some() && in_month == this_month {
                            totals.completed_this_month.add(price);
                        }
                    }
                }
                match &order.payout_tx_hash {
                    Some(hash) => When::PaidOut {
                        completed_at: order.completed_at,
                        payout_tx_hash: hash.clone(),
                        explorer_url: explorer_url(hash),
                    },
                    None => {
                        totals.missing_payouts.add(price);
                        When::CompletedNoPayout {
                            completed_at: order.completed_at,
                        }
                    }
                }
            }
            OrderStatus::Disputed => {
                totals.disputed.add(price);
                When::Disputed
            }
            OrderStatus::Cancelled => {
                not_counted.cancelled += 1;
                When::Cancelled
            }
            OrderStatus::Other(_) => {
                not_counted.unknown += 1;
                When::Unknown
            }
        };
        let client_paid = price
            .zip(fee)
            .and_then(|(p, f)| p.checked_add(f))
            .map(|sum| Usd::from_micros(u128::from(sum)));
        rows.push(EarningsRow {
            id: order.id.clone(),
            service_title: order.service_title.clone(),
            status: order.status.clone(),
            you_receive: price.map(|p| Usd::from_micros(u128::from(p))),
            platform_fee: fee.map(|f| Usd::from_micros(u128::from(f))),
            client_paid,
            unreadable_price: match (&order.quoted_price_usd, price) {
                (Some(text), None) => Some(text.as_str().to_owned()),
                _ => None,
            },
            when,
        });
    }

    Earnings {
        rows,
        totals,
        not_counted,
        month,
    }
}

/// The calendar month of `t` in `offset`; `None` only at the edge of representable
/// time, where the shift would overflow (such a date is in no month rather than a panic).
fn month_of(t: OffsetDateTime, offset: UtcOffset) -> Option<(i32, time::Month)> {
    t.checked_to_offset(offset)
        .map(|local| (local.year(), local.month()))
}

/// The server's `review_deadline`, else delivery + 48 h, else unknown.
fn review_ends_at(order: &Order) -> Option<Timestamp> {
    order.review_deadline.or_else(|| {
        order.delivered_at.and_then(|at| {
            at.as_offset()
                .checked_add(Duration::hours(REVIEW_HOURS))
                .map(Timestamp::from)
        })
    })
}

/// A link to the payout on the Solana explorer, only for text that is a plausible
/// Solana transaction signature: base58 that decodes to exactly 64 bytes (64 to 88
/// characters), nothing else — no spaces, no scheme, no path. Anything else is `None`:
/// the hash comes from a server and a link is never built from arbitrary text. Being
/// base58, an accepted hash holds only letters and digits, so it is safe in a URL path.
pub fn explorer_url(tx_hash: &str) -> Option<String> {
    if !(64..=88).contains(&tx_hash.len()) {
        return None;
    }
    match bs58::decode(tx_hash).into_vec() {
        Ok(bytes) if bytes.len() == 64 => Some(format!("{EXPLORER_ORIGIN}/tx/{tx_hash}")),
        _ => None,
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 14] = [
    "order id",
    "created (UTC)",
    "status",
    "service",
    "brief",
    "you receive (USD)",
    "client paid (USD)",
    "platform fee (USD)",
    "delivered (UTC)",
    "review ends (UTC)",
    "completed (UTC)",
    "payout transaction",
    "client wallet",
    "deliverable URL",
];

/// Every order as CSV (RFC 4180), one row each after a header row, for a spreadsheet.
///
/// - **UTF-8 with a byte order mark.** Excel (Windows and Mac) reads a CSV without a
///   BOM in the system's legacy code page, turning every accent, non-Latin script or emoji
///   in a brief into mojibake; with the BOM it reads UTF-8. LibreOffice, Numbers and
///   Google Sheets accept the BOM as well. A program reading the file itself should skip
///   a leading U+FEFF (Python: `encoding="utf-8-sig"`).
/// - CRLF after every record, the last one too. A field holding a comma, a double quote,
///   CR or LF is quoted, with its quotes doubled.
/// - **Formula neutralising.** A field starting with `=`, `+`, `-`, `@`, TAB, CR or LF (or
///   the full-width `＝ ＋ － ＠`, which some spreadsheets also take as the start of a
///   formula) gets a leading `'`, so a brief such as `=HYPERLINK("http://evil","click")`
///   shows as text instead of running. This applies to every field; the money columns
///   are decimals written here (`7.50`) and never start with one of those, except a price
///   the server sent that is not an amount, which is written as sent, neutralised.
/// - Text is otherwise written exactly as the server sent it. Bidirectional and
///   zero-width characters are kept: the export is a record, and the helper that strips
///   them for notifications is private to `alerts.rs`.
/// - Money: price and fee as exact decimals with at least two places; "client paid" is
///   price + fee when both can be read, else empty. A price that cannot be read is
///   written as the server sent it rather than as an empty or zero cell.
/// - Times as `YYYY-MM-DD HH:MM:SS` in UTC (the columns say so); "review ends" is the
///   server's `review_deadline` as recorded, empty when it has none.
pub fn to_csv(orders: &[Order]) -> String {
    let mut out = String::from("\u{FEFF}");
    push_record(&mut out, CSV_HEADER.iter().map(|h| (*h).to_owned()));
    for order in orders {
        let money = |usd: &Option<Usd>| match usd {
            Some(usd) => match usd.micros() {
                Some(m) => Usd::from_micros(u128::from(m)).as_str().to_owned(),
                None => usd.as_str().to_owned(),
            },
            None => String::new(),
        };
        let client_paid = order
            .quoted_price_usd
            .as_ref()
            .and_then(Usd::micros)
            .zip(order.platform_fee_usd.as_ref().and_then(Usd::micros))
            .and_then(|(p, f)| p.checked_add(f))
            .map(|sum| Usd::from_micros(u128::from(sum)).as_str().to_owned())
            .unwrap_or_default();
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        push_record(
            &mut out,
            [
                order.id.clone(),
                csv_time(order.created_at),
                order.status.as_str().to_owned(),
                text(&order.service_title),
                order.brief.clone(),
                money(&order.quoted_price_usd),
                client_paid,
                money(&order.platform_fee_usd),
                csv_time(order.delivered_at),
                csv_time(order.review_deadline),
                csv_time(order.completed_at),
                text(&order.payout_tx_hash),
                text(&order.client_wallet),
                text(&order.deliverable_url),
            ],
        );
    }
    out
}

fn push_record(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, &neutralise(field));
    }
    out.push_str("\r\n");
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// A leading `'` before anything a spreadsheet would start a formula with (OWASP's
/// CSV-injection list, plus LF and the full-width forms). The first character is looked
/// at as is: no trimming, since a leading space already makes a cell text.
fn neutralise(field: String) -> String {
    match field.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}'
            | '\u{FF20}',
        ) => format!("'{field}"),
        _ => field,
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC; empty when absent. A time too close to the end of
/// representable time to shift to UTC is written in its RFC 3339 form instead.
fn csv_time(t: Option<Timestamp>) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.as_offset()
        .checked_to_offset(UtcOffset::UTC)
        .and_then(|utc| utc.format(&format).ok())
        .unwrap_or_else(|| t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{datetime, offset};

    fn order(value: serde_json::Value) -> Order {
        serde_json::from_value(value).unwrap()
    }

    fn signature() -> String {
        bs58::encode([0xA5u8; 64]).into_string()
    }

    const NOW: OffsetDateTime = datetime!(2025-03-10 12:00 UTC);

    #[test]
    fn each_status_lands_in_its_bucket_and_only_there() {
        let statuses = [
            ("pending_quote", "1"),
            ("quoted", "2"),
            ("accepted", "4"),
            ("paid", "8"),
            ("in_progress", "16"),
            ("revision_requested", "32"),
            ("delivered", "64"),
            ("disputed", "128"),
            ("cancelled", "256"),
            ("on_hold", "512"),
        ];
        let orders: Vec<Order> = statuses
            .iter()
            .map(|(s, p)| order(json!({"id": s, "status": s, "quoted_price_usd": p})))
            .collect();
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        assert_eq!(e.totals.waiting_to_deliver.usd.as_str(), "56.00");
        assert_eq!(e.totals.waiting_to_deliver.orders, 3);
        assert_eq!(e.totals.in_review.usd.as_str(), "64.00");
        assert_eq!(e.totals.disputed.usd.as_str(), "128.00");
        assert_eq!(e.totals.completed_all_time, Total::default());
        assert_eq!(
            e.not_counted,
            NotCounted {
                not_paid_yet: 3,
                cancelled: 1,
                unknown: 1
            }
        );
        let states: Vec<String> = e
            .rows
            .iter()
            .map(|r| serde_json::to_value(&r.when).unwrap()["state"].to_string())
            .collect();
        assert_eq!(
            states,
            [
                "\"not_paid_yet\"",
                "\"not_paid_yet\"",
                "\"not_paid_yet\"",
                "\"waiting_for_you\"",
                "\"waiting_for_you\"",
                "\"waiting_for_you\"",
                "\"in_review\"",
                "\"disputed\"",
                "\"cancelled\"",
                "\"unknown\""
            ]
        );
        assert_eq!(e.rows[9].status.as_str(), "on_hold");
    }

    #[test]
    fn sums_are_exact_where_floats_are_not() {
        // 0.1 + 0.2 in f64 is 0.30000000000000004.
        let orders = [
            order(json!({"id": "a", "status": "paid", "quoted_price_usd": "0.1"})),
            order(json!({"id": "b", "status": "paid", "quoted_price_usd": "0.2"})),
            order(json!({"id": "c", "status": "paid", "quoted_price_usd": "0.000001"})),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        assert_eq!(e.totals.waiting_to_deliver.usd.as_str(), "0.300001");
        assert_eq!(e.totals.waiting_to_deliver.micros(), 300_001);
    }

    #[test]
    fn a_missing_or_unreadable_price_is_counted_apart_never_as_zero() {
        let orders = [
            order(json!({"id": "a", "status": "paid", "quoted_price_usd": "5.00"})),
            order(json!({"id": "b", "status": "paid", "quoted_price_usd": "-3"})),
            order(json!({"id": "c", "status": "paid"})),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        let t = &e.totals.waiting_to_deliver;
        assert_eq!((t.usd.as_str(), t.orders, t.unreadable), ("5.00", 3, 2));
        assert_eq!(e.rows[1].you_receive, None);
        assert_eq!(e.rows[1].unreadable_price.as_deref(), Some("-3"));
        assert_eq!(e.rows[2].unreadable_price, None);
    }

    #[test]
    fn client_paid_is_price_plus_fee_only_when_both_are_known() {
        let orders = [
            order(
                json!({"id": "a", "status": "paid", "quoted_price_usd": "7.5", "platform_fee_usd": "0.75"}),
            ),
            order(json!({"id": "b", "status": "paid", "quoted_price_usd": "7.5"})),
            order(
                json!({"id": "c", "status": "paid", "quoted_price_usd": "7.5", "platform_fee_usd": "ten"}),
            ),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        assert_eq!(e.rows[0].client_paid, Some(Usd::from_server("8.25")));
        assert_eq!(e.rows[0].you_receive, Some(Usd::from_server("7.50")));
        assert_eq!(e.rows[0].platform_fee, Some(Usd::from_server("0.75")));
        assert_eq!(e.rows[1].client_paid, None);
        assert_eq!(e.rows[2].client_paid, None);
        assert_eq!(e.rows[2].platform_fee, None);
    }

    #[test]
    fn review_ends_at_the_deadline_else_two_days_after_delivery() {
        let orders = [
            order(json!({"id": "a", "status": "delivered",
                "delivered_at": "2025-03-01 10:00:00", "review_deadline": "2025-03-03 09:00:00"})),
            order(json!({"id": "b", "status": "delivered", "delivered_at": "2025-03-01 10:00:00"})),
            order(json!({"id": "c", "status": "delivered"})),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        let ends = |i: usize| match &e.rows[i].when {
            When::InReview { review_ends_at } => *review_ends_at,
            other => panic!("{other:?}"),
        };
        assert_eq!(ends(0), Timestamp::parse("2025-03-03 09:00:00"));
        assert_eq!(ends(1), Timestamp::parse("2025-03-03 10:00:00"));
        assert_eq!(ends(2), None);
    }

    #[test]
    fn a_completed_order_without_a_payout_is_flagged_and_still_earned() {
        let orders = [
            order(
                json!({"id": "a", "status": "completed", "quoted_price_usd": "5",
                "completed_at": "2025-03-02 10:00:00", "payout_tx_hash": signature()}),
            ),
            order(
                json!({"id": "b", "status": "completed", "quoted_price_usd": "3",
                "completed_at": "2025-03-02 11:00:00"}),
            ),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        assert_eq!(e.totals.completed_all_time.usd.as_str(), "8.00");
        assert_eq!(e.totals.completed_this_month.usd.as_str(), "8.00");
        assert_eq!(e.totals.missing_payouts.usd.as_str(), "3.00");
        assert_eq!(e.totals.missing_payouts.orders, 1);
        match &e.rows[0].when {
            When::PaidOut {
                payout_tx_hash,
                explorer_url,
                completed_at,
            } => {
                assert_eq!(payout_tx_hash, &signature());
                assert_eq!(
                    explorer_url.as_deref(),
                    Some(format!("https://solscan.io/tx/{}", signature()).as_str())
                );
                assert_eq!(*completed_at, Timestamp::parse("2025-03-02 10:00:00"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e.rows[1].when,
            When::CompletedNoPayout {
                completed_at: Some(_)
            }
        ));
    }

    #[test]
    fn a_completion_without_its_date_is_placed_by_delivery_then_creation_and_says_so() {
        let orders = [
            order(
                json!({"id": "a", "status": "completed", "quoted_price_usd": "1",
                "delivered_at": "2025-03-01 00:00:00", "created_at": "2025-02-01 00:00:00"}),
            ),
            order(
                json!({"id": "b", "status": "completed", "quoted_price_usd": "2",
                "created_at": "2025-02-27 00:00:00"}),
            ),
            order(json!({"id": "c", "status": "completed", "quoted_price_usd": "4"})),
        ];
        let e = summarize(&orders, NOW, UtcOffset::UTC);
        assert_eq!(e.totals.completed_this_month.usd.as_str(), "1.00");
        assert_eq!(e.totals.completed_all_time.usd.as_str(), "7.00");
        assert_eq!(e.month.dated_by_fallback, 2);
        assert_eq!(e.month.undated, 1);
        assert_eq!(e.month.month, "2025-03");
    }

    #[test]
    fn the_month_is_the_creators_not_utcs() {
        // 23:30 UTC on 31 March is already April in Tokyo.
        let orders = [order(
            json!({"id": "a", "status": "completed", "quoted_price_usd": "9",
            "completed_at": "2025-03-31 23:30:00", "payout_tx_hash": signature()}),
        )];
        let now = datetime!(2025-04-01 01:00 UTC);
        let tokyo = summarize(&orders, now, offset!(+9));
        assert_eq!(tokyo.month.month, "2025-04");
        assert_eq!(tokyo.totals.completed_this_month.orders, 1);
        let utc = summarize(&orders, now, UtcOffset::UTC);
        assert_eq!(utc.totals.completed_this_month.orders, 0);
        // Same instant, but in New York both are still March.
        let new_york = summarize(&orders, now, offset!(-4));
        assert_eq!(new_york.month.month, "2025-03");
        assert_eq!(new_york.totals.completed_this_month.orders, 1);
    }

    #[test]
    fn dates_at_the_edge_of_time_do_not_panic() {
        let orders = [
            order(
                json!({"id": "a", "status": "completed", "quoted_price_usd": "1",
            "completed_at": "9999-12-31T23:59:59Z", "delivered_at": "9999-12-31T23:59:59Z"}),
            ),
            order(
                json!({"id": "b", "status": "delivered", "delivered_at": "9999-12-31T23:59:59Z"}),
            ),
        ];
        let e = summarize(&orders, NOW, offset!(+14));
        assert_eq!(e.totals.completed_all_time.orders, 1);
        assert_eq!(e.totals.completed_this_month.orders, 0);
        assert!(matches!(
            e.rows[1].when,
            When::InReview {
                review_ends_at: None
            }
        ));
        let csv = to_csv(&orders);
        assert!(csv.contains("9999-12-31 23:59:59"));
    }

    #[test]
    fn the_json_for_the_ui_has_plain_names() {
        let orders = [order(
            json!({"id": "ord_1", "service_title": "Neon", "status": "delivered",
            "quoted_price_usd": "5", "platform_fee_usd": "0.5",
            "review_deadline": "2025-03-03 09:00:00"}),
        )];
        let v = serde_json::to_value(summarize(&orders, NOW, UtcOffset::UTC)).unwrap();
        assert_eq!(
            v["rows"][0],
            json!({"id": "ord_1", "service_title": "Neon", "status": "delivered",
                "you_receive": "5.00", "platform_fee": "0.50", "client_paid": "5.50",
                "unreadable_price": null,
                "when": {"state": "in_review", "review_ends_at": "2025-03-03T09:00:00Z"}})
        );
        assert_eq!(
            v["totals"]["in_review"],
            json!({"usd": "5.00", "orders": 1, "unreadable": 0})
        );
        assert_eq!(
            v["month"],
            json!({"month": "2025-03", "dated_by_fallback": 0, "undated": 0})
        );
        assert_eq!(
            v["not_counted"],
            json!({"not_paid_yet": 0, "cancelled": 0, "unknown": 0})
        );
    }

    #[test]
    fn explorer_links_only_for_solana_signatures() {
        let sig = signature();
        assert_eq!(sig.len(), 88);
        assert_eq!(
            explorer_url(&sig),
            Some(format!("{EXPLORER_ORIGIN}/tx/{sig}"))
        );
        // 64 zero bytes are 64 '1's: the shortest signature.
        let ones = "1".repeat(64);
        assert!(explorer_url(&ones).is_some());
        for bad in [
            String::new(),
            bs58::encode([7u8; 32]).into_string(),
            bs58::encode([7u8; 63]).into_string(),
            bs58::encode([7u8; 65]).into_string(),
            format!(" {sig}"),
            format!("{sig}\n"),
            format!("{}0", &sig[..87]),
            format!("{}l", &sig[..87]),
            "javascript:alert(1)".into(),
            format!("https://solscan.io/tx/{sig}"),
            "1".repeat(63),
            "1".repeat(89),
        ] {
            assert_eq!(explorer_url(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn csv_fields_are_neutralised_and_quoted() {
        assert_eq!(neutralise("=1+1".into()), "'=1+1");
        for first in ["+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"] {
            assert!(
                neutralise(format!("{first}x")).starts_with('\''),
                "{first:?}"
            );
        }
        assert_eq!(neutralise(" =1".into()), " =1");
        assert_eq!(neutralise("a=1".into()), "a=1");
        assert_eq!(neutralise(String::new()), "");
        let mut out = String::new();
        push_field(&mut out, "say \"hi\", ok");
        assert_eq!(out, "\"say \"\"hi\"\", ok\"");
        let mut out = String::new();
        push_field(&mut out, "plain");
        assert_eq!(out, "plain");
    }

    #[test]
    fn csv_starts_with_a_bom_and_a_plain_header() {
        let csv = to_csv(&[]);
        assert_eq!(
            csv,
            "\u{FEFF}order id,created (UTC),status,service,brief,you receive (USD),\
             client paid (USD),platform fee (USD),delivered (UTC),review ends (UTC),\
             completed (UTC),payout transaction,client wallet,deliverable URL\r\n"
        );
    }

    #[test]
    fn csv_money_is_exact_and_times_are_utc() {
        let orders = [order(json!({"id": "ord_1", "status": "completed",
            "quoted_price_usd": "7.5", "platform_fee_usd": "0.75",
            "created_at": "2025-02-17T14:00:00+02:00", "completed_at": "2025-02-19 13:00:00.250"}))];
        let csv = to_csv(&orders);
        let row = csv.split("\r\n").nth(1).unwrap();
        assert_eq!(
            row,
            "ord_1,2025-02-17 12:00:00,completed,,,7.50,8.25,0.75,,,2025-02-19 13:00:00,,,"
        );
        let odd = [order(
            json!({"id": "x", "status": "paid", "quoted_price_usd": "-5"}),
        )];
        let row = to_csv(&odd).split("\r\n").nth(1).unwrap().to_owned();
        assert_eq!(row, "x,,paid,,,'-5,,,,,,,,");
    }
}
