//! State outside the page: JSON files, shareable URLs (`#s=` + base64url of the JSON) and
//! localStorage. The pure parts (base64url, parsing with messages that name what is wrong) are
//! tested natively; the browser parts are thin wrappers over gloo.

use crate::model::{Lab, SavedLab};

/// localStorage key of the last simulation.
pub const STORAGE_KEY: &str = "grouplab.lab";
/// localStorage key of the theme.
pub const THEME_KEY: &str = "grouplab.theme";
/// URL fragment prefix of a shared simulation.
pub const FRAGMENT_PREFIX: &str = "s=";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url (padding `=` accepted at the end). The error names the bad character.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return Err(format!("base64url text has an impossible length {}", text.len()));
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in text.chars().enumerate() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '-' => 62,
            '_' => 63,
            _ => return Err(format!("invalid base64url character {c:?} at position {i}")),
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The lab as JSON (a `Value` first: every saved type then serializes to `Value` only, one
/// instantiation of its serde code in the wasm, shared with the lessons' queries).
fn saved_value(lab: &Lab) -> serde_json::Value {
    serde_json::to_value(lab.to_saved()).unwrap_or_default()
}

/// The lab as a pretty JSON file.
pub fn export_json(lab: &Lab) -> String {
    serde_json::to_string_pretty(&saved_value(lab)).unwrap_or_default()
}

/// Parses and replays a saved simulation. The error says what is wrong (JSON position of a syntax error, field,
/// rejected command).
pub fn import_json(json: &str) -> Result<Lab, String> {
    // Parsed to a `Value` first: every saved type then deserializes from `Value` only (one
    // instantiation of their serde code instead of two in the wasm).
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not a GroupLab simulation file: {e}"))?;
    let saved: SavedLab = grouplab_engine::api::json::from_value(value).map_err(|e| format!("not a GroupLab simulation file: {e}"))?;
    Lab::restore(saved)
}

/// The URL fragment (without `#`) encoding the lab.
pub fn share_fragment(lab: &Lab) -> String {
    let json = saved_value(lab).to_string();
    format!("{FRAGMENT_PREFIX}{}", base64url_encode(json.as_bytes()))
}

/// Decodes a URL fragment (with or without `#`). `None` when it holds no shared simulation.
pub fn lab_from_fragment(fragment: &str) -> Option<Result<Lab, String>> {
    let payload = fragment.trim_start_matches('#').strip_prefix(FRAGMENT_PREFIX)?;
    Some((|| {
        let bytes = base64url_decode(payload).map_err(|e| format!("shared link is damaged: {e}"))?;
        let json = String::from_utf8(bytes).map_err(|_| "shared link is damaged: it does not decode to UTF-8 text".to_string())?;
        import_json(&json).map_err(|e| format!("shared link: {e}"))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::default_scenario;

    /// The file is serde_json's pretty printing of the saved lab.
    #[test]
    fn export_is_the_saved_lab_pretty_printed() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.apply(crate::actions::create_topic("we\"ird{[,:]}\\", 1, 1)).ok();
        lab.advance_by(3_000);
        assert_eq!(export_json(&lab), serde_json::to_string_pretty(&lab.to_saved()).unwrap());
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")];
        for (plain, enc) in vectors {
            assert_eq!(base64url_encode(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zm9vYg==").unwrap(), b"foob");
    }

    #[test]
    fn base64url_round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..bytes.len() {
            assert_eq!(base64url_decode(&base64url_encode(&bytes[..len])).unwrap(), &bytes[..len]);
        }
    }

    #[test]
    fn base64url_rejects_bad_text_with_a_message() {
        assert!(base64url_decode("ab$d").unwrap_err().contains("'$' at position 2"));
        assert!(base64url_decode("abcde").unwrap_err().contains("length"));
    }

    #[test]
    fn share_fragment_round_trips() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(4_000);
        let fragment = share_fragment(&lab);
        let back = lab_from_fragment(&format!("#{fragment}")).unwrap().unwrap();
        assert_eq!(back.sim.state_hash(), lab.sim.state_hash());
        assert!(lab_from_fragment("#lesson=3").is_none());
    }

    #[test]
    fn damaged_inputs_name_the_problem() {
        assert!(lab_from_fragment("#s=%%%").unwrap().unwrap_err().contains("invalid base64url character"));
        let not_json = base64url_encode(b"{\"format\": 1");
        assert!(lab_from_fragment(&format!("s={not_json}")).unwrap().unwrap_err().contains("not a GroupLab simulation file"));
        let err = import_json(r#"{"format":"grouplab-simulation","version":1}"#).unwrap_err();
        assert!(err.contains("missing field"), "{err}");
        assert!(import_json("[1,2]").is_err());
    }
}
