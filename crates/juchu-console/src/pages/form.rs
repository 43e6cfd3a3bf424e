//! The fields of a posted action form, read by name: every field is text, and what a use case
//! needs (a number, a line id, a carrier) is parsed here with a field-named error.

use juchu_app::AppError;
use std::str::FromStr;

/// One form field's text parsed as `T`: trimmed, blank is `None`, anything else must parse, or
/// the refusal names the field and says `complaint` (e.g. "は数値ではありません / is not a number").
pub fn parse_field<T: FromStr>(
    name: &str,
    text: &str,
    complaint: &str,
) -> Result<Option<T>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(name, format!("`{t}` {complaint}")))
}

/// The posted fields in the order the browser sent them (names may repeat).
#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; `None` when missing or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, which must be given.
    pub fn required(&self, name: &str) -> Result<&str, AppError> {
        self.get(name)
            .ok_or_else(|| AppError::invalid(name, "入力してください / is required"))
    }

    /// `name` parsed as `T` (`None` when blank).
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, AppError> {
        parse_field(
            name,
            self.get(name).unwrap_or(""),
            "は不正な値です / is not a valid value",
        )
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `(suffix, value)` of every non-blank field named `{prefix}{suffix}` (e.g. `qty_<line id>`).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0.iter().filter_map(move |(k, v)| {
            let v = v.trim();
            k.strip_prefix(prefix)
                .filter(|_| !v.is_empty())
                .map(|rest| (rest, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn reads_trims_and_parses() {
        let x = f(&[("a", " 1 "), ("b", ""), ("qty_L1", "2"), ("qty_L2", " ")]);
        assert_eq!(x.get("a"), Some("1"));
        assert_eq!(x.get("b"), None);
        assert_eq!(x.parse::<i64>("a").ok().flatten(), Some(1));
        assert!(x.parse::<i64>("qty_L1").is_ok());
        assert!(f(&[("n", "x")]).parse::<i64>("n").is_err());
        assert!(x.required("b").is_err());
        let q: Vec<_> = x.with_prefix("qty_").collect();
        assert_eq!(q, vec![("L1", "2")]);
    }
}
