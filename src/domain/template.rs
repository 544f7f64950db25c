//! Post templates: text with `{placeholder}`s (`{idea}`, `{point1}`…) filled from the idea.
//! `{{` and `}}` are literal braces. Bad templates get an error that says where, never a panic.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TemplateError {
    #[error("Unknown placeholder {{{name}}} at character {at}. Available: {available}.")]
    Unknown { name: String, at: usize, available: String },
    #[error("The brace at character {at} is never closed. Write {{{{ for a literal brace.")]
    Unclosed { at: usize },
    #[error("The closing brace at character {at} has no opening brace. Write }}}} for a literal brace.")]
    StrayClose { at: usize },
    #[error("\"{{{raw}}}\" at character {at} is not a placeholder name: use letters, digits and _ (like {{point1}}).")]
    BadName { raw: String, at: usize },
    #[error("A template can be at most {max} characters long. Shorten it.")]
    TemplateTooLong { max: usize },
    #[error("Filled in, this template would be longer than {max} characters. Use fewer placeholders or a shorter idea.")]
    OutputTooLong { max: usize },
}

/// Longest template body: posts are shorter than this everywhere.
pub const TEMPLATE_MAX_CHARS: usize = 20_000;
/// Longest filled-in text: above every network's limit (Facebook's 63,206 is the largest), so a
/// real post always fits, while a template full of placeholders cannot multiply an idea into
/// megabytes.
pub const RENDER_MAX_CHARS: usize = 65_000;

fn valid_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(f) if f.is_ascii_lowercase() || f == '_') && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')
}

/// Names used in `template`, in order of first appearance (validated).
pub fn placeholders(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut out: Vec<String> = vec![];
    walk(template, |name, _| {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
        Ok(String::new())
    })?;
    Ok(out)
}

/// Fills every placeholder from `vars`; an unknown name is an error, not an empty string.
pub fn render(template: &str, vars: &HashMap<String, String>) -> Result<String, TemplateError> {
    walk(template, |name, at| {
        vars.get(name).cloned().ok_or_else(|| {
            let mut names: Vec<&str> = vars.keys().map(String::as_str).collect();
            names.sort_unstable();
            TemplateError::Unknown {
                name: name.to_string(),
                at,
                available: names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", "),
            }
        })
    })
}

/// One pass over the template; `fill(name, char_position)` supplies each placeholder.
fn walk(template: &str, mut fill: impl FnMut(&str, usize) -> Result<String, TemplateError>) -> Result<String, TemplateError> {
    let chars: Vec<char> = template.chars().collect();
    if chars.len() > TEMPLATE_MAX_CHARS {
        return Err(TemplateError::TemplateTooLong { max: TEMPLATE_MAX_CHARS });
    }
    let mut out = String::with_capacity(template.len());
    // Characters written so far; checked before each push so memory stays bounded.
    let mut written = 0usize;
    let mut i = 0;
    while i < chars.len() {
        if written > RENDER_MAX_CHARS {
            return Err(TemplateError::OutputTooLong { max: RENDER_MAX_CHARS });
        }
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => {
                out.push('{');
                written += 1;
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                out.push('}');
                written += 1;
                i += 2;
            }
            '}' => return Err(TemplateError::StrayClose { at: i + 1 }),
            '{' => {
                let close = chars[i + 1..].iter().position(|c| *c == '}' || *c == '{').map(|p| p + i + 1);
                match close {
                    Some(j) if chars[j] == '}' => {
                        let raw: String = chars[i + 1..j].iter().collect();
                        let name = raw.trim();
                        if !valid_name(name) {
                            return Err(TemplateError::BadName { raw, at: i + 1 });
                        }
                        let value = fill(name, i + 1)?;
                        written += value.chars().count();
                        if written > RENDER_MAX_CHARS {
                            return Err(TemplateError::OutputTooLong { max: RENDER_MAX_CHARS });
                        }
                        out.push_str(&value);
                        i = j + 1;
                    }
                    _ => return Err(TemplateError::Unclosed { at: i + 1 }),
                }
            }
            c => {
                out.push(c);
                written += 1;
                i += 1;
            }
        }
    }
    if written > RENDER_MAX_CHARS {
        return Err(TemplateError::OutputTooLong { max: RENDER_MAX_CHARS });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fills_placeholders_and_literal_braces() {
        let v = vars(&[("idea", "ship weekly"), ("point1", "small batches")]);
        assert_eq!(
            render("Why we {idea}: {point1}. {{not a placeholder}}", &v).unwrap(),
            "Why we ship weekly: small batches. {not a placeholder}"
        );
        assert_eq!(placeholders("{idea} {point1} {idea}").unwrap(), vec!["idea", "point1"]);
    }

    #[test]
    fn errors_say_what_and_where() {
        let v = vars(&[("idea", "x")]);
        let e = render("Hi {nmae}", &v).unwrap_err();
        assert_eq!(e, TemplateError::Unknown { name: "nmae".into(), at: 4, available: "{idea}".into() });
        assert!(e.to_string().contains("Available: {idea}"));
        assert_eq!(render("a {idea", &v).unwrap_err(), TemplateError::Unclosed { at: 3 });
        assert_eq!(render("a } b", &v).unwrap_err(), TemplateError::StrayClose { at: 3 });
        assert!(matches!(render("{}", &v).unwrap_err(), TemplateError::BadName { .. }));
        assert!(matches!(render("{Point 1}", &v).unwrap_err(), TemplateError::BadName { .. }));
        assert_eq!(render("{ {idea}", &v).unwrap_err(), TemplateError::Unclosed { at: 1 });
    }

    #[test]
    fn oversized_templates_are_refused_before_expanding() {
        let v = vars(&[("idea", "x")]);
        let big = "a".repeat(TEMPLATE_MAX_CHARS + 1);
        assert_eq!(render(&big, &v).unwrap_err(), TemplateError::TemplateTooLong { max: TEMPLATE_MAX_CHARS });
        assert_eq!(render(&"a".repeat(TEMPLATE_MAX_CHARS), &v).unwrap().len(), TEMPLATE_MAX_CHARS);
    }

    #[test]
    fn placeholders_cannot_multiply_an_idea_into_megabytes() {
        // 3,000 placeholders × a 500-character idea would be 1.5 M characters.
        let v = vars(&[("idea", &"i".repeat(500))]);
        let t = "{idea}".repeat(3_000);
        assert_eq!(render(&t, &v).unwrap_err(), TemplateError::OutputTooLong { max: RENDER_MAX_CHARS });
        // A long but real post still renders.
        assert_eq!(render(&"{idea}".repeat(100), &v).unwrap().len(), 50_000);
    }

    proptest! {
        #[test]
        fn output_never_exceeds_the_cap(n in 0usize..400, len in 0usize..400) {
            let v = vars(&[("idea", &"z".repeat(len))]);
            if let Ok(out) = render(&"{idea}".repeat(n), &v) {
                prop_assert!(out.chars().count() <= RENDER_MAX_CHARS);
            }
        }

        #[test]
        fn never_panics(t in "\\PC*") {
            let v = vars(&[("idea", "x"), ("point1", "y")]);
            let _ = render(&t, &v);
            let _ = placeholders(&t);
        }

        #[test]
        fn text_without_braces_is_unchanged(t in "[^{}]*") {
            prop_assert_eq!(render(&t, &HashMap::new()).unwrap(), t);
        }

        #[test]
        fn escaped_braces_round_trip(t in "[^{}]*") {
            let escaped = t.replace('x', "{{x}}");
            prop_assert_eq!(render(&escaped, &HashMap::new()).unwrap(), t.replace('x', "{x}"));
        }

        #[test]
        fn every_known_placeholder_is_filled(a in "[a-z ]{0,20}", b in "[a-z ]{0,20}") {
            let v = vars(&[("idea", &a), ("point1", &b)]);
            prop_assert_eq!(render("[{idea}|{point1}]", &v).unwrap(), format!("[{a}|{b}]"));
        }
    }
}
