//! The layers, checked: a module below the feature slices names none of them. The slices are
//! wired in from above (`startup`, `main`): job kinds, periodic tasks and the event job are
//! registered there. Modules still being moved under this rule are not yet listed here; each
//! joins the list once it holds.

use std::path::{Path, PathBuf};

/// The feature slices (and the wiring above them).
const SLICES: &[&str] = &[
    "organisations",
    "users",
    "workspaces",
    "opportunities",
    "notifications",
    "reviews",
    "dashboard",
    "seed",
    "startup",
    "site",
    "openapi",
];

/// Files and folders below the slices that already name none of them.
const LOWER: &[&str] = &[
    "audit.rs",
    "cache.rs",
    "db",
    "email",
    "events.rs",
    "jobs.rs",
    "spreadsheet.rs",
    "tabular",
    "validate.rs",
    "workbook.rs",
    "config.rs",
    "error.rs",
    "schema.rs",
    "state.rs",
    "identity.rs",
    "web",
    // Who is calling (sessions, tokens, device cookies, throttling, password hashing);
    // the sign-in pages and the token endpoints above them are a slice of their own.
    "auth/mod.rs",
    "auth/sessions.rs",
    "auth/tokens.rs",
    "auth/device.rs",
    "auth/throttle.rs",
    "auth/passwords.rs",
];

fn files(place: &Path, out: &mut Vec<PathBuf>) {
    if place.is_dir() {
        for entry in std::fs::read_dir(place).unwrap().flatten() {
            files(&entry.path(), out);
        }
    } else if place.extension().is_some_and(|e| e == "rs") {
        out.push(place.to_path_buf());
    }
}

/// The slices a file names by `crate::<slice>` paths, or inside `crate::{…}` groups.
fn named_slices(text: &str) -> Vec<&'static str> {
    let grouped = grouped_names(text);
    SLICES
        .iter()
        .copied()
        .filter(|slice| {
            let path = format!("crate::{slice}");
            grouped.iter().any(|name| name == slice)
                || text.match_indices(&path).any(|(at, _)| {
                    let next = text[at + path.len()..].chars().next();
                    !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                })
        })
        .collect()
}

/// The first names inside each `crate::{…}` group: `use crate::{users, db::now}` gives
/// `users` and `db`.
fn grouped_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::{") {
        let rest = &text[at + "crate::{".len()..];
        let (mut depth, mut name, mut fresh) = (0, String::new(), true);
        for c in rest.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => fresh = true,
                c if depth == 0 && fresh && (c.is_alphanumeric() || c == '_') => name.push(c),
                _ if depth == 0 && !name.is_empty() => {
                    names.push(std::mem::take(&mut name));
                    fresh = false;
                }
                _ => {}
            }
        }
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[test]
fn no_lower_module_names_a_feature_slice() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for place in LOWER {
        let mut list = Vec::new();
        files(&src.join(place), &mut list);
        assert!(!list.is_empty(), "{place} is not in src");
        for file in list {
            let text = std::fs::read_to_string(&file).unwrap();
            for slice in named_slices(&text) {
                found.push(format!("{} names {slice}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "lower layers must not name slices: {found:#?}"
    );
}

#[test]
fn a_named_slice_is_seen_and_a_longer_name_is_not() {
    assert_eq!(
        named_slices("use crate::reviews::service;"),
        vec!["reviews"]
    );
    assert!(named_slices("use crate::users_extra;").is_empty());
    assert_eq!(
        named_slices("use crate::{db::now, workspaces::model::Rag, self};"),
        vec!["workspaces"]
    );
    assert_eq!(
        named_slices("use crate::{\n    users,\n    error::{AppError, AppResult},\n};"),
        vec!["users"]
    );
    assert!(named_slices("use crate::{db::{now, DbConn}, error::AppError};").is_empty());
}

/// One shape per slice keeps files short: a file that grows past 600 lines is a sign that a
/// sub-resource wants a file of its own.
#[test]
fn no_source_file_is_over_600_lines() {
    let mut list = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut list,
    );
    let long: Vec<String> = list
        .iter()
        .map(|file| (file, std::fs::read_to_string(file).unwrap().lines().count()))
        .filter(|(_, lines)| *lines > 600)
        .map(|(file, lines)| format!("{}: {lines} lines", file.display()))
        .collect();
    assert!(long.is_empty(), "files over 600 lines: {long:#?}");
}

/// Where each function in `text` starts and how many lines it spans, found from the layout
/// rustfmt gives every file: a function ends at the first closing brace at its own indent.
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let after_keywords = [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
        ]
        .iter()
        .fold(code, |rest, k| rest.strip_prefix(k).unwrap_or(rest));
        let Some(signature) = after_keywords.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = signature
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let end = if line.trim_end().ends_with('}') {
            Some(start)
        } else {
            (start..lines.len()).find(|&i| lines[i] == close)
        };
        if let Some(end) = end {
            found.push((name, start + 1, end - start + 1));
        }
    }
    found
}

#[test]
fn function_lengths_are_measured_from_signature_to_closing_brace() {
    let text = "fn a() {\n    one();\n}\n\npub async fn b(\n    x: i32,\n) -> i32 {\n    x\n}\n";
    let got = function_lengths(text);
    assert_eq!(got, vec![("a".into(), 1, 3), ("b".into(), 5, 5)]);
}

/// Short functions read at a glance: none is over 80 lines, except the seeders, which are
/// long lists of demo and benchmark data.
#[test]
fn no_function_is_over_80_lines_except_the_seeders() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let root = src.as_path();
    let mut list = Vec::new();
    files(root, &mut list);
    let long: Vec<(String, usize)> = list
        .iter()
        .filter(|file| !file.starts_with(root.join("seed")))
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            function_lengths(&text)
                .into_iter()
                .filter(|(_, _, lines)| *lines > 80)
                .map(move |(name, _, lines)| {
                    let path = file.strip_prefix(root).unwrap().display();
                    (format!("{path} {name}"), lines)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(long.is_empty(), "functions over 80 lines: {long:#?}");
}

/// The names the API document gives the types it describes: a type's own name, or the one
/// its `#[schema(as = …)]` gives. Two types of one name would be one schema in the
/// document, the second silently describing the first's answers.
fn schema_names(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut names = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
            continue;
        }
        let mut renamed = None;
        for next in lines.iter().skip(i + 1).take(8) {
            let next = next.trim();
            if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                renamed = rest.split(')').next().map(str::to_string);
            }
            let item = ["pub struct ", "pub enum ", "struct ", "enum "]
                .iter()
                .find_map(|k| next.strip_prefix(k));
            if let Some(item) = item {
                let own: String = item
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(renamed.take().unwrap_or(own));
                break;
            }
        }
    }
    names
}

#[test]
fn every_type_in_the_api_document_has_a_name_of_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut list = Vec::new();
    files(&src, &mut list);
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut twice = Vec::new();
    for file in list {
        let text = std::fs::read_to_string(&file).unwrap();
        for name in schema_names(&text) {
            let at = file.display().to_string();
            if let Some(first) = seen.insert(name.clone(), at.clone()) {
                twice.push(format!("{name}: {first} and {at}"));
            }
        }
    }
    assert!(
        twice.is_empty(),
        "give one of each pair a #[schema(as = …)]: {twice:#?}"
    );
    assert_eq!(
        schema_names(
            "#[derive(Serialize, ToSchema)]\n#[schema(as = RowAction)]\npub enum Action {"
        ),
        ["RowAction"]
    );
}
