//! The real server is JavaScript: its validation leans on `parseFloat`, `Number`,
//! `String`, truthiness and UTF-16 `.length`. Reproducing those coercions is what
//! makes the sandbox accept and reject the same bodies the real server does.

use serde_json::Value;

/// `!!value`, where a missing field is `undefined`.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// `value.length`: strings count UTF-16 units, arrays their elements, anything
/// else is `undefined` (and every comparison with `undefined` is false).
pub fn length(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(s.encode_utf16().count()),
        Value::Array(items) => Some(items.len()),
        _ => None,
    }
}

/// True when `value.length` is defined and outside `min..=max`; an undefined
/// length passes, as it does in the server's `x.length < min || x.length > max`.
pub fn length_out_of(value: &Value, min: usize, max: usize) -> bool {
    length(value).is_some_and(|len| len < min || len > max)
}

/// `typeof value === 'string'` with `min <= value.length <= max`.
pub fn is_string_of_length(value: &Value, min: usize, max: usize) -> bool {
    matches!(value, Value::String(_)) && !length_out_of(value, min, max)
}

/// `String.prototype.trim`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// `String(value)`.
pub fn to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_to_string(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(join_element).collect::<Vec<_>>().join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// How `Array.prototype.join` renders one element: `null` becomes empty.
pub fn join_element(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => to_string(other),
    }
}

/// `Number.prototype.toString()` for base 10.
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    // `{:e}` yields the shortest round-trip digits; JavaScript only differs in
    // where it places the decimal point and when it switches to exponent form.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{rest}e{sign}{}", (n - 1).abs())
    };
    if x < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// JavaScript's StrWhiteSpaceChar, which is not quite Unicode White_Space.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// Length of the longest prefix of `s` that is a decimal literal without a sign
/// (`12`, `1.5`, `.5`, `5.`, `1e3`), or 0 if there is none.
fn decimal_prefix_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        let mut j = i + 1;
        frac_digits = digits(&mut j);
        if int_digits > 0 || frac_digits > 0 {
            i = j;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return 0;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    i
}

fn split_sign(s: &str) -> (f64, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    }
}

/// `parseFloat(string)`: the longest numeric prefix after leading whitespace.
pub fn parse_float(s: &str) -> f64 {
    let trimmed = s.trim_start_matches(is_js_space);
    let (sign, rest) = split_sign(trimmed);
    if rest.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let len = decimal_prefix_len(rest);
    if len == 0 {
        return f64::NAN;
    }
    rest[..len].parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `parseFloat(value)` for any JSON value (it stringifies first).
pub fn parse_float_value(value: &Value) -> f64 {
    parse_float(&to_string(value))
}

/// `Number(string)`: the whole trimmed string must be numeric; empty is 0.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &t[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(d));
    }
    let (sign, rest) = split_sign(t);
    if rest == "Infinity" {
        return sign * f64::INFINITY;
    }
    if decimal_prefix_len(rest) != rest.len() {
        return f64::NAN;
    }
    rest.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `Number(value)`, where a missing field is `undefined`.
pub fn to_number(value: Option<&Value>) -> f64 {
    match value {
        None | Some(Value::Object(_)) => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => string_to_number(s),
        Some(array @ Value::Array(_)) => string_to_number(&to_string(array)),
    }
}

/// `x.toFixed(2)`, which rounds exact ties away from zero where Rust's
/// formatter rounds them to even.
pub fn to_fixed_2(x: f64) -> String {
    if !x.is_finite() || x.abs() >= 1e21 {
        return number_to_string(x);
    }
    if x == 0.0 {
        return "0.00".to_owned();
    }
    let scaled = x.abs() * 100.0;
    // Only multiples of 1/8 can sit exactly half-way between two cents.
    let exact_tie = (x * 8.0).fract() == 0.0 && scaled.fract() == 0.5;
    if exact_tie {
        let cents = (scaled + 0.5) as u64;
        let sign = if x < 0.0 { "-" } else { "" };
        return format!("{sign}{}.{:02}", cents / 100, cents % 100);
    }
    format!("{x:.2}")
}

/// How the server's SQLite driver stores a JSON-decoded value into a TEXT
/// column: strings as is, numbers and booleans as text, `null` as NULL.
/// Arrays and objects make the driver throw, which the server turns into a 500.
pub fn sql_text(value: &Value) -> Result<Option<String>, Unstorable> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(if *b { "1" } else { "0" }.to_owned())),
        Value::Number(_) | Value::String(_) => Ok(Some(to_string(value))),
        Value::Array(_) | Value::Object(_) => Err(Unstorable),
    }
}

/// A value the real server's database driver would refuse to bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unstorable;

/// A number as SQLite hands it back: integral values as integers, NaN and
/// infinities as NULL (which is also what `JSON.stringify` makes of them).
pub fn sql_number(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return Value::from(x as i64);
    }
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// `JSON.stringify(value)` for values decoded from JSON, numbers written the
/// JavaScript way (`1` rather than `1.0`).
pub fn json_stringify(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if x.is_finite() {
                out.push_str(&number_to_string(x));
            } else {
                out.push_str("null");
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `new URL(String(value))` succeeds.
pub fn is_url(value: &Value) -> bool {
    url::Url::parse(&to_string(value)).is_ok()
}

/// The server's only wallet check: `/^[1-9A-HJ-NP-Za-km-z]{32,44}$/`.
pub fn looks_like_base58_address(s: &str) -> bool {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    (32..=44).contains(&s.len()) && s.chars().all(|c| ALPHABET.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_float_takes_the_longest_numeric_prefix() {
        assert_eq!(parse_float("5.00"), 5.0);
        assert_eq!(parse_float("  7.5abc"), 7.5);
        assert_eq!(parse_float(".5"), 0.5);
        assert_eq!(parse_float("5."), 5.0);
        assert_eq!(parse_float("1e3x"), 1000.0);
        assert_eq!(parse_float("1e"), 1.0);
        assert_eq!(parse_float("-2"), -2.0);
        assert_eq!(parse_float("0x10"), 0.0);
        assert_eq!(parse_float("Infinity"), f64::INFINITY);
        assert!(parse_float("abc").is_nan());
        assert!(parse_float("").is_nan());
        assert!(parse_float(".").is_nan());
        assert!(parse_float("inf").is_nan());
        assert!(parse_float("$5").is_nan());
        assert_eq!(parse_float_value(&json!(["3", "4"])), 3.0);
        assert!(parse_float_value(&json!({"a": 1})).is_nan());
    }

    #[test]
    fn number_follows_javascript_not_rust() {
        assert_eq!(string_to_number(" 24 "), 24.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1A"), 26.0);
        assert!(string_to_number("24h").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("NaN").is_nan());
        assert_eq!(to_number(Some(&json!(true))), 1.0);
        assert_eq!(to_number(Some(&Value::Null)), 0.0);
        assert_eq!(to_number(Some(&json!(["12"]))), 12.0);
        assert!(to_number(None).is_nan());
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(number_to_string(5.0), "5");
        assert_eq!(number_to_string(7.5), "7.5");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(1e21), "1e+21");
        assert_eq!(number_to_string(1e20), "100000000000000000000");
        assert_eq!(number_to_string(1e-7), "1e-7");
        assert_eq!(number_to_string(0.000001), "0.000001");
        assert_eq!(number_to_string(123.456), "123.456");
        assert_eq!(number_to_string(1.5e-10), "1.5e-10");
        assert_eq!(to_string(&json!([1, null, "a"])), "1,,a");
        assert_eq!(to_string(&json!(2.50)), "2.5");
    }

    #[test]
    fn to_fixed_rounds_ties_up_like_javascript() {
        assert_eq!(to_fixed_2(0.5), "0.50");
        assert_eq!(to_fixed_2(5.0 * 0.10), "0.50");
        assert_eq!(to_fixed_2(0.125), "0.13");
        assert_eq!(to_fixed_2(0.375), "0.38");
        assert_eq!(to_fixed_2(1.005), "1.00"); // 1.005 is really 1.00499999...
        assert_eq!(to_fixed_2(0.0), "0.00");
        assert_eq!(to_fixed_2(12.3456), "12.35");
    }

    #[test]
    fn stringify_writes_javascript_numbers() {
        assert_eq!(
            json_stringify(&json!(["image_gen", 1.0, null])),
            "[\"image_gen\",1,null]"
        );
        assert_eq!(json_stringify(&json!("a\"b")), "\"a\\\"b\"");
    }

    #[test]
    fn length_counts_utf16_units() {
        assert_eq!(length(&json!("é")), Some(1));
        assert_eq!(length(&json!("😀")), Some(2));
        assert_eq!(length(&json!(12345)), None);
        assert!(!length_out_of(&json!(7), 2, 50));
        assert!(length_out_of(&json!("a"), 2, 50));
    }

    #[test]
    fn base58_check_is_only_the_server_regex() {
        assert!(looks_like_base58_address(
            "EZkoXXZ5HEWdKwfv7wua7k6Dqv8aQxxHWNakq2gG2Qpb"
        ));
        assert!(looks_like_base58_address(&"1".repeat(32)));
        assert!(!looks_like_base58_address(&"1".repeat(31)));
        assert!(!looks_like_base58_address(&"0".repeat(40)));
        assert!(!looks_like_base58_address(&"l".repeat(40)));
    }

    #[test]
    fn sql_text_refuses_arrays_like_the_driver() {
        assert_eq!(sql_text(&json!(5)), Ok(Some("5".to_owned())));
        assert_eq!(sql_text(&json!(true)), Ok(Some("1".to_owned())));
        assert_eq!(sql_text(&Value::Null), Ok(None));
        assert_eq!(sql_text(&json!(["x"])), Err(Unstorable));
        assert_eq!(sql_number(48.0), json!(48));
        assert_eq!(sql_number(2.5), json!(2.5));
        assert_eq!(sql_number(f64::NAN), Value::Null);
    }
}
