//! Money: integer minor units and an ISO 4217 currency, never floats (as
//! Stripe does). [`Money`] is the domain value: checked arithmetic, one
//! rounding rule, one parse and one format. [`graphql`] holds the wire types
//! (`Money`, `MoneyInput`, the `Decimal` scalar) that convert to and from it.
//!
//! Rounding: wherever a result falls between two minor units (a percentage),
//! it is rounded to the nearest minor unit, halves away from zero
//! (`0.5 → 1`, `-0.5 → -1`), computed on `i128` so the intermediate product
//! cannot overflow.

pub mod graphql;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::error::AppError;
use crate::text::excerpt;

/// An ISO 4217 currency Agora accepts, with its minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    digits: u32,
}

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency::of("EUR", 2);
    /// The US dollar.
    pub const USD: Currency = Currency::of("USD", 2);

    const fn of(code: &'static str, digits: u32) -> Currency {
        Currency { code, digits }
    }

    /// The currency with this code, ignoring case and surrounding spaces.
    pub fn parse(text: &str) -> Result<Currency, MoneyError> {
        let code = text.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|c| c.code == code)
            .copied()
            .ok_or_else(|| MoneyError::UnknownCurrency(excerpt(text)))
    }

    /// The ISO 4217 code, e.g. `"EUR"`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn digits(self) -> u32 {
        self.digits
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Currencies accepted.
const CURRENCIES: &[Currency] = &[
    Currency::of("AUD", 2),
    Currency::of("BHD", 3),
    Currency::of("BRL", 2),
    Currency::of("CAD", 2),
    Currency::of("CHF", 2),
    Currency::of("CNY", 2),
    Currency::of("CZK", 2),
    Currency::of("DKK", 2),
    Currency::EUR,
    Currency::of("GBP", 2),
    Currency::of("HKD", 2),
    Currency::of("INR", 2),
    Currency::of("JPY", 0),
    Currency::of("KRW", 0),
    Currency::of("KWD", 3),
    Currency::of("MXN", 2),
    Currency::of("NOK", 2),
    Currency::of("NZD", 2),
    Currency::of("PLN", 2),
    Currency::of("SEK", 2),
    Currency::of("SGD", 2),
    Currency::USD,
    Currency::of("ZAR", 2),
];

/// Largest amount a client may send, in minor units (keeps sums far from overflow).
const MAX_INPUT_MINOR: i64 = 1_000_000_000_000;

/// One basis point is a hundredth of a percent.
const BASIS_POINTS_PER_WHOLE: i128 = 10_000;

/// Why an amount could not be read or computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Not a currency Agora accepts (the text, shortened).
    UnknownCurrency(String),
    /// Not a decimal amount with at most the currency's digits.
    NotAnAmount {
        /// The text, shortened.
        text: String,
        /// The currency it was meant in.
        currency: Currency,
    },
    /// Zero where only a positive amount makes sense (a budget, a bid).
    NotPositive,
    /// Two amounts in different currencies were combined.
    CurrencyMismatch {
        /// The first amount's currency.
        left: Currency,
        /// The second amount's currency.
        right: Currency,
    },
    /// The result does not fit in 64-bit minor units.
    Overflow,
}

impl MoneyError {
    /// What a client reads.
    pub fn message(&self) -> String {
        match self {
            MoneyError::UnknownCurrency(text) => format!("unsupported currency {text}"),
            MoneyError::NotAnAmount { text, currency } => {
                format!("{text} is not an amount in {currency}")
            }
            MoneyError::NotPositive => "must be more than zero".to_owned(),
            MoneyError::CurrencyMismatch { left, right } => {
                format!("cannot combine amounts in {left} and {right}")
            }
            MoneyError::Overflow => "the amount is too large".to_owned(),
        }
    }

    /// The `BAD_USER_INPUT` error on the input `field` (a dotted path).
    pub fn at(self, field: &'static str) -> AppError {
        AppError::bad_input(field, self.message())
    }
}

/// An amount of money: minor units (cents, yen, fils) of one currency. There is no ordering: amounts in different currencies do not compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Nothing, in `currency` (an empty total, a free line item).
    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// A stored amount: its currency code was validated when it was written, so an unknown one is an internal error.
    pub fn stored(minor: i64, currency: &str) -> Result<Money, AppError> {
        Currency::parse(currency)
            .map(|c| Money::new(minor, c))
            .map_err(|_| AppError::internal(format!("unknown stored currency {currency:?}")))
    }

    /// Read a client's amount: digits with an optional fraction of at most the currency's digits ("1250", "1250.5", "1250.50"); zero or more, up to 10¹² minor units. See [`Money::parse_positive`] for budgets and bids.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        let currency = Currency::parse(currency)?;
        let minor = parse_minor(amount.trim(), currency.digits).ok_or_else(|| MoneyError::NotAnAmount {
            text: excerpt(amount),
            currency,
        })?;
        Ok(Money::new(minor, currency))
    }

    /// [`Money::parse`], refusing zero.
    pub fn parse_positive(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        let money = Money::parse(amount, currency)?;
        if money.is_positive() {
            Ok(money)
        } else {
            Err(MoneyError::NotPositive)
        }
    }

    /// Minor units.
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Exactly nothing?
    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// More than nothing?
    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// The sum; amounts in different currencies are an error, not converted.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// The difference (may be negative); currencies must match.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        let currency = self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// This amount `quantity` times (a unit price times hours or items).
    pub fn times(self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_mul(quantity).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `basis_points` hundredths of a percent of this amount (250 is 2.5 %), rounded to the nearest minor unit, halves away from zero.
    pub fn percent(self, basis_points: i64) -> Result<Money, MoneyError> {
        self.scaled(basis_points, BASIS_POINTS_PER_WHOLE)
    }

    /// This amount times `thousandths` / 1000 (a unit price times 1.5 hours is `times_milli(1500)`), rounded to the nearest minor unit, halves away from zero.
    pub fn times_milli(self, thousandths: i64) -> Result<Money, MoneyError> {
        self.scaled(thousandths, 1000)
    }

    /// `self × factor / divisor`, on `i128`, rounded half away from zero.
    fn scaled(self, factor: i64, divisor: i128) -> Result<Money, MoneyError> {
        let product = i128::from(self.minor) * i128::from(factor);
        let quotient = product / divisor;
        let remainder = product % divisor;
        let rounded = if remainder.abs() * 2 >= divisor {
            quotient + product.signum()
        } else {
            quotient
        };
        let minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// The amount as decimal text with the currency's digits: "1250.50", "300" for JPY, "-0.05".
    pub fn amount_text(self) -> String {
        let digits = self.currency.digits;
        if digits == 0 {
            return self.minor.to_string();
        }
        let scale = 10_u64.pow(digits);
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = digits as usize
        )
    }

    fn same_currency(self, other: Money) -> Result<Currency, MoneyError> {
        if self.currency == other.currency {
            Ok(self.currency)
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

/// A non-negative decimal with at most `digits` fraction digits, as an integer of that many fraction digits ("1.5" with 3 digits is 1500), at most [`MAX_INPUT_MINOR`]; `None` for anything else (a sign, an exponent, more digits). For quantities and rates, which are not money.
pub fn parse_fixed(text: &str, digits: u32) -> Option<i64> {
    parse_minor(text.trim(), digits)
}

/// An integer of `digits` fraction digits as decimal text, trailing zeros kept to `digits` ("1500" with 3 digits is "1.500").
pub fn fixed_text(value: i64, digits: u32) -> String {
    let scale = 10_i64.pow(digits);
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let whole = magnitude / scale.unsigned_abs();
    let fraction = magnitude % scale.unsigned_abs();
    if digits == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction:0width$}", width = digits as usize)
    }
}

/// Minor units of a non-negative decimal text with at most `digits` fraction digits, at most [`MAX_INPUT_MINOR`].
fn parse_minor(text: &str, digits: u32) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if fraction.len() > digits as usize || (text.contains('.') && fraction.is_empty()) {
        return None;
    }
    let fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let fraction_minor = fraction_value * 10_i64.pow(digits - fraction.len() as u32);
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(10_i64.pow(digits))?
        .checked_add(fraction_minor)?;
    (minor <= MAX_INPUT_MINOR).then_some(minor)
}
