//! Money: integer minor units and an ISO 4217 currency, never floats. In the
//! API an amount is a `Decimal` string ("1250.00").

use async_graphql::{
    InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};

use crate::error::{AppError, AppResult};
use crate::text::excerpt;

/// Currencies accepted, with their minor-unit digits.
const CURRENCIES: &[(&str, u32)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// Largest amount accepted, in minor units (keeps sums far from overflow).
const MAX_MINOR: i64 = 1_000_000_000_000;

/// A decimal amount as a string, e.g. `"1250.00"`: exact, unlike a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(pub String);

/// A decimal amount as a string, e.g. "1250.00": exact, unlike a float.
#[Scalar]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) => Ok(Decimal(s)),
            Value::Number(n) => Ok(Decimal(n.to_string())),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// An amount of money.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The amount, with the currency's minor-unit digits ("1250.00", "300" for JPY).
    pub amount: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    pub currency: String,
}

/// An amount of money sent by a client.
#[derive(InputObject, Debug, Clone)]
pub struct MoneyInput {
    /// The amount ("1250", "1250.5" or "1250.50"); no more fraction digits than the currency has.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    pub currency: String,
}

impl From<Money> for MoneyInput {
    fn from(money: Money) -> Self {
        MoneyInput {
            amount: money.amount,
            currency: money.currency,
        }
    }
}

fn digits_of(currency: &str) -> Option<u32> {
    CURRENCIES
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|(_, d)| *d)
}

/// Parse a client amount into minor units and a currency code; `field` names
/// the input for errors. Amounts must be positive.
pub fn parse(input: &MoneyInput, field: &'static str) -> AppResult<(i64, String)> {
    let currency = input.currency.trim().to_ascii_uppercase();
    let digits = digits_of(&currency).ok_or_else(|| {
        AppError::bad_input(
            field,
            format!("unsupported currency {}", excerpt(&input.currency)),
        )
    })?;
    let minor = parse_minor(input.amount.0.trim(), digits).ok_or_else(|| {
        AppError::bad_input(
            field,
            format!("{} is not an amount in {currency}", excerpt(&input.amount.0)),
        )
    })?;
    if minor == 0 {
        return Err(AppError::bad_input(field, "must be more than zero"));
    }
    Ok((minor, currency))
}

fn parse_minor(text: &str, digits: u32) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if fraction.len() > digits as usize || (text.contains('.') && fraction.is_empty()) {
        return None;
    }
    let scale = 10_i64.pow(digits);
    let fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let fraction_minor = fraction_value * 10_i64.pow(digits - fraction.len() as u32);
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(scale)?
        .checked_add(fraction_minor)?;
    (minor <= MAX_MINOR).then_some(minor)
}

/// Format minor units of `currency` for the API.
pub fn format(minor: i64, currency: &str) -> Money {
    let digits = digits_of(currency).unwrap_or(2);
    let amount = if digits == 0 {
        minor.to_string()
    } else {
        let scale = 10_i64.pow(digits);
        format!(
            "{}.{:0width$}",
            minor / scale,
            (minor % scale).abs(),
            width = digits as usize
        )
    };
    Money {
        amount: Decimal(amount),
        currency: currency.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(amount: &str, currency: &str) -> MoneyInput {
        MoneyInput {
            amount: Decimal(amount.into()),
            currency: currency.into(),
        }
    }

    #[test]
    fn parses_exact_minor_units() {
        assert_eq!(
            parse(&input("1250", "eur"), "m").ok(),
            Some((125_000, "EUR".into()))
        );
        assert_eq!(
            parse(&input("1250.5", "EUR"), "m").ok(),
            Some((125_050, "EUR".into()))
        );
        assert_eq!(parse(&input("0.01", "USD"), "m").ok(), Some((1, "USD".into())));
        assert_eq!(parse(&input("300", "JPY"), "m").ok(), Some((300, "JPY".into())));
        assert_eq!(
            parse(&input("1.234", "KWD"), "m").ok(),
            Some((1234, "KWD".into()))
        );
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for (amount, currency) in [
            ("1.001", "EUR"),
            ("1.5", "JPY"),
            ("-5", "EUR"),
            ("1e3", "EUR"),
            ("", "EUR"),
            ("1.", "EUR"),
            (".5", "EUR"),
            ("0", "EUR"),
            ("5", "XXX"),
            ("99999999999999", "EUR"),
        ] {
            let err = parse(&input(amount, currency), "budgetMin").err();
            assert!(
                matches!(
                    err,
                    Some(AppError::BadInput {
                        field: "budgetMin",
                        ..
                    })
                ),
                "{amount} {currency}"
            );
        }
    }

    #[test]
    fn formats_with_the_currency_digits() {
        assert_eq!(format(125_050, "EUR").amount, Decimal("1250.50".into()));
        assert_eq!(format(5, "USD").amount, Decimal("0.05".into()));
        assert_eq!(format(300, "JPY").amount, Decimal("300".into()));
        assert_eq!(format(1234, "KWD").amount, Decimal("1.234".into()));
    }
}
