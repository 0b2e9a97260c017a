//! Validated text shared by every area: trimmed, bounded strings and skill lists.

use crate::error::{AppError, AppResult};

/// Most skills on a project or portfolio item.
const MAX_SKILLS: usize = 20;
/// Longest skill, in characters.
const MAX_SKILL: usize = 50;

/// Trimmed text of at most `max` characters, at least one unless `may_be_empty`, that may span lines (descriptions, letters, a bio): tabs and line breaks pass, other control characters are refused.
pub fn bounded(raw: &str, field: &'static str, max: usize, may_be_empty: bool) -> AppResult<String> {
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(AppError::bad_input(
            field,
            "may not hold control characters other than tab and line breaks",
        ));
    }
    within(raw.trim(), field, max, may_be_empty)
}

/// Like [`bounded`], for text that fits on one line (names, titles, skills, address parts): every control character is refused, line breaks and tabs included.
pub fn line(raw: &str, field: &'static str, max: usize, may_be_empty: bool) -> AppResult<String> {
    if raw.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "must be one line, without line breaks, tabs or other control characters",
        ));
    }
    within(raw.trim(), field, max, may_be_empty)
}

fn within(text: &str, field: &'static str, max: usize, may_be_empty: bool) -> AppResult<String> {
    match text.chars().count() {
        0 if !may_be_empty => Err(AppError::bad_input(field, "must not be empty")),
        n if n > max => Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(text.to_owned()),
    }
}

/// Characters of a refused value an error message quotes.
const EXCERPT: usize = 32;

/// A refused value as an error message quotes it: its first 32 characters, quoted and escaped, and `…` when there was more. A 1 MB value must not make a 1 MB error.
pub fn excerpt(raw: &str) -> String {
    match raw.char_indices().nth(EXCERPT) {
        Some((end, _)) => format!("{:?}…", &raw[..end]),
        None => format!("{raw:?}"),
    }
}

/// Skills: each trimmed, 1 to 50 characters; duplicates (ignoring case) dropped, first spelling and order kept; at most 20 remain.
pub fn parse_skills(raw: &[String]) -> AppResult<Vec<String>> {
    let mut skills: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for skill in raw {
        let skill = line(skill, "skills", MAX_SKILL, false)?;
        let folded = skill.to_lowercase();
        if !seen.contains(&folded) {
            seen.push(folded);
            skills.push(skill);
        }
    }
    if skills.len() > MAX_SKILLS {
        return Err(AppError::bad_input(
            "skills",
            format!("at most {MAX_SKILLS} skills"),
        ));
    }
    Ok(skills)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: Option<AppError>) -> Option<&'static str> {
        match err {
            Some(AppError::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn skills_are_trimmed_deduplicated_and_bounded() {
        let raw = [" Rust ", "rust", "SQL", "ÉLAN", "élan"].map(String::from);
        assert_eq!(
            parse_skills(&raw).ok(),
            Some(vec!["Rust".into(), "SQL".into(), "ÉLAN".into()])
        );
        assert_eq!(field(parse_skills(&[" ".into()]).err()), Some("skills"));
        assert_eq!(field(parse_skills(&["x".repeat(51)]).err()), Some("skills"));
        let twenty: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
        assert!(parse_skills(&twenty).is_ok());
        let many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
        assert_eq!(field(parse_skills(&many).err()), Some("skills"));
        let repeated = vec!["Go".to_owned(); 30];
        assert_eq!(parse_skills(&repeated).ok(), Some(vec!["Go".to_owned()]));
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(bounded("  a  ", "title", 3, false).ok().as_deref(), Some("a"));
        assert_eq!(field(bounded("  ", "title", 3, false).err()), Some("title"));
        assert_eq!(bounded("  ", "description", 3, true).ok().as_deref(), Some(""));
        assert_eq!(field(bounded("abcd", "title", 3, false).err()), Some("title"));
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("12.5x"), "\"12.5x\"");
        let long = "9".repeat(1_000_000);
        assert_eq!(excerpt(&long), format!("\"{}\"…", "9".repeat(32)));
        assert_eq!(excerpt(&"é".repeat(40)).chars().count(), 32 + 3);
    }

    #[test]
    fn lines_refuse_breaks_and_text_refuses_other_controls() {
        assert_eq!(
            bounded("a\r\n\tb", "bio", 10, false).ok().as_deref(),
            Some("a\r\n\tb")
        );
        for bad in ["a\u{0}b", "\u{7f}", "a\u{1b}[0m", "\u{85}"] {
            assert_eq!(
                field(bounded(bad, "bio", 10, false).err()),
                Some("bio"),
                "{bad:?}"
            );
            assert_eq!(field(line(bad, "name", 10, false).err()), Some("name"), "{bad:?}");
        }
        for bad in ["a\nb", "a\rb", "a\tb"] {
            assert_eq!(field(line(bad, "name", 10, false).err()), Some("name"), "{bad:?}");
        }
        assert_eq!(
            line(" Ann Lee ", "name", 10, false).ok().as_deref(),
            Some("Ann Lee")
        );
    }
}
