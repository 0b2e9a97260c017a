//! Payment providers, behind one trait. Built in: the deterministic test
//! card provider (what a front end needs to exercise every path) and bank
//! transfer (pending until an admin confirms it).
//!
//! A provider is never called inside a database transaction: the payment is
//! recorded first (PENDING, with its idempotency key), the provider is
//! called, and the outcome recorded after. A charge is identified by the
//! idempotency key, so asking again (`lookup`) after a crash gives the
//! outcome of the one charge, never a second one.

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};

use super::model::PaymentMethod;
use crate::money::Money;

/// What a provider says about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The money was taken; the provider's reference.
    Succeeded(String),
    /// Declined or failed, with a machine-readable reason.
    Failed(&'static str),
    /// Not known yet (a bank transfer).
    Pending,
}

/// One charge to make.
#[derive(Debug, Clone)]
pub struct Charge<'a> {
    /// The payer's idempotency key (the provider's own key for the charge).
    pub key: &'a str,
    /// How much.
    pub amount: Money,
    /// The card token, for cards.
    pub card_token: Option<&'a str>,
}

/// A payment provider.
pub trait Provider: Send + Sync {
    /// Make the charge (or, for a key seen before, answer its outcome).
    fn charge<'a>(&'a self, charge: Charge<'a>) -> BoxFuture<'a, Outcome>;
    /// The outcome of the charge made under `charge.key`, if any; for a key never charged, charge now (settling a payment a crash left PENDING).
    fn lookup<'a>(&'a self, charge: Charge<'a>) -> BoxFuture<'a, Outcome> {
        self.charge(charge)
    }
}

/// The test card tokens and what each does.
pub const TEST_CARDS: [(&str, Option<&str>); 5] = [
    ("tok_visa", None),
    ("tok_mastercard", None),
    ("tok_chargeDeclined", Some("CARD_DECLINED")),
    ("tok_insufficientFunds", Some("INSUFFICIENT_FUNDS")),
    ("tok_processingError", Some("PROCESSING_ERROR")),
];

/// Is `token` one of the test card tokens?
pub fn known_card(token: &str) -> bool {
    TEST_CARDS.iter().any(|(t, _)| *t == token)
}

/// The deterministic test card provider: the token decides the outcome, and the reference is derived from the key, so asking twice answers the same.
pub struct TestCards;

impl Provider for TestCards {
    fn charge<'a>(&'a self, charge: Charge<'a>) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let token = charge.card_token.unwrap_or_default();
            match TEST_CARDS.iter().find(|(t, _)| *t == token) {
                Some((_, None)) => {
                    let digest = Sha256::digest(charge.key.as_bytes());
                    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                    Outcome::Succeeded(format!("ch_test_{hex}"))
                }
                Some((_, Some(reason))) => Outcome::Failed(reason),
                None => Outcome::Failed("PROCESSING_ERROR"),
            }
        })
    }
}

/// Bank transfers: nothing to charge; an admin confirms the money arrived.
pub struct BankTransfers;

impl Provider for BankTransfers {
    fn charge<'a>(&'a self, _charge: Charge<'a>) -> BoxFuture<'a, Outcome> {
        Box::pin(async { Outcome::Pending })
    }
}

/// The provider of `method`.
pub fn for_method(method: PaymentMethod) -> &'static dyn Provider {
    match method {
        PaymentMethod::Card => &TestCards,
        PaymentMethod::BankTransfer => &BankTransfers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[tokio::test]
    async fn test_cards_are_deterministic() {
        let charge = |token| Charge {
            key: "k1",
            amount: Money::new(100, Currency::EUR),
            card_token: Some(token),
        };
        let a = TestCards.charge(charge("tok_visa")).await;
        assert!(matches!(&a, Outcome::Succeeded(r) if r.starts_with("ch_test_")));
        assert_eq!(
            TestCards.lookup(charge("tok_visa")).await,
            a,
            "the same key answers the same"
        );
        assert_eq!(
            TestCards.charge(charge("tok_chargeDeclined")).await,
            Outcome::Failed("CARD_DECLINED")
        );
        assert_eq!(
            TestCards.charge(charge("tok_insufficientFunds")).await,
            Outcome::Failed("INSUFFICIENT_FUNDS")
        );
        assert_eq!(
            TestCards.charge(charge("tok_processingError")).await,
            Outcome::Failed("PROCESSING_ERROR")
        );
        assert_eq!(BankTransfers.charge(charge("x")).await, Outcome::Pending);
    }
}
