//! Shift_JIS (CP932, as encoding_rs's WHATWG `Shift_JIS` — JIS X 0208 plus the NEC and IBM
//! extensions) with the standard substitutions for characters that only differ by code point.

use crate::FormatError;
use encoding_rs::SHIFT_JIS;

/// Characters Unicode has twice (JIS and Microsoft map the same Shift_JIS code to different code
/// points, e.g. 0x8160 is U+301C WAVE DASH in JIS and U+FF5E FULLWIDTH TILDE in CP932) or that a
/// Mac/IME produces as look-alikes. Used only when the character itself cannot be encoded, so pairs
/// may go both ways. Only standard mappings are here; anything else is an error.
const SUBSTITUTES: &[(char, &str)] = &[
    ('\u{301C}', "\u{FF5E}"), // WAVE DASH ↔ FULLWIDTH TILDE (0x8160)
    ('\u{FF5E}', "\u{301C}"),
    ('\u{2212}', "\u{FF0D}"), // MINUS SIGN ↔ FULLWIDTH HYPHEN-MINUS (0x817C)
    ('\u{FF0D}', "\u{2212}"),
    ('\u{2016}', "\u{2225}"), // DOUBLE VERTICAL LINE ↔ PARALLEL TO (0x8161)
    ('\u{2225}', "\u{2016}"),
    ('\u{2014}', "\u{2015}"), // EM DASH ↔ HORIZONTAL BAR (0x815C)
    ('\u{2015}', "\u{2014}"),
    ('\u{00A2}', "\u{FFE0}"), // ¢ £ ¬ ¦ ↔ their full-width forms
    ('\u{FFE0}', "\u{00A2}"),
    ('\u{00A3}', "\u{FFE1}"),
    ('\u{FFE1}', "\u{00A3}"),
    ('\u{00AC}', "\u{FFE2}"),
    ('\u{FFE2}', "\u{00AC}"),
    ('\u{00A6}', "\u{FFE4}"),
    ('\u{2010}', "-"),   // HYPHEN
    ('\u{2011}', "-"),   // NON-BREAKING HYPHEN
    ('\u{2012}', "-"),   // FIGURE DASH
    ('\u{2013}', "-"),   // EN DASH
    ('\u{2043}', "-"),   // HYPHEN BULLET
    ('\u{FE63}', "-"),   // SMALL HYPHEN-MINUS
    ('\u{00A0}', " "),   // NO-BREAK SPACE
    ('\u{02DC}', "~"),   // SMALL TILDE
    ('\u{20BB7}', "吉"), // 𠮷 (つちよし) → 吉: the JIS level-1 form carriers print
];

fn encodable(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (_, _, had_errors) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    !had_errors
}

/// `s` with every character CP932 can carry, substituting the standard look-alikes; the first
/// character with no standard substitute is an error naming the order and field.
pub fn map_to_cp932(order: &str, field: &'static str, s: &str) -> Result<String, FormatError> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\r' || c == '\n' || c == '\t' {
            // Line breaks would break the fixed layout; a space keeps the words apart.
            out.push(' ');
        } else if encodable(c) {
            out.push(c);
        } else if let Some((_, sub)) = SUBSTITUTES.iter().find(|(from, _)| *from == c) {
            out.push_str(sub);
        } else {
            return Err(FormatError::field(
                order,
                field,
                format!(
                    "`{c}` (U+{:04X}) cannot be written in Shift_JIS",
                    u32::from(c)
                ),
            ));
        }
    }
    Ok(out)
}

/// Bytes in Shift_JIS of text already passed through [`map_to_cp932`].
pub fn encode_cp932(s: &str) -> Result<Vec<u8>, FormatError> {
    let (bytes, _, had_errors) = SHIFT_JIS.encode(s);
    if had_errors {
        return Err(FormatError::File(
            "text cannot be written in Shift_JIS".into(),
        ));
    }
    Ok(bytes.into_owned())
}

/// Width in Shift_JIS bytes (全角 = 2, 半角 = 1), the unit carrier field limits are counted in.
pub(crate) fn sjis_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            SHIFT_JIS.encode(c.encode_utf8(&mut buf)).0.len()
        })
        .sum()
}

/// Text of a file a carrier or a person gave us: UTF-8 (with or without BOM) when it is valid
/// UTF-8, else Shift_JIS; undecodable Shift_JIS bytes are an error, not a replacement character.
pub fn decode_text(bytes: &[u8]) -> Result<String, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, had_errors) = SHIFT_JIS.decode(bytes);
    if had_errors {
        return Err(FormatError::File(
            "the file is neither UTF-8 nor Shift_JIS".into(),
        ));
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_look_alikes_are_mapped() {
        for (a, b) in [("〜", "～"), ("−", "－"), ("‖", "∥"), ("¢", "￠")] {
            let ea = encode_cp932(&map_to_cp932("1", "f", a).unwrap_or_default());
            let eb = encode_cp932(&map_to_cp932("1", "f", b).unwrap_or_default());
            assert!(ea.is_ok() && ea == eb, "{a} {b}");
        }
        assert_eq!(map_to_cp932("1", "f", "a–b").unwrap_or_default(), "a-b");
        assert_eq!(map_to_cp932("1", "f", "𠮷野").unwrap_or_default(), "吉野");
        // NEC/IBM extensions are part of CP932.
        assert_eq!(map_to_cp932("1", "f", "①髙﨑").unwrap_or_default(), "①髙﨑");
    }

    #[test]
    fn unmappable_characters_are_errors_naming_order_and_field() {
        let e = map_to_cp932("1001", "name", "山田😀").err();
        let msg = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("1001") && msg.contains("name") && msg.contains("U+1F600"),
            "{msg}"
        );
    }

    #[test]
    fn detects_the_encoding() {
        let (sjis, _, _) = SHIFT_JIS.encode("伝票番号");
        assert_eq!(decode_text(&sjis).ok().as_deref(), Some("伝票番号"));
        assert_eq!(
            decode_text("\u{FEFF}伝票".as_bytes()).ok().as_deref(),
            Some("伝票")
        );
    }
}
