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
}
