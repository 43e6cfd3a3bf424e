//! Every SQL statement is parameterised (docs/security.md "SQL"): this scans the source of every
//! crate for the statements it hands to sqlx (`query`, `query_as`, `query_scalar`, `raw_sql`,
//! `QueryBuilder::new` and `push`) or to rusqlite (`write_sql`, `prepare_cached`) and accepts only
//! - a string literal or a constant (`UPPER_CASE`), or a `match` whose arms are those;
//! - `format!` of a literal whose interpolations are constants or names listed in `BUILT` below,
//!   each built from constants only (placeholders, a fixed WHERE clause, a generated identifier);
//! - a local variable bound in the same file to one of those.
//!
//! Values always go through `bind` / `push_bind`. A new `format!` of anything else fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Names that may be interpolated into SQL, per file, and why each is not user input.
const BUILT: &[(&str, &str, &str)] = &[
    (
        "juchu-store-sqlite/src/order_list.rs",
        "k",
        "a sort column from a match on OrderSort (constant column names)",
    ),
    (
        "juchu-store-sqlite/src/order_list.rs",
        "dir",
        "`ASC` or `DESC` from `f.ascending`",
    ),
    (
        "juchu-store-sqlite/src/order_list.rs",
        "cmp",
        "`<` or `>` from `f.ascending`",
    ),
    (
        "juchu-store-postgres/src/order_list.rs",
        "k",
        "a sort column from a match on OrderSort (constant column names)",
    ),
    (
        "juchu-store-postgres/src/order_list.rs",
        "dir",
        "`ASC` or `DESC` from `f.ascending`",
    ),
    (
        "juchu-store-postgres/src/order_list.rs",
        "cmp",
        "`<` or `>` from `f.ascending`",
    ),
    (
        "juchu-store-sqlite/src/bank.rs",
        "filter",
        "one of three constant WHERE clauses",
    ),
    (
        "juchu-store-postgres/src/bank.rs",
        "filter",
        "one of three constant WHERE clauses",
    ),
    (
        "juchu-store-sqlite/src/orders.rs",
        "marks",
        "`?, ?, …`: one placeholder per bound value",
    ),
    (
        "juchu/src/bench_search_sql.rs",
        "$sql",
        "the search bench's copy of the store's list SQL: fixed clauses, every value bound (`Bind`)",
    ),
    (
        "juchu/src/bench_util.rs",
        "name",
        "a database name the bench generates (identifiers cannot be bound)",
    ),
    (
        "juchu-testkit/src/db.rs",
        "name",
        "a database name the test kit generates (identifiers cannot be bound)",
    ),
];

/// Calls whose first argument is SQL text.
const SQL_CALLS: &[&str] = &[
    "sqlx::query(",
    "sqlx::query_as(",
    "sqlx::query_scalar(",
    "sqlx::query_as::<",
    "sqlx::query_scalar::<",
    "sqlx::raw_sql(",
    "QueryBuilder::new(",
    // The SQLite writer's own connection (rusqlite; juchu-store-sqlite/src/writer.rs).
    ".write_sql(",
    ".prepare_cached(",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The text of the call's first argument, starting at `open` (the index after `(`).
fn first_arg(src: &str, open: usize) -> &str {
    let b = src.as_bytes();
    let mut depth = 0i32;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => i = end_of_string(src, i),
            b'r' if src[i..].starts_with("r#\"") || src[i..].starts_with("r\"") => {
                i = end_of_string(src, i)
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return src[open..i].trim(),
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => return src[open..i].trim(),
            _ => {}
        }
        i += 1;
    }
    src[open..].trim()
}

/// Index of the last byte of the string literal starting at `start` (`"…"`, `r"…"`, `r#"…"#`).
fn end_of_string(src: &str, start: usize) -> usize {
    let rest = &src[start..];
    if let Some(raw) = rest.strip_prefix('r') {
        let hashes = raw.chars().take_while(|c| *c == '#').count();
        let close = format!("\"{}", "#".repeat(hashes));
        let body = start + 1 + hashes + 1;
        return src[body..]
            .find(&close)
            .map_or(src.len(), |j| body + j + close.len() - 1);
    }
    let b = src.as_bytes();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => return i,
            _ => {}
        }
        i += 1;
    }
    src.len()
}

fn is_literal(arg: &str) -> bool {
    (arg.starts_with('"') || arg.starts_with("r\"") || arg.starts_with("r#\""))
        && end_of_string(arg, 0) == arg.len() - 1
}

fn is_constant(arg: &str) -> bool {
    let name = arg
        .trim_start_matches('&')
        .rsplit("::")
        .next()
        .unwrap_or("");
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Parameters that only hand SQL on, per file: their callers' SQL is scanned at the call.
const FORWARDED: &[(&str, &str, &str)] = &[(
    "juchu-store-sqlite/src/writer.rs",
    "sql",
    "`write_sql` prepares its own parameter; every `write_sql(` call is scanned",
)];

/// Why `arg` (SQL text) is not acceptable, or `None` when it is.
fn check(src: &str, file: &str, arg: &str) -> Option<String> {
    let arg = arg.trim().trim_start_matches('&').trim();
    if is_literal(arg) || is_constant(arg) {
        return None;
    }
    if FORWARDED
        .iter()
        .any(|(f, name, _)| *f == file && *name == arg)
    {
        return None;
    }
    if let Some(inner) = arg.strip_prefix("format!(") {
        return check_format(file, inner);
    }
    if arg.starts_with("match ") {
        // Each arm must be a literal or a constant.
        for arm in arg.split("=>").skip(1) {
            let arm = arm.trim_start().trim_start_matches('{').trim_start();
            let value = if arm.starts_with('"') || arm.starts_with("r\"") || arm.starts_with("r#\"")
            {
                &arm[..=end_of_string(arm, 0).min(arm.len() - 1)]
            } else {
                arm.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .next()
                    .unwrap_or("")
            };
            if !(is_literal(value) || is_constant(value)) {
                return Some(format!("a match arm yields `{value}`"));
            }
        }
        return None;
    }
    if arg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        // A local: its binding in this file must pass too.
        let binding = format!("let {arg} = ");
        let Some(at) = src.find(&binding) else {
            return Some(format!("`{arg}` is not bound in this file"));
        };
        let start = at + binding.len();
        let end = src[start..].find(";\n").map_or(src.len(), |j| start + j);
        return check(src, file, &src[start..end]);
    }
    // A macro's parameter (its call sites pass the SQL): only where BUILT vouches for it.
    if arg.starts_with('$')
        && BUILT
            .iter()
            .any(|(f, name, _)| file.ends_with(f) && *name == arg)
    {
        return None;
    }
    Some(format!("SQL built from `{arg}`"))
}

fn check_format(file: &str, inner: &str) -> Option<String> {
    let inner = inner.trim();
    if !(inner.starts_with('"') || inner.starts_with('r')) {
        return Some("format! without a literal".into());
    }
    let end = end_of_string(inner, 0);
    let template = &inner[..=end];
    let mut names: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        if rest[i + 1..].starts_with('{') {
            rest = &rest[i + 2..];
            continue;
        }
        let j = rest[i..].find('}').map_or(rest.len(), |j| i + j);
        let name = rest[i + 1..j].split(':').next().unwrap_or("").trim();
        // `{}` takes a positional argument, checked below.
        if !name.is_empty() {
            names.push(name.to_owned());
        }
        rest = &rest[j.min(rest.len())..];
    }
    // Positional arguments after the literal.
    for a in inner[end + 1..].split(',') {
        let a = a.trim().trim_end_matches(')').trim();
        if !a.is_empty() {
            names.push(a.to_owned());
        }
    }
    for n in names {
        let allowed = is_constant(&n)
            || BUILT
                .iter()
                .any(|(f, name, _)| file.ends_with(f) && *name == n);
        if !allowed {
            return Some(format!(
                "`{n}` interpolated into SQL (bind it, or list it in BUILT)"
            ));
        }
    }
    None
}

#[test]
fn every_sql_statement_binds_its_values() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for c in std::fs::read_dir(crates).unwrap().flatten() {
        let src = c.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    let mut problems = Vec::new();
    let mut statements = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let file = path
            .strip_prefix(crates)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut found: Vec<(usize, usize)> = Vec::new();
        for call in SQL_CALLS {
            for (at, _) in src.match_indices(call) {
                found.push((at, at + call.len()));
            }
        }
        // `QueryBuilder::<Db>::new(`
        for (at, _) in src.match_indices("QueryBuilder::<") {
            if let Some(j) = src[at..].find(">::new(") {
                found.push((at, at + j + ">::new(".len()));
            }
        }
        // `.push(` on a query builder: the variables bound to one.
        for (at, _) in src.match_indices("QueryBuilder") {
            let before = &src[..at];
            if let Some(l) = before.rfind("let mut ") {
                let var: String = before[l + 8..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !var.is_empty() && before[l..].lines().count() <= 1 {
                    for (p, _) in src.match_indices(&format!("{var}.push(")) {
                        found.push((p, p + var.len() + ".push(".len()));
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        for (at, open) in found {
            // Skip the generic parameter list of `query_as::<…>(`.
            let open = if src[..open].ends_with('<') {
                match src[open..].find(">(") {
                    Some(j) => open + j + 2,
                    None => continue,
                }
            } else {
                open
            };
            statements += 1;
            if let Some(why) = check(&src, &file, first_arg(&src, open)) {
                let line = src[..at].lines().count() + 1;
                problems.push(format!("{file}:{line}: {why}"));
            }
        }
    }
    assert!(
        statements > 100,
        "the scan found only {statements} statements; is it looking?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scan_catches_interpolated_values() {
    let bad = r#"let q = sqlx::query(&format!("SELECT * FROM t WHERE a = '{value}'"));"#;
    let at = bad.find("sqlx::query(").unwrap() + "sqlx::query(".len();
    assert!(check(bad, "x.rs", first_arg(bad, at)).is_some());
    let good = r#"sqlx::query("SELECT * FROM t WHERE a = ?").bind(value)"#;
    assert!(check(good, "x.rs", first_arg(good, 12)).is_none());
    let konst = r#"sqlx::query(&format!("SELECT {COLUMNS} FROM t WHERE a = ?"))"#;
    assert!(check(konst, "x.rs", first_arg(konst, 12)).is_none());
    let via = "let sql = format!(\"SELECT {user} FROM t\");\nsqlx::query(&sql)";
    let at = via.find("sqlx::query(").unwrap() + 12;
    assert!(check(via, "x.rs", first_arg(via, at)).is_some());
}
