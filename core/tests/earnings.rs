//! The seller's story of the earnings screen and the CSV export: an order is paid,
//! delivered and completed and the totals follow it; a payout that never came is flagged;
//! the month is the creator's; odd statuses and amounts are shown, never guessed; the
//! CSV survives a strict RFC 4180 reader with a hostile brief, and nothing in it runs as
//! a formula.

use atelier_core::earnings::{
    explorer_url, summarize, to_csv, Earnings, When, CSV_HEADER, EXPLORER_ORIGIN,
};
use atelier_core::models::{Order, OrderStatus, Timestamp, Usd};
use serde_json::json;
use time::macros::{datetime, offset};
use time::{OffsetDateTime, UtcOffset};

/// A real-looking transaction signature: 88 base58 characters, 64 bytes.
const SIGNATURE: &str =
    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";

fn order(value: serde_json::Value) -> Order {
    serde_json::from_value(value).unwrap()
}

fn placed(id: &str, price: &str) -> Order {
    order(json!({
        "id": id,
        "service_id": "svc_1",
        "service_title": "Neon avatar pack",
        "client_wallet": "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
        "brief": "A neon fox, three variations",
        "status": "quoted",
        "quoted_price_usd": price,
        "platform_fee_usd": "0.50",
        "created_at": "2025-03-03 09:00:00",
    }))
}

fn at(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text)
}

/// (usd, orders, unreadable) of a total, for short assertions.
fn t(total: &atelier_core::earnings::Total) -> (&str, u32, u32) {
    (total.usd.as_str(), total.orders, total.unreadable)
}

const NOW: OffsetDateTime = datetime!(2025-03-10 12:00 UTC);

#[test]
fn an_order_moves_from_paid_to_delivered_to_paid_out_and_the_totals_follow() {
    let mut fox = placed("ord_fox", "5.00");
    let sum = |o: &Order| summarize(std::slice::from_ref(o), NOW, UtcOffset::UTC);

    let e = sum(&fox);
    assert_eq!(e.rows[0].when, When::NotPaidYet);
    assert_eq!(e.not_counted.not_paid_yet, 1);
    assert_eq!(t(&e.totals.waiting_to_deliver), ("0.00", 0, 0));

    fox.status = OrderStatus::Paid;
    let e = sum(&fox);
    assert_eq!(e.rows[0].when, When::WaitingForYou);
    assert_eq!(t(&e.totals.waiting_to_deliver), ("5.00", 1, 0));
    assert_eq!(e.rows[0].you_receive, Some(Usd::from_server("5.00")));
    assert_eq!(e.rows[0].client_paid, Some(Usd::from_server("5.50")));

    fox.status = OrderStatus::Delivered;
    fox.delivered_at = at("2025-03-08 10:00:00");
    fox.review_deadline = at("2025-03-10 10:00:00");
    let e = sum(&fox);
    assert_eq!(t(&e.totals.waiting_to_deliver), ("0.00", 0, 0));
    assert_eq!(t(&e.totals.in_review), ("5.00", 1, 0));
    assert_eq!(
        e.rows[0].when,
        When::InReview {
            review_ends_at: at("2025-03-10 10:00:00")
        }
    );

    fox.status = OrderStatus::Completed;
    fox.completed_at = at("2025-03-10 10:00:05");
    fox.payout_tx_hash = Some(SIGNATURE.into());
    let e = sum(&fox);
    assert_eq!(t(&e.totals.in_review), ("0.00", 0, 0));
    assert_eq!(t(&e.totals.completed_this_month), ("5.00", 1, 0));
    assert_eq!(t(&e.totals.completed_all_time), ("5.00", 1, 0));
    assert_eq!(t(&e.totals.missing_payouts), ("0.00", 0, 0));
    assert_eq!(
        e.rows[0].when,
        When::PaidOut {
            completed_at: at("2025-03-10 10:00:05"),
            payout_tx_hash: SIGNATURE.into(),
            explorer_url: Some(format!("https://solscan.io/tx/{SIGNATURE}")),
        }
    );

    // A second, bigger order joins; the sums stay exact.
    let mut owl = placed("ord_owl", "7.5");
    owl.status = OrderStatus::InProgress;
    let e = summarize(&[fox, owl], NOW, UtcOffset::UTC);
    assert_eq!(t(&e.totals.waiting_to_deliver), ("7.50", 1, 0));
    assert_eq!(t(&e.totals.completed_all_time), ("5.00", 1, 0));
}

#[test]
fn a_completed_order_without_a_payout_is_flagged_but_still_earned() {
    let mut paid_out = placed("ord_a", "10");
    paid_out.status = OrderStatus::Completed;
    paid_out.completed_at = at("2025-03-05 08:00:00");
    paid_out.payout_tx_hash = Some(SIGNATURE.into());
    let mut lost = placed("ord_b", "2.25");
    lost.status = OrderStatus::Completed;
    lost.completed_at = at("2025-03-06 08:00:00");

    let e = summarize(&[paid_out, lost], NOW, UtcOffset::UTC);
    assert_eq!(t(&e.totals.completed_all_time), ("12.25", 2, 0));
    assert_eq!(t(&e.totals.missing_payouts), ("2.25", 1, 0));
    assert_eq!(
        e.rows[1].when,
        When::CompletedNoPayout {
            completed_at: at("2025-03-06 08:00:00")
        }
    );
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["rows"][1]["when"]["state"], "completed_no_payout");
    assert_eq!(
        v["totals"]["missing_payouts"],
        json!({"usd": "2.25", "orders": 1, "unreadable": 0})
    );
}

#[test]
fn this_month_is_the_calendar_month_where_the_creator_lives() {
    // New York in winter, UTC-5. It is 22:00 on 28 February there, 03:00 on 1 March UTC.
    let now = datetime!(2025-03-01 03:00 UTC);
    let mut late_feb = placed("ord_late", "4");
    late_feb.status = OrderStatus::Completed;
    late_feb.payout_tx_hash = Some(SIGNATURE.into());
    // 21:00 on 28 February in New York, already March in UTC.
    late_feb.completed_at = at("2025-03-01 02:00:00");
    let mut end_of_jan = late_feb.clone();
    end_of_jan.id = "ord_jan".into();
    end_of_jan.quoted_price_usd = Some(Usd::from_server("1"));
    // 22:00 on 31 January in New York, 1 February in UTC.
    end_of_jan.completed_at = at("2025-02-01 03:00:00");
    let orders = [late_feb, end_of_jan];

    let ny = summarize(&orders, now, offset!(-5));
    assert_eq!(ny.month.month, "2025-02");
    assert_eq!(t(&ny.totals.completed_this_month), ("4.00", 1, 0));
    assert_eq!(t(&ny.totals.completed_all_time), ("5.00", 2, 0));

    // The same orders seen from UTC: March, where only the first one falls.
    let utc = summarize(&orders, now, UtcOffset::UTC);
    assert_eq!(utc.month.month, "2025-03");
    assert_eq!(t(&utc.totals.completed_this_month), ("4.00", 1, 0));
    // Kolkata, UTC+05:30: at 18:45 UTC on 31 January it is already 1 February there, so
    // an order completed at 18:00 UTC (23:30 on 31 January in Kolkata) was last month's.
    let mut kolkata_order = placed("ord_in", "3");
    kolkata_order.status = OrderStatus::Completed;
    kolkata_order.completed_at = at("2025-01-31 18:00:00");
    let now = datetime!(2025-01-31 18:45 UTC);
    let kolkata = summarize(std::slice::from_ref(&kolkata_order), now, offset!(+5:30));
    assert_eq!(kolkata.month.month, "2025-02");
    assert_eq!(t(&kolkata.totals.completed_this_month), ("0.00", 0, 0));
    let utc = summarize(std::slice::from_ref(&kolkata_order), now, UtcOffset::UTC);
    assert_eq!(utc.month.month, "2025-01");
    assert_eq!(t(&utc.totals.completed_this_month), ("3.00", 1, 0));
}

#[test]
fn an_unknown_status_is_kept_by_name_and_counted_nowhere() {
    let mut odd = placed("ord_odd", "99");
    odd.status = OrderStatus::parse("awaiting_moderation");
    let e = summarize(&[odd], NOW, UtcOffset::UTC);
    assert_eq!(e.rows.len(), 1);
    assert_eq!(e.rows[0].status.as_str(), "awaiting_moderation");
    assert_eq!(e.rows[0].when, When::Unknown);
    assert_eq!(e.not_counted.unknown, 1);
    assert_no_money(&e);
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["rows"][0]["status"], "awaiting_moderation");
    assert_eq!(v["rows"][0]["when"], json!({"state": "unknown"}));
}

#[test]
fn cancelled_and_unpaid_orders_never_count_and_disputes_are_not_income() {
    let statuses = ["pending_quote", "quoted", "accepted", "cancelled"];
    let orders: Vec<Order> = statuses
        .iter()
        .map(|s| {
            let mut o = placed(s, "3");
            o.status = OrderStatus::parse(s);
            o
        })
        .collect();
    let e = summarize(&orders, NOW, UtcOffset::UTC);
    assert_no_money(&e);
    assert_eq!(e.not_counted.not_paid_yet, 3);
    assert_eq!(e.not_counted.cancelled, 1);

    let mut disputed = placed("ord_d", "6");
    disputed.status = OrderStatus::Disputed;
    let e = summarize(&[disputed], NOW, UtcOffset::UTC);
    assert_eq!(t(&e.totals.disputed), ("6.00", 1, 0));
    assert_eq!(t(&e.totals.completed_all_time), ("0.00", 0, 0));
    assert_eq!(e.rows[0].when, When::Disputed);
}

fn assert_no_money(e: &Earnings) {
    let totals = &e.totals;
    for total in [
        &totals.waiting_to_deliver,
        &totals.in_review,
        &totals.disputed,
        &totals.completed_this_month,
        &totals.completed_all_time,
        &totals.missing_payouts,
    ] {
        assert_eq!(t(total), ("0.00", 0, 0));
    }
}

#[test]
fn an_unreadable_amount_is_reported_not_zeroed() {
    let good = {
        let mut o = placed("ord_good", "5.00");
        o.status = OrderStatus::Paid;
        o
    };
    let garbled = order(json!({"id": "ord_bad", "status": "paid", "quoted_price_usd": "5,00"}));
    let missing = order(json!({"id": "ord_none", "status": "paid"}));
    let e = summarize(&[good, garbled, missing], NOW, UtcOffset::UTC);
    assert_eq!(t(&e.totals.waiting_to_deliver), ("5.00", 3, 2));
    assert_eq!(e.rows[1].you_receive, None);
    assert_eq!(e.rows[1].unreadable_price.as_deref(), Some("5,00"));
    assert_eq!(e.rows[1].client_paid, None);
}

#[test]
fn explorer_links_are_made_only_for_transaction_signatures() {
    assert_eq!(SIGNATURE.len(), 88);
    assert_eq!(
        explorer_url(SIGNATURE),
        Some(format!("{EXPLORER_ORIGIN}/tx/{SIGNATURE}"))
    );
    assert_eq!(EXPLORER_ORIGIN, "https://solscan.io");
    for refused in [
        "javascript:alert(document.cookie)",
        // A 32-byte public key (the system program), not a signature.
        "11111111111111111111111111111111",
        "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
        "",
        &format!("https://solscan.io/tx/{SIGNATURE}"),
        &format!("https://evil.example/tx/{SIGNATURE}"),
        &format!("{SIGNATURE}?cluster=devnet"),
        &format!("{}/", &SIGNATURE[..87]),
    ] {
        assert_eq!(explorer_url(refused), None, "{refused:?}");
    }
}

/// A strict RFC 4180 reader: records end in CRLF, a field is either plain (no quote, CR
/// or LF in it) or fully quoted with inner quotes doubled, and every record has as many
/// fields as the first. Anything else is an error, not a guess.
fn read_rfc4180(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut record = Vec::new();
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err("unterminated quoted field".into()),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => field.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    match c {
                        ',' | '\r' => break,
                        '"' | '\n' => return Err(format!("bare {c:?} in a plain field")),
                        c => {
                            field.push(c);
                            chars.next();
                        }
                    }
                }
            }
            record.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') if chars.next() == Some('\n') => break,
                other => return Err(format!("after a field: {other:?}")),
            }
        }
        if let Some(first) = records.first() {
            if Vec::len(first) != record.len() {
                return Err(format!("{} fields, then {}", first.len(), record.len()));
            }
        }
        records.push(record);
    }
    Ok(records)
}

#[test]
fn the_csv_survives_a_strict_reader_and_nothing_in_it_runs_as_a_formula() {
    let hostile = "Logo, \"bold\" please\r\nsecond line\nthird\r— 日本語, naïve 🎨🦊";
    let formulas = [
        "=HYPERLINK(\"http://evil\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
        "-2+3",
        "\tTabbed start",
        "\rCR start",
    ];
    let mut orders = vec![{
        let mut o = placed("ord_hostile", "5.00");
        o.brief = hostile.into();
        o.status = OrderStatus::Completed;
        o.completed_at = at("2025-03-05 08:00:00");
        o.delivered_at = at("2025-03-04 08:00:00");
        o.review_deadline = at("2025-03-06 08:00:00");
        o.payout_tx_hash = Some(SIGNATURE.into());
        o.deliverable_url = Some("https://cdn.example/fox.png?a=1,b=2".into());
        o
    }];
    for (i, brief) in formulas.iter().enumerate() {
        let mut o = placed(&format!("ord_{i}"), "7.5");
        o.brief = (*brief).into();
        o.service_title = Some(format!("={i}+1"));
        orders.push(o);
    }
    let mut odd = placed("ord_odd", "-1");
    odd.status = OrderStatus::parse("=evil_status");
    orders.push(odd);

    let csv = to_csv(&orders);
    let body = csv
        .strip_prefix('\u{FEFF}')
        .expect("starts with a UTF-8 BOM for Excel");
    assert!(!body.contains('\u{FEFF}'));
    let records = read_rfc4180(body).unwrap();
    assert_eq!(records.len(), orders.len() + 1);
    assert_eq!(records[0], CSV_HEADER.map(String::from));

    let first = &records[1];
    assert_eq!(first.len(), 14);
    assert_eq!(first[0], "ord_hostile");
    assert_eq!(first[1], "2025-03-03 09:00:00");
    assert_eq!(first[2], "completed");
    assert_eq!(first[3], "Neon avatar pack");
    assert_eq!(first[4], hostile, "text round-trips exactly");
    assert_eq!(&first[5..8], ["5.00", "5.50", "0.50"]);
    assert_eq!(
        &first[8..11],
        [
            "2025-03-04 08:00:00",
            "2025-03-06 08:00:00",
            "2025-03-05 08:00:00"
        ]
    );
    assert_eq!(first[11], SIGNATURE);
    assert_eq!(first[12], "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin");
    assert_eq!(first[13], "https://cdn.example/fox.png?a=1,b=2");

    for (i, brief) in formulas.iter().enumerate() {
        let record = &records[i + 2];
        assert_eq!(record[4], format!("'{brief}"), "brief {i} neutralised");
        assert_eq!(record[3], format!("'={i}+1"), "service {i} neutralised");
        assert_eq!(&record[5..8], ["7.50", "8.00", "0.50"]);
    }
    let last = records.last().unwrap();
    assert_eq!(last[2], "'=evil_status");
    assert_eq!(
        last[5], "'-1",
        "an unreadable price is written as sent, neutralised"
    );
    assert_eq!(last[6], "", "no client total from an unreadable price");

    // No field of any record starts with something a spreadsheet would evaluate.
    for record in &records {
        for field in record {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{field:?}"
            );
        }
    }
}

#[test]
fn the_strict_reader_is_strict() {
    assert!(read_rfc4180("a,b\r\n").is_ok());
    assert!(read_rfc4180("a,b\n").is_err(), "bare LF");
    assert!(read_rfc4180("a\"b\r\n").is_err(), "quote in a plain field");
    assert!(
        read_rfc4180("\"a\"b\r\n").is_err(),
        "text after a closing quote"
    );
    assert!(read_rfc4180("\"a\r\n").is_err(), "unterminated");
    assert!(read_rfc4180("a,b\r\nc\r\n").is_err(), "ragged");
    assert!(read_rfc4180("a,b").is_err(), "no final CRLF");
}
