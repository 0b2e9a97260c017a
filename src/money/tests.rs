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

#[test]
fn quantities_times_prices_round_half_away_from_zero() {
    let eur = |minor| Money::new(minor, Currency::EUR);
    // 1.5 × 0.33 = 0.495 → 0.50; 2.333 × 10.00 = 23.33; 0.001 × 0.49 = 0.00049 → 0.00
    assert_eq!(eur(33).times_milli(1500).map(Money::minor), Ok(50));
    assert_eq!(eur(1000).times_milli(2333).map(Money::minor), Ok(2333));
    assert_eq!(eur(49).times_milli(1).map(Money::minor), Ok(0));
    assert_eq!(eur(500).times_milli(1).map(Money::minor), Ok(1), "0.005 → 0.01");
    assert_eq!(eur(-500).times_milli(1).map(Money::minor), Ok(-1), "symmetric");
    assert_eq!(eur(1).times_milli(1000).map(Money::minor), Ok(1));
    let yen = money(101, "JPY");
    assert_eq!(yen.times_milli(500).map(Money::minor), Ok(51), "50.5 yen → 51");
    assert!(eur(i64::MAX).times_milli(2000).is_err());
}

#[test]
fn tax_rounds_half_away_from_zero() {
    let eur = |minor| Money::new(minor, Currency::EUR);
    // 19 % of 10.05 = 1.9095 → 1.91; 7 % of 0.50 = 0.035 → 0.04; 19.25 % of 1.00 = 0.1925 → 0.19
    assert_eq!(eur(1005).percent(1900).map(Money::minor), Ok(191));
    assert_eq!(eur(50).percent(700).map(Money::minor), Ok(4));
    assert_eq!(eur(100).percent(1925).map(Money::minor), Ok(19));
    assert_eq!(eur(0).percent(1900).map(Money::minor), Ok(0));
}

#[test]
fn fixed_decimals_parse_and_print() {
    assert_eq!(parse_fixed("1.5", 3), Some(1500));
    assert_eq!(parse_fixed(" 2 ", 3), Some(2000));
    assert_eq!(parse_fixed("0.125", 3), Some(125));
    for bad in ["1.2345", "-1", "1e3", "", ".5", "1."] {
        assert_eq!(parse_fixed(bad, 3), None, "{bad}");
    }
    assert_eq!(parse_fixed("19.25", 2), Some(1925));
    assert_eq!(fixed_text(1500, 3), "1.500");
    assert_eq!(fixed_text(1925, 2), "19.25");
    assert_eq!(fixed_text(5, 0), "5");
}
