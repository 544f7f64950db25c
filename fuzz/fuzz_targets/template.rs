//! The post template renderer: any template and variables give a value or a positioned
//! error, never a panic; escaped text renders back to itself; what `placeholders` accepts,
//! `render` fills. Errors other than the syntax ones (e.g. a size cap) are accepted.
#![no_main]

use covalynce::{placeholders, render, TemplateError};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

#[derive(arbitrary::Arbitrary, Debug)]
struct Input {
    template: String,
    vars: Vec<(String, String)>,
    literal: String,
}

fn is_syntax(e: &TemplateError) -> bool {
    matches!(e, TemplateError::Unclosed { .. } | TemplateError::StrayClose { .. } | TemplateError::BadName { .. })
}

fuzz_target!(|input: Input| {
    let vars: HashMap<String, String> = input.vars.into_iter().collect();
    let rendered = render(&input.template, &vars);
    match placeholders(&input.template) {
        Ok(names) => {
            // A syntactically valid template never fails on syntax when rendered.
            if let Err(e) = &rendered {
                assert!(!is_syntax(e), "placeholders accepted what render rejects: {e:?}");
                if let TemplateError::Unknown { name, .. } = e {
                    assert!(names.contains(name) && !vars.contains_key(name), "unknown {name} is a used, unset name");
                }
            }
            // Supplying every name renders (or hits a non-syntax limit), and each value shows.
            let full: HashMap<String, String> = names.iter().map(|n| (n.clone(), format!("<{n}>"))).collect();
            if let Ok(out) = render(&input.template, &full) {
                for n in &names {
                    assert!(out.contains(&format!("<{n}>")), "{n} was not filled");
                }
            }
        }
        Err(e) => {
            assert!(is_syntax(&e), "placeholders only fails on syntax: {e:?}");
            assert!(rendered.is_err(), "render accepted a template placeholders rejects");
        }
    }
    // Doubling every brace makes any text literal.
    let escaped = input.literal.replace('{', "{{").replace('}', "}}");
    if let Ok(out) = render(&escaped, &HashMap::new()) {
        assert_eq!(out, input.literal);
        assert_eq!(placeholders(&escaped).ok(), Some(vec![]));
    }
});
