//! The messages the server sends, rendered from the plain-text and HTML
//! templates in `templates/` (compiled in). Placeholders are `{{name}}`;
//! values are HTML-escaped in the HTML body. Links are built from
//! `PUBLIC_URL`, never from the request, and carry their token as `token=`.

use super::MailKind;
use crate::config::Config;

/// A rendered message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Which message this is.
    pub kind: MailKind,
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

const LAYOUT: &str = include_str!("templates/layout.html");

/// `(text, html)` templates of a kind.
fn templates(kind: MailKind) -> (&'static str, &'static str) {
    match kind {
        MailKind::VerifyEmail => (
            include_str!("templates/verify_email.txt"),
            include_str!("templates/verify_email.html"),
        ),
        MailKind::ResetPassword => (
            include_str!("templates/reset_password.txt"),
            include_str!("templates/reset_password.html"),
        ),
        MailKind::ConfirmEmailChange => (
            include_str!("templates/confirm_email_change.txt"),
            include_str!("templates/confirm_email_change.html"),
        ),
        MailKind::EmailChanged => (
            include_str!("templates/email_changed.txt"),
            include_str!("templates/email_changed.html"),
        ),
        MailKind::ProfessionalRejected
        | MailKind::RequestAssignedToProfessional
        | MailKind::RequestAssignedToClient
        | MailKind::RequestUnassigned
        | MailKind::RequestCancelled
        | MailKind::RequestCompleted
        | MailKind::BillIssued
        | MailKind::BillVoided
        | MailKind::PaymentReceipt
        | MailKind::BillPaid => (
            include_str!("templates/notice.txt"),
            include_str!("templates/notice.html"),
        ),
    }
}

fn subject(kind: MailKind) -> &'static str {
    match kind {
        MailKind::VerifyEmail => "Confirm your email address",
        MailKind::ResetPassword => "Reset your Agora password",
        MailKind::ConfirmEmailChange => "Confirm your new email address",
        MailKind::EmailChanged => "Your Agora email address was changed",
        MailKind::ProfessionalRejected => "Your professional verification was not accepted",
        MailKind::RequestAssignedToProfessional => "A service request is yours",
        MailKind::RequestAssignedToClient => "A professional will do your service request",
        MailKind::RequestUnassigned => "A service request was taken back",
        MailKind::RequestCancelled => "A service request was cancelled",
        MailKind::RequestCompleted => "A service request was completed",
        MailKind::BillIssued => "A new bill from Agora",
        MailKind::BillVoided => "A bill was voided",
        MailKind::PaymentReceipt => "Your payment receipt",
        MailKind::BillPaid => "A bill of yours was paid",
    }
}

/// Replace every `{{key}}` of `template` by its value.
fn fill(template: &str, values: &[(&str, &str)], escape: bool) -> String {
    values.iter().fold(template.to_owned(), |text, (key, value)| {
        let value = if escape {
            escape_html(value)
        } else {
            (*value).to_owned()
        };
        text.replace(&format!("{{{{{key}}}}}"), &value)
    })
}

fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A front-end page of `PUBLIC_URL` with the token as its query.
fn link(config: &Config, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", config.public_url)
}

fn render(config: &Config, kind: MailKind, to: &str, values: &[(&str, &str)]) -> Mail {
    let (text, html) = templates(kind);
    let subject = subject(kind);
    let public_url = config.public_url.as_str();
    let values = [values, &[("public_url", public_url)]].concat();
    let content = fill(html, &values, true);
    let html = fill(LAYOUT, &[("subject", subject), ("public_url", public_url)], true)
        .replace("{{content}}", &content);
    Mail {
        kind,
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: fill(text, &values, false),
        html,
    }
}

fn whole_hours(d: std::time::Duration) -> String {
    d.as_secs().div_ceil(3600).to_string()
}

/// The sign-up (or resend) message with the verification link.
pub fn verify_email(config: &Config, to: &str, name: &str, token: &str) -> Mail {
    let link = link(config, "verify-email", token);
    let hours = whole_hours(config.accounts.verify_token_ttl);
    render(
        config,
        MailKind::VerifyEmail,
        to,
        &[("name", name), ("link", &link), ("hours", &hours)],
    )
}

/// The password reset message.
pub fn reset_password(config: &Config, to: &str, name: &str, token: &str) -> Mail {
    let link = link(config, "reset-password", token);
    let minutes = config.accounts.reset_token_ttl.as_secs().div_ceil(60).to_string();
    render(
        config,
        MailKind::ResetPassword,
        to,
        &[("name", name), ("link", &link), ("minutes", &minutes)],
    )
}

/// The confirmation sent to a new address before it becomes the login.
pub fn confirm_email_change(config: &Config, new_email: &str, name: &str, token: &str) -> Mail {
    let link = link(config, "verify-email", token);
    let hours = whole_hours(config.accounts.verify_token_ttl);
    render(
        config,
        MailKind::ConfirmEmailChange,
        new_email,
        &[
            ("name", name),
            ("link", &link),
            ("hours", &hours),
            ("new_email", new_email),
        ],
    )
}

/// The notice sent to the old address once the change took effect.
pub fn email_changed(config: &Config, old_email: &str, new_email: &str, name: &str) -> Mail {
    render(
        config,
        MailKind::EmailChanged,
        old_email,
        &[("name", name), ("old_email", old_email), ("new_email", new_email)],
    )
}

/// A short notice about something that happened on Agora: `message` says what, `detail` adds the particulars (a reason, a place; may be empty), and the link opens `page` of the front end.
pub fn notice(
    config: &Config,
    kind: MailKind,
    to: &str,
    name: &str,
    message: &str,
    detail: &str,
    page: &str,
) -> Mail {
    let link = format!("{}/{page}", config.public_url);
    render(
        config,
        kind,
        to,
        &[
            ("name", name),
            ("message", message),
            ("detail", detail),
            ("link", &link),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|k| (k == "PUBLIC_URL").then(|| "https://agora.example.com/".to_owned()))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn links_come_from_public_url_and_carry_the_token() {
        let mail = verify_email(&config(), "ann@example.com", "Ann", "abc_-123");
        let link = "https://agora.example.com/verify-email?token=abc_-123";
        assert!(mail.text.contains(link), "{}", mail.text);
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
        assert!(mail.text.contains("48 hours"));
        let reset = reset_password(&config(), "ann@example.com", "Ann", "t");
        assert!(
            reset
                .text
                .contains("https://agora.example.com/reset-password?token=t")
        );
        assert!(reset.text.contains("60 minutes"));
    }

    #[test]
    fn html_escapes_values_and_fills_every_placeholder() {
        let mail = email_changed(&config(), "old@example.com", "new@example.com", "<b>Ann & Co</b>");
        assert!(mail.html.contains("&lt;b&gt;Ann &amp; Co&lt;/b&gt;"));
        assert!(mail.text.contains("<b>Ann & Co</b>"));
        for kind_mail in [
            mail,
            verify_email(&config(), "a@example.com", "A", "t"),
            reset_password(&config(), "a@example.com", "A", "t"),
            confirm_email_change(&config(), "a@example.com", "A", "t"),
            notice(
                &config(),
                MailKind::RequestCancelled,
                "a@example.com",
                "A",
                "Cancelled.",
                "",
                "x",
            ),
        ] {
            assert!(!kind_mail.text.contains("{{") && !kind_mail.html.contains("{{"));
            assert!(kind_mail.html.contains(&kind_mail.subject));
        }
    }
}
