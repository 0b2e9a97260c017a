//! Money on the wire: `Money { amount: Decimal! currency: String! }`, its
//! input twin `MoneyInput`, and the `Decimal` string scalar. Each converts to
//! or from the domain [`super::Money`], which does the parsing and formatting.

use async_graphql::{
    InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};

use crate::error::AppResult;

/// A decimal amount as a string, e.g. `"1250.00"`: exact, unlike a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(pub String);

/// An exact decimal number as a string, e.g. `"1250.00"`: ASCII digits, then a `.` and the fraction digits when the value has a scale.
///
/// Answers carry the scale of what they measure, trailing zeros included: the currency's minor-unit digits for an amount (`"1250.00"` in EUR, `"300"` in JPY, `"12.500"` in KWD), three digits for a quantity (`"1.500"`), two for a tax rate in percent (`"20.00"`); a negative value starts with `-`, and there is never an exponent. That is the to-scientific-string form of the General Decimal Arithmetic specification for these values (what Python's `str(Decimal)` and Java's `BigDecimal.toString()` write).
///
/// Inputs are digits with an optional `.` and fraction digits, no more than the field allows (`"1250"`, `"1250.5"` and `"1250.50"` for an amount in EUR). A sign, an exponent (`"1e3"`), a `.` without digits on both sides (`".5"`, `"5."`), separators (`"1,250.00"`), too many fraction digits or a value past the field's limit are refused with `BAD_USER_INPUT` on the field. A GraphQL number is accepted too and read as its shortest decimal text, but a string is exact.
#[Scalar(specified_by_url = "https://speleotrove.com/decimal/daconvs.html#reftostr")]
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

impl From<super::Money> for Money {
    fn from(money: super::Money) -> Self {
        Money {
            amount: Decimal(money.amount_text()),
            currency: money.currency().code().to_owned(),
        }
    }
}

/// An amount of money sent by a client.
#[derive(InputObject, Debug, Clone)]
pub struct MoneyInput {
    /// The amount ("1250", "1250.5" or "1250.50"); no more fraction digits than the currency has.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    pub currency: String,
}

impl From<super::Money> for MoneyInput {
    fn from(money: super::Money) -> Self {
        let Money { amount, currency } = Money::from(money);
        MoneyInput { amount, currency }
    }
}

impl MoneyInput {
    /// The amount, zero allowed (a filter bound, a total); errors name `field`.
    pub fn parse(&self, field: &'static str) -> AppResult<super::Money> {
        super::Money::parse(&self.amount.0, &self.currency).map_err(|e| e.at(field))
    }

    /// The amount, more than zero (a budget, a bid); errors name `field`.
    pub fn parse_positive(&self, field: &'static str) -> AppResult<super::Money> {
        super::Money::parse_positive(&self.amount.0, &self.currency).map_err(|e| e.at(field))
    }
}
