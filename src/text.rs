//! Validated text shared by every area: trimmed, bounded strings and skill lists.

use crate::error::{AppError, AppResult};

/// Most skills on a project or portfolio item.
const MAX_SKILLS: usize = 20;
/// Longest skill, in characters.
const MAX_SKILL: usize = 50;

/// Trimmed text of at most `max` characters, at least one unless `may_be_empty`.
pub fn bounded(raw: &str, field: &'static str, max: usize, may_be_empty: bool) -> AppResult<String> {
    let text = raw.trim();
    match text.chars().count() {
        0 if !may_be_empty => Err(AppError::bad_input(field, "must not be empty")),
        n if n > max => Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(text.to_owned()),
    }
}

/// Skills: each trimmed, 1 to 50 characters; duplicates (ignoring case)
/// dropped, first spelling and order kept; at most 20 remain.
pub fn parse_skills(raw: &[String]) -> AppResult<Vec<String>> {
    let mut skills: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for skill in raw {
        let skill = bounded(skill, "skills", MAX_SKILL, false)?;
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
}
