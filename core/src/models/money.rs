//! US dollar amounts as decimal text. Prices are money: they are never held in `f64`.

use serde::{Serialize, Serializer};

/// A dollar amount exactly as Atelier expresses it (`"5.00"`, `"7.5"`, `"10"`).
///
/// Values from the server are kept verbatim so nothing is lost in a round trip; values
/// the creator types go through [`Usd::parse`], which normalises them to two decimals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Usd(String);

/// Why a typed price was refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsdError {
    #[error("Enter a price, for example 5 or 7.50.")]
    Empty,
    #[error("The price can't be negative.")]
    Negative,
    #[error("Use only digits and one decimal point, for example 7.50.")]
    NotANumber,
    #[error("Use at most two decimals (cents), for example 7.25.")]
    TooPrecise,
    #[error("That price is too large.")]
    TooLarge,
}

/// Ten digits of dollars is far beyond any creative service and keeps cents inside `u64`.
const MAX_DOLLAR_DIGITS: usize = 10;

/// USDC has six decimals: a micro-dollar is the smallest amount Atelier can send.
const MICROS_PER_DOLLAR: u64 = 1_000_000;
const MICRO_DIGITS: usize = 6;

impl Usd {
    /// Reads what a creator typed: `5`, `5.5`, `$7.50`, ` 12.00 `.
    pub fn parse(input: &str) -> Result<Usd, UsdError> {
        let s = input.trim();
        let s = s.strip_prefix('$').unwrap_or(s).trim();
        if s.is_empty() {
            return Err(UsdError::Empty);
        }
        if s.starts_with('-') {
            return Err(UsdError::Negative);
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || !digits(frac) || (whole.is_empty() && frac.is_empty()) {
            return Err(UsdError::NotANumber);
        }
        if frac.len() > 2 {
            return Err(UsdError::TooPrecise);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > MAX_DOLLAR_DIGITS {
            return Err(UsdError::TooLarge);
        }
        let whole = if whole.is_empty() { "0" } else { whole };
        Ok(Usd(format!("{whole}.{frac:0<2}")))
    }

    /// Keeps the server's text as it is.
    pub fn from_server(text: &str) -> Usd {
        Usd(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whole cents, when the text is a plain non-negative decimal with at most two places.
    pub fn cents(&self) -> Option<u64> {
        let canonical = Usd::parse(&self.0).ok()?;
        let (whole, frac) = canonical.0.split_once('.')?;
        whole
            .parse::<u64>()
            .ok()?
            .checked_mul(100)?
            .checked_add(frac.parse().ok()?)
    }

    /// The exact amount in micro-dollars (USDC's own precision), for adding amounts up
    /// without `f64`: `"5.00"` → 5 000 000, `"7.5"` → 7 500 000, `"10"` → 10 000 000.
    ///
    /// Reads the same surface as [`Usd::parse`] (surrounding spaces, a leading `$` or `+`,
    /// `.5`, `5.`) but up to six decimals; zeros past the sixth are fine (`"7.5000000"`).
    /// `None` for anything that is not exactly a non-negative amount of USDC: a minus sign,
    /// an exponent (`1e3`), a grouping comma, a seventh significant decimal (it could only
    /// be rounded, and money is not rounded silently), or more than `u64` micro-dollars.
    /// A caller counts such an amount as unreadable, never as zero.
    pub fn micros(&self) -> Option<u64> {
        let s = self.0.trim();
        let s = s.strip_prefix('$').unwrap_or(s).trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(frac) || (whole.is_empty() && frac.is_empty()) {
            return None;
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > MICRO_DIGITS {
            return None;
        }
        let number = |p: &str| {
            p.bytes().try_fold(0u64, |n, b| {
                n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
        };
        let frac_micros =
            number(frac)?.checked_mul(10u64.pow((MICRO_DIGITS - frac.len()) as u32))?;
        number(whole)?
            .checked_mul(MICROS_PER_DOLLAR)?
            .checked_add(frac_micros)
    }

    /// Micro-dollars back to decimal text with at least two decimals and no trailing zeros
    /// past them: 7 500 000 → `"7.50"`, 1 234 567 → `"1.234567"`, 0 → `"0.00"`. Takes a
    /// `u128` so that a sum of any number of [`Usd::micros`] fits.
    pub fn from_micros(micros: u128) -> Usd {
        let per_dollar = u128::from(MICROS_PER_DOLLAR);
        let whole = micros / per_dollar;
        let frac = format!("{:06}", micros % per_dollar);
        let significant = frac.trim_end_matches('0');
        let shown = if significant.len() < 2 {
            &frac[..2]
        } else {
            significant
        };
        Usd(format!("{whole}.{shown}"))
    }

    /// `7.5` → `$7.50`, for people. Falls back to the raw text when it is not a plain amount.
    pub fn display(&self) -> String {
        match Usd::parse(&self.0) {
            Ok(Usd(canonical)) => format!("${canonical}"),
            Err(_) => format!("${}", self.0),
        }
    }
}

impl std::fmt::Display for Usd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_prices_are_normalised_to_cents() {
        assert_eq!(Usd::parse("5").unwrap().as_str(), "5.00");
        assert_eq!(Usd::parse(" $7.5 ").unwrap().as_str(), "7.50");
        assert_eq!(Usd::parse("0").unwrap().as_str(), "0.00");
        assert_eq!(Usd::parse(".5").unwrap().as_str(), "0.50");
        assert_eq!(Usd::parse("007.25").unwrap().as_str(), "7.25");
    }

    #[test]
    fn typed_prices_are_refused_in_plain_words() {
        assert_eq!(Usd::parse(""), Err(UsdError::Empty));
        assert_eq!(Usd::parse("-1"), Err(UsdError::Negative));
        assert_eq!(Usd::parse("5.999"), Err(UsdError::TooPrecise));
        assert_eq!(Usd::parse("five"), Err(UsdError::NotANumber));
        assert_eq!(Usd::parse("1e3"), Err(UsdError::NotANumber));
        assert_eq!(Usd::parse("5,00"), Err(UsdError::NotANumber));
        assert_eq!(Usd::parse("."), Err(UsdError::NotANumber));
        assert_eq!(Usd::parse("12345678901"), Err(UsdError::TooLarge));
    }

    #[test]
    fn server_amounts_keep_their_text_and_show_as_dollars() {
        let price = Usd::from_server("7.5");
        assert_eq!(price.as_str(), "7.5");
        assert_eq!(price.display(), "$7.50");
        assert_eq!(price.cents(), Some(750));
        assert_eq!(Usd::from_server("10").cents(), Some(1000));
        assert_eq!(Usd::from_server("weird").cents(), None);
    }

    #[test]
    fn server_amounts_are_read_exactly_in_micro_dollars() {
        let micros = |text: &str| Usd::from_server(text).micros();
        assert_eq!(micros("5.00"), Some(5_000_000));
        assert_eq!(micros("7.5"), Some(7_500_000));
        assert_eq!(micros("10"), Some(10_000_000));
        assert_eq!(micros("0.1"), Some(100_000));
        assert_eq!(micros("0.000001"), Some(1));
        assert_eq!(micros("1.234567"), Some(1_234_567));
        assert_eq!(micros("7.5000000"), Some(7_500_000));
        assert_eq!(micros(".5"), Some(500_000));
        assert_eq!(micros("5."), Some(5_000_000));
        assert_eq!(micros(" $7.50 "), Some(7_500_000));
        assert_eq!(micros("0"), Some(0));
        assert_eq!(micros("18446744073709.551615"), Some(u64::MAX));
    }

    #[test]
    fn amounts_that_are_not_exact_usdc_are_unreadable_not_zero() {
        for text in [
            "",
            " ",
            ".",
            "-5",
            "-0",
            "1e3",
            "5,00",
            "1,000.00",
            "five",
            "NaN",
            "inf",
            "0x10",
            "1.2345678",
            "0.0000001",
            "5..0",
            "5.0.0",
            "٥",
            "18446744073709.551616",
            "99999999999999999999",
        ] {
            assert_eq!(Usd::from_server(text).micros(), None, "{text:?}");
        }
    }

    #[test]
    fn micros_agree_with_cents_wherever_cents_can_be_read() {
        for text in ["5.00", "7.5", "10", "0", ".5", "$3.25", "+4", "5.999", "x"] {
            let usd = Usd::from_server(text);
            if let Some(cents) = usd.cents() {
                assert_eq!(usd.micros(), Some(cents * 10_000), "{text}");
            }
        }
    }

    #[test]
    fn micro_dollars_show_with_two_decimals_at_least_and_nothing_lost() {
        assert_eq!(Usd::from_micros(0).as_str(), "0.00");
        assert_eq!(Usd::from_micros(7_500_000).as_str(), "7.50");
        assert_eq!(Usd::from_micros(10_000_000).as_str(), "10.00");
        assert_eq!(Usd::from_micros(10_000).as_str(), "0.01");
        assert_eq!(Usd::from_micros(5_000).as_str(), "0.005");
        assert_eq!(Usd::from_micros(1_234_567).as_str(), "1.234567");
        assert_eq!(Usd::from_micros(1).as_str(), "0.000001");
        let huge = u128::from(u64::MAX) * 3;
        assert_eq!(Usd::from_micros(huge).as_str(), "55340232221128.654845");
        for text in ["5.00", "7.5", "0.000001", "123.456"] {
            let usd = Usd::from_server(text);
            let back = Usd::from_micros(u128::from(usd.micros().unwrap()));
            assert_eq!(back.micros(), usd.micros(), "{text}");
        }
    }
}
