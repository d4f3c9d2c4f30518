//! The XML-RPC value model, which is also what the monitoring store keeps per attribute.
//!
//! It covers the types of the XML-RPC specification (int/i4, boolean, string, double,
//! base64, dateTime.iso8601, array, struct) plus `Nil`, SEMS's "undefined" `AmArg`. `Nil` is
//! never sent: like xmlrpc2di we send it as int `0`, because Python's `xmlrpc.client`
//! rejects `<nil/>` unless the caller asked for `allow_none`.

use std::collections::BTreeMap;
use std::fmt;

/// One XML-RPC value.
///
/// Integers are kept as `i64`: XML-RPC's `int` is 32-bit, and larger values go out as the
/// common `<i8>` extension (Python's `xmlrpc.client` reads it). Structs are sorted by member
/// name, which is also the order SEMS's `std::map` sends them in.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SEMS's undefined value; sent as int `0`.
    Nil,
    /// `<int>`, `<i4>` or `<i8>`.
    Int(i64),
    /// `<boolean>`.
    Bool(bool),
    /// `<string>` or an untyped `<value>`.
    String(String),
    /// `<double>`.
    Double(f64),
    /// `<base64>`: binary data.
    Base64(Vec<u8>),
    /// `<dateTime.iso8601>`.
    DateTime(DateTime),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<struct>`.
    Struct(BTreeMap<String, Value>),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is a struct.
    pub fn as_struct(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The XML-RPC type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Int(_) => "int",
            Value::Bool(_) => "boolean",
            Value::String(_) => "string",
            Value::Double(_) => "double",
            Value::Base64(_) => "base64",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
        }
    }

    /// An array of values.
    pub fn array(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Array(items.into_iter().collect())
    }

    /// SEMS's `[code, text]` status pair.
    pub fn status(code: i64, text: impl Into<String>) -> Value {
        Value::Array(vec![Value::Int(code), Value::String(text.into())])
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Value {
        Value::Double(d)
    }
}

impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Value {
        Value::Array(a)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(s: BTreeMap<String, Value>) -> Value {
        Value::Struct(s)
    }
}

/// A `dateTime.iso8601` value. XML-RPC gives it no time zone; we keep the fields as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// Year, 0..=9999.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=60 (a leap second is allowed).
    pub second: u8,
}

impl DateTime {
    /// Parses `YYYYMMDDTHH:MM:SS` (what Python sends) or `YYYY-MM-DDTHH:MM:SS`; a trailing
    /// `Z`, fraction or `+hh:mm` offset is accepted and ignored, as XML-RPC has no time zones.
    pub fn parse(text: &str) -> Option<DateTime> {
        let t = text.trim();
        let (date, time) = t.split_once(['T', 't'])?;
        let date: String = date.chars().filter(|c| *c != '-').collect();
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let time = time.get(..8)?;
        let tb = time.as_bytes();
        if tb[2] != b':' || tb[5] != b':' {
            return None;
        }
        let num = |s: &str| -> Option<u16> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let dt = DateTime {
            year: num(&date[0..4])?,
            month: u8::try_from(num(&date[4..6])?).ok()?,
            day: u8::try_from(num(&date[6..8])?).ok()?,
            hour: u8::try_from(num(&time[0..2])?).ok()?,
            minute: u8::try_from(num(&time[3..5])?).ok()?,
            second: u8::try_from(num(&time[6..8])?).ok()?,
        };
        let valid = (1..=12).contains(&dt.month)
            && (1..=31).contains(&dt.day)
            && dt.hour < 24
            && dt.minute < 60
            && dt.second <= 60;
        valid.then_some(dt)
    }
}

impl fmt::Display for DateTime {
    /// The form Python sends and reads: `YYYYMMDDTHH:MM:SS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_forms() {
        let d = DateTime::parse("19980717T14:08:55").unwrap();
        assert_eq!(d.to_string(), "19980717T14:08:55");
        assert_eq!(DateTime::parse("1998-07-17T14:08:55Z"), Some(d));
        assert_eq!(DateTime::parse(" 1998-07-17T14:08:55+02:00 "), Some(d));
        assert_eq!(DateTime::parse("19981317T14:08:55"), None);
        assert_eq!(DateTime::parse("19980717T24:08:55"), None);
        assert_eq!(DateTime::parse("19980717 14:08:55"), None);
        assert_eq!(DateTime::parse("1998071T14:08:55"), None);
        assert_eq!(DateTime::parse("19980717T14-08-55"), None);
        assert_eq!(DateTime::parse("19980717T1é:08:55"), None);
        assert_eq!(DateTime::parse(""), None);
    }
}
