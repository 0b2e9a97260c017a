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
