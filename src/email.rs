//! Email addresses in one canonical form, so that two addresses that look
//! alike are the same account, or one of them is refused.
//!
//! The address is trimmed, lower-cased and NFC-normalised. Invisible,
//! control and text-direction characters are refused anywhere. The local
//! part (before `@`) must be NFKC-stable: a fullwidth or other compatibility
//! form would look like a plain one, so it is refused rather than guessed.
//! The domain goes through UTS-46 (IDNA) to its ASCII form, which folds
//! fullwidth and other compatibility forms, so `ann@ｅｘａｍｐｌｅ.com` is
//! `ann@example.com` and `josé@exämple.de` is `josé@xn--exmple-cua.de`.
//! IP addresses are refused as domains. At most 64 bytes before `@` and 254
//! in all (RFC 5321), counted on the canonical form.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::{AppError, AppResult};

/// The longest address, in bytes of the canonical form.
const MAX_BYTES: usize = 254;
/// The longest local part, in bytes.
const MAX_LOCAL_BYTES: usize = 64;
/// Longer input is refused before any work: mapping shrinks a character from at most four bytes to one, so it could not come down to [`MAX_BYTES`].
const MAX_INPUT_BYTES: usize = 4 * MAX_BYTES;

/// Characters that render as nothing (or blank) without being in the categories [`is_hidden`] refuses: the default-ignorable code points outside `Cf` (grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian and other variation selectors), and the blank Braille pattern.
const BLANK_CHARS: &[(char, char)] = &[
    ('\u{034F}', '\u{034F}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{E0100}', '\u{E01EF}'),
];

/// A login email address in canonical form (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Bring an address to its canonical form, or refuse it with `BAD_USER_INPUT` on `field`. Real validation is the verification mail.
    pub fn parse(raw: &str, field: &'static str) -> AppResult<Self> {
        canonical(raw)
            .map(Email)
            .map_err(|refusal| AppError::bad_input(field, refusal.message()))
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Not `local@domain.tld`, or white space inside.
    Malformed,
    /// An invisible, control or text-direction character.
    Hidden,
    /// Over [`MAX_BYTES`].
    TooLong,
    /// A local part over [`MAX_LOCAL_BYTES`].
    LocalTooLong,
    /// A local part that NFKC would change (fullwidth letters, ligatures…).
    CompatibilityForm,
    /// An IP address instead of a domain name.
    IpAddress,
    /// A domain IDNA refuses.
    BadDomain,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Refusal::Malformed => "not a valid email address",
            Refusal::Hidden => "must not contain invisible, control or text-direction characters",
            Refusal::TooLong => "must be at most 254 bytes",
            Refusal::LocalTooLong => "the part before @ must be at most 64 bytes",
            Refusal::CompatibilityForm => {
                "the part before @ must not use fullwidth or other compatibility forms of characters"
            }
            Refusal::IpAddress => "the domain must be a name, not an IP address",
            Refusal::BadDomain => "the domain is not a valid domain name",
        }
    }
}

/// The canonical form of `raw` (see the module docs).
fn canonical(raw: &str) -> Result<String, Refusal> {
    let trimmed = raw.trim();
    if trimmed.len() > MAX_INPUT_BYTES {
        return Err(Refusal::TooLong);
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(Refusal::Malformed);
    }
    if trimmed.chars().any(is_hidden) {
        return Err(Refusal::Hidden);
    }
    let folded: String = trimmed.to_lowercase().nfc().collect();
    let (local, domain) = folded.split_once('@').ok_or(Refusal::Malformed)?;
    check_local(local)?;
    let email = format!("{local}@{}", canonical_domain(domain)?);
    if email.len() > MAX_BYTES {
        return Err(Refusal::TooLong);
    }
    Ok(email)
}

/// Does `c` not show, or control the text around it? Control (`Cc`), format (`Cf`: zero-width characters, soft hyphen, byte order mark, direction marks, embeddings, overrides and isolates), private-use and unassigned characters, and [`BLANK_CHARS`].
fn is_hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::Surrogate
    ) || BLANK_CHARS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// Check a local part, already lower-cased and NFC.
fn check_local(local: &str) -> Result<(), Refusal> {
    if local.is_empty() {
        Err(Refusal::Malformed)
    } else if local.len() > MAX_LOCAL_BYTES {
        Err(Refusal::LocalTooLong)
    } else if !local.nfkc().eq(local.chars()) {
        Err(Refusal::CompatibilityForm)
    } else {
        Ok(())
    }
}

/// A domain's ASCII form by UTS-46 (strict: letters, digits and hyphens, DNS lengths), with at least two labels and not an IP address.
fn canonical_domain(domain: &str) -> Result<String, Refusal> {
    if domain.is_empty() || domain.contains('@') {
        return Err(Refusal::Malformed);
    }
    if domain.starts_with('[') {
        return Err(Refusal::IpAddress);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| Refusal::BadDomain)?;
    let Some((_, top)) = ascii.rsplit_once('.') else {
        return Err(Refusal::Malformed);
    };
    // No top-level domain is all digits: this is a dotted quad (`1.2.3.4`,
    // from any digits UTS-46 maps to ASCII ones) or another IPv4 notation.
    if top.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::IpAddress);
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_to_one_canonical_form() {
        for (raw, canonical_form) in [
            ("  Ann@Example.COM ", "ann@example.com"),
            ("ann@ｅｘａｍｐｌｅ.com", "ann@example.com"),
            ("ann@EXAMPLE．com", "ann@example.com"),
            ("josé@exämple.de", "josé@xn--exmple-cua.de"),
            ("jose\u{301}@exa\u{308}mple.de", "josé@xn--exmple-cua.de"),
            ("JOSÉ@EXÄMPLE.DE", "josé@xn--exmple-cua.de"),
            ("josé@xn--exmple-cua.de", "josé@xn--exmple-cua.de"),
            ("ann+tag@mail.example.co.uk", "ann+tag@mail.example.co.uk"),
            ("ann@例え.jp", "ann@xn--r8jz45g.jp"),
            ("ann@1.example.com", "ann@1.example.com"),
            (
                &format!("{}@example.com", "a".repeat(64)),
                &format!("{}@example.com", "a".repeat(64)),
            ),
        ] {
            assert_eq!(canonical(raw).as_deref(), Ok(canonical_form), "{raw:?}");
        }
    }

    #[test]
    fn canonical_forms_are_stable() {
        for raw in ["josé@exämple.de", "ann@ｅｘａｍｐｌｅ.com", "Ann@Example.COM"] {
            let once = canonical(raw).unwrap();
            assert_eq!(canonical(&once).as_deref(), Ok(once.as_str()));
        }
    }

    #[test]
    fn look_alikes_and_malformed_addresses_are_refused() {
        let long_domain = format!("ann@{}.com", vec!["a".repeat(63); 4].join("."));
        for (raw, refusal) in [
            ("", Refusal::Malformed),
            ("ann", Refusal::Malformed),
            ("@example.com", Refusal::Malformed),
            ("ann@", Refusal::Malformed),
            ("ann@example", Refusal::Malformed),
            ("a b@example.com", Refusal::Malformed),
            ("ann@@example.com", Refusal::Malformed),
            ("ann@exam@ple.com", Refusal::Malformed),
            ("ann\u{00A0}@example.com", Refusal::Malformed),
            ("ann＠example.com", Refusal::Malformed),
            ("admin\u{200B}@example.com", Refusal::Hidden),
            ("ad\u{200C}min@example.com", Refusal::Hidden),
            ("ad\u{200D}min@example.com", Refusal::Hidden),
            ("admin\u{200E}@example.com", Refusal::Hidden),
            ("admin\u{200F}@example.com", Refusal::Hidden),
            ("admin\u{2060}@example.com", Refusal::Hidden),
            ("\u{FEFF}admin@example.com", Refusal::Hidden),
            ("ad\u{00AD}min@example.com", Refusal::Hidden),
            ("admin@exam\u{00AD}ple.com", Refusal::Hidden),
            ("\u{202E}nimda@example.com", Refusal::Hidden),
            ("admin\u{202A}@example.com", Refusal::Hidden),
            ("admin\u{2066}@example.com", Refusal::Hidden),
            ("admin\u{2069}@example.com", Refusal::Hidden),
            ("admin\u{061C}@example.com", Refusal::Hidden),
            ("admin\u{0007}@example.com", Refusal::Hidden),
            ("admin\u{0085}@example.com", Refusal::Malformed),
            ("admin\u{FE0F}@example.com", Refusal::Hidden),
            ("admin\u{3164}@example.com", Refusal::Hidden),
            ("admin\u{E000}@example.com", Refusal::Hidden),
            ("admin\u{E0041}@example.com", Refusal::Hidden),
            ("ＡＤＭＩＮ@example.com", Refusal::CompatibilityForm),
            ("ａdmin@example.com", Refusal::CompatibilityForm),
            ("ﬁle@example.com", Refusal::CompatibilityForm),
            ("admin²@example.com", Refusal::CompatibilityForm),
            ("ann@[127.0.0.1]", Refusal::IpAddress),
            ("ann@[IPv6:::1]", Refusal::IpAddress),
            ("ann@127.0.0.1", Refusal::IpAddress),
            ("ann@１２７.０.０.１", Refusal::IpAddress),
            ("ann@0x7f.1", Refusal::IpAddress),
            ("ann@example..com", Refusal::BadDomain),
            ("ann@example.com.", Refusal::BadDomain),
            ("ann@exa_mple.com", Refusal::BadDomain),
            ("ann@-example.com", Refusal::BadDomain),
            ("ann@xn--a.com", Refusal::BadDomain),
            ("ann@example.com:25", Refusal::BadDomain),
            (&format!("{}@example.com", "a".repeat(65)), Refusal::LocalTooLong),
            (&format!("{}@example.com", "é".repeat(33)), Refusal::LocalTooLong),
            (&long_domain, Refusal::BadDomain),
            (
                &format!("{}@{}.com", "a".repeat(64), vec!["b".repeat(63); 3].join(".")),
                Refusal::TooLong,
            ),
            (&"a".repeat(2000), Refusal::TooLong),
        ] {
            assert_eq!(canonical(raw), Err(refusal), "{raw:?}");
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let err = Email::parse("admin\u{200B}@example.com", "newEmail").unwrap_err();
        assert!(
            matches!(&err, AppError::BadInput { field: "newEmail", message } if message.contains("invisible")),
            "{err:?}"
        );
    }
}
