//! Decoders for the shapes the real server sends, which are looser than the guide suggests
//! (see `shared/api-notes.md`). Each accepts every form seen in the wild and never fails on
//! an odd value where a sensible default exists: one strange field must not hide a paid order.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Timestamp, Usd};

/// Arrays arrive as real arrays, as strings holding JSON (`"[\"image_gen\"]"`), or as null.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(list_from_value(Value::deserialize(d)?))
}

fn list_from_value(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        Value::String(s) if s.trim_start().starts_with('[') => serde_json::from_str::<Value>(&s)
            .map(list_from_value)
            .unwrap_or_default(),
        // A bare non-empty string is a one-element list rather than nothing.
        Value::String(s) if !s.trim().is_empty() => vec![s],
        _ => Vec::new(),
    }
}

/// Flags are integers 0/1 on the server; accept booleans and numeric strings too.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim(), "1" | "true" | "TRUE" | "True"),
        _ => false,
    })
}

/// Counters: numbers or numeric strings; anything else counts as zero.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// Optional counters that mean something only when the server sent them (a service's
/// `total_orders`): numbers or numeric strings, else absent rather than zero.
pub fn opt_total<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// An optional object (an order's review): anything that does not decode is absent, so
/// an odd review never hides the order beside it.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// Lists of objects, as real arrays or strings holding JSON; entries that do not decode
/// are left out rather than failing the whole answer.
pub fn object_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let items = match Value::deserialize(d)? {
        Value::Array(items) => items,
        Value::String(s) => match serde_json::from_str(&s) {
            Ok(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    Ok(items
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect())
}

/// Optional whole numbers (turnaround hours): numbers or numeric strings, else absent.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Ratings are the one fractional number we show; they are not money, so `f64` is right.
pub fn opt_rating<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Optional text: null and empty strings both mean "not set".
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Required text that a newer or older server might leave out or null.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_text(d)?.unwrap_or_default())
}

/// Money is a string on this server; a number from some other version is kept as its
/// decimal text, never passed through `f64`.
pub fn opt_usd<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Usd>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Some(Usd::from_server(s.trim())),
        Value::Number(n) => Some(Usd::from_server(&n.to_string())),
        _ => None,
    })
}

pub fn usd<'de, D: Deserializer<'de>>(d: D) -> Result<Usd, D::Error> {
    Ok(opt_usd(d)?.unwrap_or_else(|| Usd::from_server("0")))
}

/// Timestamps in either the server's bare UTC form or ISO 8601; an unreadable one is
/// treated as absent rather than failing the whole response.
pub fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Timestamp::parse(&s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_arrive_as_arrays_json_strings_or_null() {
        assert_eq!(
            list_from_value(json!(["image_gen", "ugc"])),
            ["image_gen", "ugc"]
        );
        assert_eq!(
            list_from_value(json!("[\"image_gen\",\"ugc\"]")),
            ["image_gen", "ugc"]
        );
        assert!(list_from_value(json!(null)).is_empty());
        assert!(list_from_value(json!("")).is_empty());
        assert!(list_from_value(json!("[not json")).is_empty());
        assert_eq!(list_from_value(json!("custom")), ["custom"]);
    }
}
