//! Reading the file formats (scenarios, saved labs, lesson headers, commands) out of a parsed
//! `serde_json::Value`: [`from_value`], used instead of `serde_json::from_value` at every call
//! site, so every saved type has one `Deserialize` instance.
//!
//! It differs from serde_json's `Value` deserializer in one thing: a struct is read from a JSON
//! object only. serde_json also accepts the struct's fields as a positional array
//! (`[1, 3, ...]` for a `SimConfig`), so each derived struct compiled its field code a second
//! time for that form, which no GroupLab file uses (-4.1 KB gzip of wasm). A struct given as
//! an array is refused with serde's usual message (`invalid type: sequence, expected struct
//! SimConfig`). Enums (`"all"`, `{"random": {"count": 5}}`) are read by serde_json itself, and
//! every message is serde_json's.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Error, Value};

/// `serde_json::from_value`, except that a struct must be a JSON object (see the module doc).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Json(value))
}

/// A JSON value being read into a Rust type.
struct Json(Value);

impl<'de> Deserializer<'de> for Json {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let len = items.len();
                let mut seq = Items(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                match seq.0.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(len, &"fewer elements in array")),
                }
            }
            Value::Object(map) => {
                let len = map.len();
                let mut entries = Entries { entries: map.into_iter(), value: None };
                let value = visitor.visit_map(&mut entries)?;
                match entries.entries.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::invalid_length(len, &"fewer elements in map")),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(Json(value)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// Fields by name, from an object only.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

/// What a value is, for an `invalid type` message (as serde_json words it).
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            (None, None) => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// An array's elements.
struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|value| seed.deserialize(Json(value))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// An object's entries; `value` is the one whose key was just read.
struct Entries {
    entries: <serde_json::Map<String, Value> as IntoIterator>::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Json(Value::String(key))).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(Json(value)),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;
    use crate::Scenario;

    #[test]
    fn reads_what_serde_json_reads_and_says_the_same() {
        let text = r#"{"name": "s", "config": {"seed": 3, "brokers": 2}, "commands": [
            {"at_ms": 5, "command": {"type": "add_producer", "topic": "t", "rate_per_sec": 2, "keys": {"random": {"count": 4}}, "acks": "1"}},
            {"at_ms": 6, "command": {"type": "produce", "topic": "t", "count": 1, "key": null}}]}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let ours: Scenario = from_value(value.clone()).unwrap();
        assert_eq!(ours, serde_json::from_value::<Scenario>(value).unwrap());
        for bad in [r#"{"seed": "x"}"#, r#"{"brokers": 300000000000}"#, r#"{"seed": 1, "nope": 2}"#, r#"{"seed": -1}"#, r#"{"seed": null}"#] {
            let value: Value = serde_json::from_str(bad).unwrap();
            let ours = from_value::<SimConfig>(value.clone()).unwrap_err().to_string();
            assert_eq!(ours, serde_json::from_value::<SimConfig>(value).unwrap_err().to_string(), "{bad}");
        }
    }

    #[test]
    fn a_struct_is_an_object() {
        let err = from_value::<SimConfig>(serde_json::json!([1, 2])).unwrap_err().to_string();
        assert_eq!(err, "invalid type: sequence, expected struct SimConfig");
        let err = from_value::<SimConfig>(serde_json::json!(7)).unwrap_err().to_string();
        assert_eq!(err, "invalid type: integer `7`, expected struct SimConfig");
    }
}
