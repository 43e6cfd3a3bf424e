//! Limits on what a request may carry, checked at the edge before a body becomes domain types
//! (docs/hostile-input.md has the table). Every violation is a [`FieldError`] naming the field and
//! the limit, so a hostile or broken client gets a 422 it can act on instead of a slow request, a
//! deep recursion or a row the database refuses.
//!
//! The limits go by the field's name (the last key of its path), wherever it appears: every `sku`
//! is a code of at most 64 characters, every `reason` at most 1000, whichever request carries it.
//! The OpenAPI document states the same numbers (`maxLength`, `maxItems`) from these tables.

use crate::error::FieldError;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Request bodies larger than this are refused with 413 (all routes).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Arrays and objects nested deeper than this are refused with 422.
pub const MAX_JSON_DEPTH: usize = 32;
/// Strings whose field has no entry in [`STRING_LIMITS`].
pub const MAX_STRING_CHARS: usize = 1000;
/// Arrays and objects whose field has no entry in [`ITEM_LIMITS`].
pub const MAX_ITEMS: usize = 1000;
/// Lines of an uploaded file (tracking import, Zengin statement).
pub const MAX_UPLOAD_LINES: usize = 10_000;
/// Lines of one order (intake and modification) and of any other `lines` list.
pub const MAX_ORDER_LINES: usize = 500;
/// Characters of a query-string value.
pub const MAX_QUERY_CHARS: usize = 1000;
/// At most this many problems are listed in one answer.
const MAX_ERRORS: usize = 20;

/// Longest string, in characters, by field name.
pub const STRING_LIMITS: &[(&str, usize)] = &[
    // Codes and identifiers.
    ("sku", 64),
    ("warehouse", 64),
    ("supplier", 64),
    ("code", 64),
    ("channel", 64),
    ("line_id", 64),
    ("tracking_number", 64),
    ("external_id", 128),
    ("id", 128),
    ("event_id", 200),
    ("card_token", 256),
    ("authorization_id", 256),
    ("charge_permission_id", 256),
    // People and addresses.
    ("name", 200),
    ("kana", 200),
    ("email", 254),
    ("phone", 20),
    ("postal_code", 10),
    ("prefecture", 10),
    ("city", 100),
    ("line1", 200),
    ("line2", 200),
    // Order details.
    ("kind", 32),
    ("time_slot", 16),
    // Free text.
    ("reason", 1000),
    ("note", 2000),
    ("notes", 2000),
];

/// Most items of an array (or entries of an object), by field name.
pub const ITEM_LIMITS: &[(&str, usize)] = &[
    ("lines", MAX_ORDER_LINES),
    ("order_ids", 10_000),
    ("prefectures", 47),
];

/// The longest string allowed in a field of this name.
pub fn max_chars(field: &str) -> usize {
    lookup(STRING_LIMITS, field).unwrap_or(MAX_STRING_CHARS)
}

/// The most items allowed in an array or object of this name.
pub fn max_items(field: &str) -> usize {
    lookup(ITEM_LIMITS, field).unwrap_or(MAX_ITEMS)
}

fn lookup(table: &[(&str, usize)], field: &str) -> Option<usize> {
    table.iter().find(|(f, _)| *f == field).map(|(_, n)| *n)
}

/// Checks a JSON body against the limits: nesting depth, string lengths, array and object sizes,
/// and NUL characters (PostgreSQL cannot store them, so no backend takes them). Malformed JSON is
/// not this function's concern: it passes, and the typed parse that follows reports it.
pub fn check_json(body: &[u8]) -> Result<(), Vec<FieldError>> {
    let mut walk = Walker {
        path: Vec::new(),
        depth: 0,
        errors: Vec::new(),
        too_deep: false,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = Node(&mut walk).deserialize(&mut de).and_then(|()| de.end());
    if walk.errors.is_empty() || (parsed.is_err() && !walk.too_deep) {
        return Ok(());
    }
    Err(walk.errors)
}

enum Seg {
    Key(String),
    Index(usize),
}

struct Walker {
    path: Vec<Seg>,
    depth: usize,
    errors: Vec<FieldError>,
    too_deep: bool,
}

impl Walker {
    /// `lines[0].sku`, as serde_path_to_error names fields elsewhere; `body` for the top level.
    fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() { "body".into() } else { out }
    }

    /// The nearest key: the name the limits go by (an array's items go by the array's name).
    fn name(&self) -> &str {
        self.path
            .iter()
            .rev()
            .find_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .unwrap_or("")
    }

    fn fail(&mut self, field: String, message: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError::new(field, message));
        }
    }

    fn string(&mut self, s: &str) {
        if s.contains('\0') {
            self.fail(self.path(), "must not contain NUL characters".into());
        }
        let max = max_chars(self.name());
        // Counting stops at the limit: a megabyte string costs no more than a short one.
        if s.chars().nth(max).is_some() {
            let n = s.chars().count();
            self.fail(
                self.path(),
                format!("must be at most {max} characters (got {n})"),
            );
        }
    }

    fn key(&mut self, k: &str) {
        let max = MAX_STRING_CHARS;
        if k.contains('\0') || k.chars().nth(max).is_some() {
            self.fail(
                self.path(),
                format!("a key must be at most {max} characters without NUL"),
            );
        }
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.depth += 1;
        if self.depth > MAX_JSON_DEPTH {
            self.too_deep = true;
            self.errors.clear();
            self.errors.push(FieldError::new(
                self.path(),
                format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
            ));
            return Err(E::custom("too deep"));
        }
        Ok(())
    }

    fn items(&mut self, n: usize, kind: &str) {
        let max = max_items(self.name());
        if n == max + 1 {
            self.fail(self.path(), format!("at most {max} {kind}"));
        }
    }
}

/// One JSON value at the walker's current path.
struct Node<'w>(&'w mut Walker);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.0.string(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.0;
        w.enter()?;
        let mut i = 0;
        loop {
            w.path.push(Seg::Index(i));
            let more = seq.next_element_seed(Node(w))?;
            w.path.pop();
            if more.is_none() {
                break;
            }
            i += 1;
            w.items(i, "items");
        }
        w.depth -= 1;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        w.enter()?;
        let mut n = 0;
        while let Some(k) = map.next_key::<String>()? {
            n += 1;
            w.items(n, "entries");
            w.key(&k);
            w.path.push(Seg::Key(k));
            let r = map.next_value_seed(Node(w));
            w.path.pop();
            r?;
        }
        w.depth -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn errors(body: &str) -> Vec<(String, String)> {
        check_json(body.as_bytes())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn fields_go_by_their_name_with_the_path_and_the_limit() {
        let long = "x".repeat(65);
        let e = errors(&format!(
            r#"{{"lines":[{{"sku":"A"}},{{"sku":"{long}"}}]}}"#
        ));
        assert_eq!(
            e,
            vec![(
                "lines[1].sku".into(),
                "must be at most 64 characters (got 65)".into()
            )]
        );
        // Characters, not bytes: 2000 kanji notes pass.
        assert!(errors(&format!(r#"{{"notes":"{}"}}"#, "備".repeat(2000))).is_empty());
        let e = errors(&format!(r#"{{"notes":"{}"}}"#, "備".repeat(2001)));
        assert_eq!(e[0].0, "notes");
    }

    #[test]
    fn depth_is_named_at_the_level_it_is_exceeded() {
        assert!(errors(&format!("{}{}", "[".repeat(32), "]".repeat(32))).is_empty());
        let e = errors(&format!("{}{}", "[".repeat(33), "]".repeat(33)));
        assert_eq!(e.len(), 1);
        assert!(e[0].1.contains("32"), "{e:?}");
        assert_eq!(e[0].0, "[0]".repeat(32));
        // Far deeper than serde_json's own limit still answers with the depth, not a parse error.
        let e = errors(&format!(r#"{{"a":{}}}"#, "[".repeat(100_000)));
        assert!(e[0].1.contains("deeper than 32"), "{e:?}");
    }

    #[test]
    fn arrays_nul_and_malformed_json() {
        let ids: Vec<String> = (0..1001).map(|i| format!("\"{i}\"")).collect();
        let e = errors(&format!(r#"{{"x":[{}]}}"#, ids.join(",")));
        assert_eq!(e, vec![("x".into(), "at most 1000 items".into())]);
        let lines = vec!["{}"; 501].join(",");
        assert_eq!(
            errors(&format!(r#"{{"lines":[{lines}]}}"#))[0].1,
            "at most 500 items"
        );
        assert_eq!(
            errors(r#"{"customer":{"name":"a\u0000b"}}"#),
            vec![(
                "customer.name".into(),
                "must not contain NUL characters".into()
            )]
        );
        // Malformed JSON is left to the typed parse (400).
        assert!(errors(&format!(r#"{{"sku":"{}""#, "x".repeat(100))).is_empty());
    }
}
