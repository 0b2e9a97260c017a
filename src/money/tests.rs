use super::graphql::{Decimal, MoneyInput};
use super::*;

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, currency(code))
}

#[test]
fn currencies_are_iso_codes_with_their_digits() {
    for (text, code, digits) in [
        ("EUR", "EUR", 2),
        (" usd ", "USD", 2),
        ("JPY", "JPY", 0),
        ("KRW", "KRW", 0),
        ("KWD", "KWD", 3),
        ("bhd", "BHD", 3),
    ] {
        let c = currency(text);
        assert_eq!((c.code(), c.digits()), (code, digits), "{text}");
    }
    for unknown in ["XXX", "", "EURO", "€"] {
        assert!(
            matches!(Currency::parse(unknown), Err(MoneyError::UnknownCurrency(_))),
            "{unknown}"
        );
    }
    assert_eq!(Currency::EUR, currency("eur"));
    assert_eq!(Currency::USD, currency("USD"));
}

#[test]
fn parses_exact_minor_units() {
    for (amount, code, minor) in [
        ("1250", "eur", 125_000),
        ("1250.5", "EUR", 125_050),
        ("1250.50", "EUR", 125_050),
        ("0.01", "USD", 1),
        (" 7 ", "USD", 700),
        ("0", "EUR", 0),
        ("0.00", "EUR", 0),
        ("300", "JPY", 300),
        ("1.234", "KWD", 1234),
        ("1.2", "BHD", 1200),
        ("10000000000", "EUR", 1_000_000_000_000),
    ] {
        assert_eq!(
            Money::parse(amount, code),
            Ok(money(minor, code)),
            "{amount} {code}"
        );
    }
}

#[test]
fn refuses_what_is_not_an_amount() {
    for (amount, code) in [
        ("1.001", "EUR"),
        ("1.5", "JPY"),
        ("1.2345", "KWD"),
        ("-5", "EUR"),
        ("+5", "EUR"),
        ("1e3", "EUR"),
        ("1,5", "EUR"),
        ("", "EUR"),
        ("1.", "EUR"),
        (".5", "EUR"),
        ("10000000000.01", "EUR"),
        ("99999999999999", "EUR"),
    ] {
        assert!(
            matches!(Money::parse(amount, code), Err(MoneyError::NotAnAmount { .. })),
            "{amount} {code}"
        );
    }
    assert!(matches!(
        Money::parse("5", "XXX"),
        Err(MoneyError::UnknownCurrency(_))
    ));
}

#[test]
fn zero_is_allowed_unless_positive_is_asked_for() {
    let zero = Money::parse("0", "EUR").unwrap();
    assert_eq!(zero, Money::zero(Currency::EUR));
    assert!(zero.is_zero() && !zero.is_positive());
    assert_eq!(Money::parse_positive("0.00", "EUR"), Err(MoneyError::NotPositive));
    assert_eq!(Money::parse_positive("0.01", "EUR"), Ok(money(1, "EUR")));
    assert!(money(-1, "EUR").checked_add(money(1, "EUR")).unwrap().is_zero());
    assert!(!money(-1, "EUR").is_positive());
}

#[test]
fn formats_with_the_currency_digits() {
    for (minor, code, text) in [
        (125_050, "EUR", "1250.50"),
        (5, "USD", "0.05"),
        (0, "USD", "0.00"),
        (-5, "USD", "-0.05"),
        (-125_050, "EUR", "-1250.50"),
        (300, "JPY", "300"),
        (-300, "JPY", "-300"),
        (1234, "KWD", "1.234"),
        (7, "BHD", "0.007"),
        (i64::MIN, "EUR", "-92233720368547758.08"),
    ] {
        assert_eq!(money(minor, code).amount_text(), text, "{minor} {code}");
    }
}

#[test]
fn parse_and_format_round_trip() {
    for (minor, code) in [
        (125_050, "EUR"),
        (0, "USD"),
        (1, "USD"),
        (300, "JPY"),
        (1, "KWD"),
        (999, "BHD"),
    ] {
        let m = money(minor, code);
        assert_eq!(Money::parse(&m.amount_text(), code), Ok(m), "{minor} {code}");
        let wire = MoneyInput::from(m);
        assert_eq!(wire.parse("m").ok(), Some(m));
    }
    let out = graphql::Money::from(money(125_050, "EUR"));
    assert_eq!(
        (out.amount, out.currency.as_str()),
        (Decimal("1250.50".into()), "EUR")
    );
}

#[test]
fn addition_and_subtraction_keep_to_one_currency() {
    let cases = [
        (
            money(100, "EUR"),
            money(250, "EUR"),
            Ok(money(350, "EUR")),
            Ok(money(-150, "EUR")),
        ),
        (
            money(0, "JPY"),
            money(5, "JPY"),
            Ok(money(5, "JPY")),
            Ok(money(-5, "JPY")),
        ),
        (
            money(100, "EUR"),
            money(100, "USD"),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::USD,
            }),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::USD,
            }),
        ),
        (
            money(i64::MAX, "EUR"),
            money(1, "EUR"),
            Err(MoneyError::Overflow),
            Ok(money(i64::MAX - 1, "EUR")),
        ),
        (
            money(i64::MIN, "EUR"),
            money(1, "EUR"),
            Ok(money(i64::MIN + 1, "EUR")),
            Err(MoneyError::Overflow),
        ),
    ];
    for (a, b, sum, difference) in cases {
        assert_eq!(a.checked_add(b), sum, "{a:?} + {b:?}");
        assert_eq!(a.checked_sub(b), difference, "{a:?} - {b:?}");
    }
}

#[test]
fn multiplication_is_checked() {
    for (minor, quantity, expected) in [
        (1250, 3, Ok(3750)),
        (1250, 0, Ok(0)),
        (1250, -2, Ok(-2500)),
        (i64::MAX, 1, Ok(i64::MAX)),
        (i64::MAX, 2, Err(MoneyError::Overflow)),
        (i64::MIN, -1, Err(MoneyError::Overflow)),
    ] {
        assert_eq!(
            money(minor, "USD").times(quantity),
            expected.map(|m| money(m, "USD")),
            "{minor} × {quantity}"
        );
    }
}

#[test]
fn percentages_round_half_away_from_zero() {
    for (minor, basis_points, expected) in [
        (10_000, 250, Ok(250)),  // 2.5 % of 100.00 is exactly 2.50
        (1_000, 1_000, Ok(100)), // 10 %
        (50, 1_000, Ok(5)),      // 5.0 exactly
        (25, 1_000, Ok(3)),      // 2.5 → 3
        (-25, 1_000, Ok(-3)),    // -2.5 → -3
        (25, -1_000, Ok(-3)),    // a negative rate too
        (15, 1_000, Ok(2)),      // 1.5 → 2
        (-15, 1_000, Ok(-2)),    // -1.5 → -2
        (24, 1_000, Ok(2)),      // 2.4 → 2
        (-24, 1_000, Ok(-2)),    // -2.4 → -2
        (26, 1_000, Ok(3)),      // 2.6 → 3
        (-26, 1_000, Ok(-3)),    // -2.6 → -3
        (1, 5_000, Ok(1)),       // 0.5 → 1
        (-1, 5_000, Ok(-1)),     // -0.5 → -1
        (1, 4_999, Ok(0)),       // 0.4999 → 0
        (12_345, 290, Ok(358)),  // Stripe-like 2.9 %: 358.005 → 358
        (0, 290, Ok(0)),
        (12_345, 0, Ok(0)),
        (i64::MAX, 10_000, Ok(i64::MAX)),
        (i64::MAX, 20_000, Err(MoneyError::Overflow)),
        (i64::MIN, -10_000, Err(MoneyError::Overflow)),
    ] {
        assert_eq!(
            money(minor, "EUR").percent(basis_points),
            expected.map(|m| money(m, "EUR")),
            "{minor} at {basis_points} bp"
        );
    }
    assert_eq!(money(25, "JPY").percent(1_000), Ok(money(3, "JPY")));
    assert_eq!(money(1_005, "KWD").percent(5_000), Ok(money(503, "KWD")));
}

#[test]
fn errors_name_the_input_field() {
    let bad = |amount: &str, code: &str| MoneyInput {
        amount: Decimal(amount.into()),
        currency: code.into(),
    };
    for (input, positive) in [
        (bad("-1", "EUR"), false),
        (bad("5", "XXX"), false),
        (bad("0", "EUR"), true),
    ] {
        let err = if positive {
            input.parse_positive("filter.budgetMin")
        } else {
            input.parse("filter.budgetMin")
        };
        assert!(
            matches!(
                err,
                Err(AppError::BadInput {
                    field: "filter.budgetMin",
                    ..
                })
            ),
            "{input:?}"
        );
    }
    assert_eq!(
        MoneyError::CurrencyMismatch {
            left: Currency::EUR,
            right: Currency::USD
        }
        .message(),
        "cannot combine amounts in EUR and USD"
    );
    assert!(matches!(Money::stored(1, "XXX"), Err(AppError::Internal(_))));
    assert_eq!(Money::stored(1, "EUR").ok(), Some(money(1, "EUR")));
}
