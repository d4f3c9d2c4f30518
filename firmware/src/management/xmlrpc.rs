//! The XML-RPC codec (<http://xmlrpc.com/spec.md>): `methodCall` and `methodResponse` in both
//! directions, on quick-xml. Sans-IO: strings in, strings out.
//!
//! Things that matter for interoperability with Python's `xmlrpc.client` and with SEMS:
//! - Since quick-xml 0.38, text arrives in pieces split at entity references
//!   (`Event::GeneralRef`), so text is accumulated per element until its end tag, and is never
//!   trimmed: `' a < b '` must come back as it went.
//! - An untyped `<value>x</value>` is a string (XML-RPC spec); whitespace around a typed child
//!   (`<value>\n <int>1</int>\n</value>`) is layout and dropped.
//! - We never send `<nil/>` (Python rejects it without `allow_none`); `Nil` goes out as int 0,
//!   as xmlrpc2di sends SEMS's undefined value.
//! - `\r` is sent as `&#13;`, because an XML parser turns a literal CR into LF (XML 1.0 §2.11).
//!   In the other direction we do *not* normalise line ends in values: Python sends a CR as a
//!   raw byte, and SEMS's xmlrpc++ keeps it, so we do too.
//!   Characters XML 1.0 cannot carry at all (most C0 controls) are sent as U+FFFD.
//! - A `<!DOCTYPE>` is refused (no entity tricks), nesting is limited to [`MAX_DEPTH`].

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use super::base64;
use super::value::{DateTime, Value};

/// How deep arrays and structs may nest in a request.
pub const MAX_DEPTH: usize = 64;

/// A decoded `methodCall`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    /// The method name as sent, e.g. `monitoring.get`.
    pub name: String,
    /// The parameters in order.
    pub params: Vec<Value>,
}

/// An XML-RPC fault: what a method returns instead of a value when it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `faultCode`. xmlrpc2di uses 504 (no such method), 300 (wrong argument count or type),
    /// 400 (bad request) and 500 (anything else).
    pub code: i32,
    /// `faultString`.
    pub message: String,
}

impl Fault {
    /// A fault with this code and message.
    pub fn new(code: i32, message: impl Into<String>) -> Fault {
        Fault {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault {}: {}", self.code, self.message)
    }
}

/// Why a document is not valid XML-RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Decodes a `methodCall` document.
pub fn parse_method_call(xml: &str) -> Result<MethodCall, ParseError> {
    let mut p = Parser::new(xml);
    p.expect_start("methodCall")?;
    p.expect_start("methodName")?;
    let name = p.read_text("methodName")?;
    if name.is_empty() {
        return err("empty methodName");
    }
    let mut params = Vec::new();
    match p.next_tag()? {
        Tag::Start(t) if t == "params" => {
            params = p.read_params()?;
            p.expect_end("methodCall")?;
        }
        Tag::Empty(t) if t == "params" => p.expect_end("methodCall")?,
        Tag::End(t) if t == "methodCall" => {}
        other => return err(format!("expected <params> or </methodCall>, found {other}")),
    }
    p.expect_eof()?;
    Ok(MethodCall { name, params })
}

/// Decodes a `methodResponse` document: the returned value, or the fault.
pub fn parse_method_response(xml: &str) -> Result<Result<Value, Fault>, ParseError> {
    let mut p = Parser::new(xml);
    p.expect_start("methodResponse")?;
    let result = match p.next_tag()? {
        Tag::Start(t) if t == "params" => {
            let mut params = p.read_params()?;
            if params.len() != 1 {
                return err(format!(
                    "a response carries one value, found {}",
                    params.len()
                ));
            }
            Ok(params.remove(0))
        }
        Tag::Start(t) if t == "fault" => {
            p.expect_start("value")?;
            let v = p.read_value(0)?;
            p.expect_end("fault")?;
            let s = v
                .as_struct()
                .ok_or_else(|| ParseError("fault value is not a struct".into()))?;
            let code = match s.get("faultCode") {
                Some(Value::Int(c)) => i32::try_from(*c).unwrap_or(i32::MIN),
                _ => return err("fault without an int faultCode"),
            };
            let message = match s.get("faultString") {
                Some(Value::String(m)) => m.clone(),
                _ => return err("fault without a string faultString"),
            };
            Err(Fault { code, message })
        }
        other => return err(format!("expected <params> or <fault>, found {other}")),
    };
    p.expect_end("methodResponse")?;
    p.expect_eof()?;
    Ok(result)
}

enum Tag {
    Start(String),
    Empty(String),
    End(String),
    Eof,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tag::Start(t) => write!(f, "<{t}>"),
            Tag::Empty(t) => write!(f, "<{t}/>"),
            Tag::End(t) => write!(f, "</{t}>"),
            Tag::Eof => f.write_str("end of document"),
        }
    }
}

fn tag_name(e: &BytesStart<'_>) -> String {
    e.name().as_ref().to_string()
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
}

impl<'a> Parser<'a> {
    fn new(xml: &'a str) -> Parser<'a> {
        let mut reader = Reader::from_str(xml);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
        Parser { reader }
    }

    fn event(&mut self) -> Result<Event<'a>, ParseError> {
        self.reader.read_event().map_err(|e| {
            ParseError(format!(
                "not well-formed XML at byte {}: {e}",
                self.reader.error_position()
            ))
        })
    }

    /// The next tag, skipping the declaration, comments, processing instructions and
    /// whitespace. Text that is not whitespace is an error here.
    fn next_tag(&mut self) -> Result<Tag, ParseError> {
        loop {
            match self.event()? {
                Event::Start(e) => return Ok(Tag::Start(tag_name(&e))),
                Event::Empty(e) => return Ok(Tag::Empty(tag_name(&e))),
                Event::End(e) => return Ok(Tag::End(e.name().as_ref().to_string())),
                Event::Eof => return Ok(Tag::Eof),
                Event::Text(t) => {
                    if !t.xml10_content().chars().all(char::is_whitespace) {
                        return err("unexpected text between elements");
                    }
                }
                Event::CData(_) | Event::GeneralRef(_) => {
                    return err("unexpected text between elements");
                }
                Event::DocType(_) => return err("DOCTYPE is not allowed in XML-RPC"),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            }
        }
    }

    fn expect_start(&mut self, name: &str) -> Result<(), ParseError> {
        match self.next_tag()? {
            Tag::Start(t) if t == name => Ok(()),
            other => err(format!("expected <{name}>, found {other}")),
        }
    }

    fn expect_end(&mut self, name: &str) -> Result<(), ParseError> {
        match self.next_tag()? {
            Tag::End(t) if t == name => Ok(()),
            other => err(format!("expected </{name}>, found {other}")),
        }
    }

    fn expect_eof(&mut self) -> Result<(), ParseError> {
        match self.next_tag()? {
            Tag::Eof => Ok(()),
            other => err(format!("expected end of document, found {other}")),
        }
    }

    /// Accumulates character data until `</end>`: the text of a leaf element.
    fn read_text(&mut self, end: &str) -> Result<String, ParseError> {
        let mut text = String::new();
        loop {
            match self.event()? {
                Event::Text(t) => text.push_str(&t.into_inner()),
                Event::CData(t) => text.push_str(&t.into_inner()),
                Event::GeneralRef(r) => push_reference(&mut text, &r)?,
                Event::Comment(_) | Event::PI(_) => {}
                Event::End(e) if e.name().as_ref() == end => return Ok(text),
                Event::End(e) => {
                    return err(format!("expected </{end}>, found </{}>", e.name().as_ref()));
                }
                Event::Start(e) | Event::Empty(e) => {
                    return err(format!("unexpected <{}> inside <{end}>", tag_name(&e)));
                }
                Event::Eof => return err(format!("document ends inside <{end}>")),
                Event::Decl(_) | Event::DocType(_) => {
                    return err("misplaced XML declaration or DOCTYPE");
                }
            }
        }
    }

    /// `<param><value>..</value></param>`* up to `</params>`.
    fn read_params(&mut self) -> Result<Vec<Value>, ParseError> {
        let mut params = Vec::new();
        loop {
            match self.next_tag()? {
                Tag::Start(t) if t == "param" => {
                    let tag = self.next_tag()?;
                    match self.value_from_tag(&tag, 0) {
                        Some(v) => params.push(v?),
                        None => return err(format!("expected <value>, found {tag}")),
                    }
                    self.expect_end("param")?;
                }
                Tag::End(t) if t == "params" => return Ok(params),
                other => return err(format!("expected <param> or </params>, found {other}")),
            }
        }
    }

    /// If `tag` opens a value (`<value>` or `<value/>`), reads it.
    fn value_from_tag(&mut self, tag: &Tag, depth: usize) -> Option<Result<Value, ParseError>> {
        match tag {
            Tag::Start(t) if t == "value" => Some(self.read_value(depth)),
            Tag::Empty(t) if t == "value" => Some(Ok(Value::String(String::new()))),
            _ => None,
        }
    }

    /// The content of a `<value>` whose start tag has been read, up to and including `</value>`.
    fn read_value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return err(format!("values nest deeper than {MAX_DEPTH} levels"));
        }
        let mut text = String::new();
        loop {
            match self.event()? {
                Event::Text(t) => text.push_str(&t.into_inner()),
                Event::CData(t) => text.push_str(&t.into_inner()),
                Event::GeneralRef(r) => push_reference(&mut text, &r)?,
                Event::Comment(_) | Event::PI(_) => {}
                Event::End(_) => return Ok(Value::String(text)),
                Event::Start(e) => {
                    if !text.chars().all(char::is_whitespace) {
                        return err("text mixed with a typed value");
                    }
                    let name = tag_name(&e);
                    let v = self.read_typed(&name, depth)?;
                    self.expect_end("value")?;
                    return Ok(v);
                }
                Event::Empty(e) => {
                    if !text.chars().all(char::is_whitespace) {
                        return err("text mixed with a typed value");
                    }
                    let v = match e.name().as_ref() {
                        "string" => Value::String(String::new()),
                        "nil" => Value::Nil,
                        "base64" => Value::Base64(Vec::new()),
                        "struct" => Value::Struct(BTreeMap::new()),
                        other => return err(format!("<{other}/> has no value")),
                    };
                    self.expect_end("value")?;
                    return Ok(v);
                }
                Event::Eof => return err("document ends inside <value>"),
                Event::Decl(_) | Event::DocType(_) => {
                    return err("misplaced XML declaration or DOCTYPE");
                }
            }
        }
    }

    /// A typed value whose start tag `<name>` has been read, up to and including `</name>`.
    fn read_typed(&mut self, name: &str, depth: usize) -> Result<Value, ParseError> {
        match name {
            "int" | "i4" | "i8" => {
                let t = self.read_text(name)?;
                let v = t.trim();
                let v = v.strip_prefix('+').unwrap_or(v);
                v.parse::<i64>()
                    .map(Value::Int)
                    .or_else(|_| err(format!("<{name}> '{t}' is not an integer")))
            }
            "boolean" => match self.read_text(name)?.trim() {
                "1" | "true" => Ok(Value::Bool(true)),
                "0" | "false" => Ok(Value::Bool(false)),
                other => err(format!("<boolean> '{other}' is not 0 or 1")),
            },
            "string" => Ok(Value::String(self.read_text(name)?)),
            "double" => {
                let t = self.read_text(name)?;
                t.trim()
                    .parse::<f64>()
                    .map(Value::Double)
                    .or_else(|_| err(format!("<double> '{t}' is not a number")))
            }
            "base64" => {
                let t = self.read_text(name)?;
                base64::decode(&t)
                    .map(Value::Base64)
                    .ok_or_else(|| ParseError("<base64> is not valid base64".into()))
            }
            "dateTime.iso8601" => {
                let t = self.read_text(name)?;
                DateTime::parse(&t)
                    .map(Value::DateTime)
                    .ok_or_else(|| ParseError(format!("<dateTime.iso8601> '{t}' is not a date")))
            }
            "nil" => {
                self.read_text(name)?;
                Ok(Value::Nil)
            }
            "array" => {
                let mut items = Vec::new();
                match self.next_tag()? {
                    Tag::Start(t) if t == "data" => loop {
                        let tag = self.next_tag()?;
                        if let Some(v) = self.value_from_tag(&tag, depth + 1) {
                            items.push(v?);
                            continue;
                        }
                        match tag {
                            Tag::End(t) if t == "data" => break,
                            other => {
                                return err(format!("expected <value> or </data>, found {other}"));
                            }
                        }
                    },
                    Tag::Empty(t) if t == "data" => {}
                    other => return err(format!("expected <data>, found {other}")),
                }
                self.expect_end("array")?;
                Ok(Value::Array(items))
            }
            "struct" => {
                let mut members = BTreeMap::new();
                loop {
                    match self.next_tag()? {
                        Tag::Start(t) if t == "member" => {
                            let (k, v) = self.read_member(depth)?;
                            members.insert(k, v);
                        }
                        Tag::End(t) if t == "struct" => return Ok(Value::Struct(members)),
                        other => {
                            return err(format!("expected <member> or </struct>, found {other}"));
                        }
                    }
                }
            }
            other => err(format!("unknown value type <{other}>")),
        }
    }

    /// `<name>k</name><value>v</value></member>`, in either order.
    fn read_member(&mut self, depth: usize) -> Result<(String, Value), ParseError> {
        let mut name = None;
        let mut value = None;
        loop {
            let tag = self.next_tag()?;
            if value.is_none()
                && let Some(v) = self.value_from_tag(&tag, depth + 1)
            {
                value = Some(v?);
                continue;
            }
            match tag {
                Tag::Start(t) if t == "name" && name.is_none() => {
                    name = Some(self.read_text("name")?);
                }
                Tag::Empty(t) if t == "name" && name.is_none() => name = Some(String::new()),
                Tag::End(t) if t == "member" => {
                    return match (name, value) {
                        (Some(n), Some(v)) => Ok((n, v)),
                        _ => err("<member> needs a <name> and a <value>"),
                    };
                }
                other => return err(format!("unexpected {other} in <member>")),
            }
        }
    }
}

/// Resolves `&lt;`, `&#60;`, ... into `text`. Only XML's predefined entities exist here.
fn push_reference(
    text: &mut String,
    r: &quick_xml::events::BytesRef<'_>,
) -> Result<(), ParseError> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => {
            text.push(c);
            Ok(())
        }
        Ok(None) => {
            let name = r.xml10_content();
            match resolve_predefined_entity(&name) {
                Some(s) => {
                    text.push_str(s);
                    Ok(())
                }
                None => err(format!("unknown entity &{name};")),
            }
        }
        Err(e) => err(format!("bad character reference: {e}")),
    }
}

/// Encodes a `methodCall`.
pub fn encode_method_call(name: &str, params: &[Value]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodCall>\n<methodName>");
    escape_into(&mut out, name);
    out.push_str("</methodName>\n<params>\n");
    for p in params {
        out.push_str("<param>\n");
        encode_value(&mut out, p);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// Encodes a successful `methodResponse` carrying `value`.
pub fn encode_response(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse>\n<params>\n<param>\n");
    encode_value(&mut out, value);
    out.push_str("</param>\n</params>\n</methodResponse>\n");
    out
}

/// Encodes a fault `methodResponse`.
pub fn encode_fault(fault: &Fault) -> String {
    let mut members = BTreeMap::new();
    members.insert("faultCode".to_string(), Value::Int(i64::from(fault.code)));
    members.insert(
        "faultString".to_string(),
        Value::String(fault.message.clone()),
    );
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n");
    encode_value(&mut out, &Value::Struct(members));
    out.push_str("</fault>\n</methodResponse>\n");
    out
}

/// Appends `<value>..</value>` for `v`.
pub fn encode_value(out: &mut String, v: &Value) {
    out.push_str("<value>");
    match v {
        // SEMS sends its undefined value as int 0; Python rejects <nil/>.
        Value::Nil => out.push_str("<int>0</int>"),
        Value::Int(i) => {
            if i32::try_from(*i).is_ok() {
                let _ = write!(out, "<int>{i}</int>");
            } else {
                let _ = write!(out, "<i8>{i}</i8>");
            }
        }
        Value::Bool(b) => {
            let _ = write!(out, "<boolean>{}</boolean>", u8::from(*b));
        }
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Double(d) => {
            // Rust's Display never uses an exponent, as the XML-RPC spec asks.
            let _ = write!(out, "<double>{d}</double>");
        }
        Value::Base64(b) => {
            out.push_str("<base64>");
            out.push_str(&base64::encode(b));
            out.push_str("</base64>");
        }
        Value::DateTime(d) => {
            let _ = write!(out, "<dateTime.iso8601>{d}</dateTime.iso8601>");
        }
        Value::Array(items) => {
            out.push_str("<array><data>\n");
            for item in items {
                encode_value(out, item);
            }
            out.push_str("</data></array>");
        }
        Value::Struct(members) => {
            out.push_str("<struct>\n");
            for (k, item) in members {
                out.push_str("<member><name>");
                escape_into(out, k);
                out.push_str("</name>\n");
                encode_value(out, item);
                out.push_str("</member>\n");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>\n");
}

/// Escapes text for element content (XML 1.0 §2.4, §2.11, §2.2).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// XML 1.0 §2.2 `Char`, less TAB/LF/CR which the caller handles.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value) {
        let xml = encode_method_call("m", std::slice::from_ref(&v));
        let call = parse_method_call(&xml).unwrap();
        assert_eq!(call.params, vec![v.clone()], "{xml}");
        let resp = parse_method_response(&encode_response(&v)).unwrap();
        assert_eq!(resp, Ok(v));
    }

    #[test]
    fn all_types_round_trip() {
        let mut s = BTreeMap::new();
        s.insert("a".to_string(), Value::Int(1));
        s.insert("z <&>".to_string(), Value::array([Value::from("x")]));
        let nested = Value::array([
            Value::Int(-7),
            Value::Int(i64::from(i32::MAX) + 1),
            Value::Int(i64::MIN),
            Value::Bool(true),
            Value::Bool(false),
            Value::from(""),
            Value::from(" a < b & c > d ]]> \t\n"),
            Value::from("Grüße, 日本, 🎉"),
            Value::from("cr\r\nlf"),
            Value::Double(0.1),
            Value::Double(-1.5e300),
            Value::Double(1e-7),
            Value::Base64(vec![0, 1, 2, 255, 254]),
            Value::Base64(vec![]),
            Value::DateTime(DateTime::parse("20261128T02:30:45").unwrap()),
            Value::Array(vec![]),
            Value::Struct(BTreeMap::new()),
            Value::Struct(s),
            Value::array([Value::array([Value::array([Value::Int(3)])])]),
        ]);
        round_trip(nested);
    }

    #[test]
    fn untyped_value_is_a_string_and_entities_join() {
        let xml = "<?xml version='1.0'?><methodCall><methodName>a.b</methodName><params>\
            <param><value> a &lt; b &amp; c &#x263A;&#65; </value></param>\
            <param><value><string>x&gt;</string></value></param>\
            <param><value>\n  <i4> 42 </i4>\n</value></param>\
            <param><value><![CDATA[<raw>&]]>tail</value></param>\
            <param><value/></param>\
            </params></methodCall>";
        let call = parse_method_call(xml).unwrap();
        assert_eq!(call.name, "a.b");
        assert_eq!(
            call.params,
            vec![
                Value::from(" a < b & c ☺A "),
                Value::from("x>"),
                Value::Int(42),
                Value::from("<raw>&tail"),
                Value::from(""),
            ]
        );
    }

    #[test]
    fn python_shapes_parse() {
        // As Python's xmlrpc.client marshals them (nil with allow_none, base64 in lines).
        let xml = "<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n\
            <param>\n<value><nil/></value></param>\n\
            <param>\n<value><base64>\nAAEC\n/w==\n</base64></value>\n</param>\n\
            <param>\n<value><array><data>\n</data></array></value>\n</param>\n\
            <param>\n<value><struct>\n<member>\n<name>k</name>\n<value><boolean>1</boolean></value>\n</member>\n</struct></value>\n</param>\n\
            <param>\n<value><dateTime.iso8601>20261128T02:30:45</dateTime.iso8601></value>\n</param>\n\
            </params>\n</methodCall>\n";
        let call = parse_method_call(xml).unwrap();
        let mut s = BTreeMap::new();
        s.insert("k".to_string(), Value::Bool(true));
        assert_eq!(
            call.params,
            vec![
                Value::Nil,
                Value::Base64(vec![0, 1, 2, 255]),
                Value::Array(vec![]),
                Value::Struct(s),
                Value::DateTime(DateTime::parse("20261128T02:30:45").unwrap()),
            ]
        );
    }

    #[test]
    fn no_params_forms() {
        for xml in [
            "<methodCall><methodName>calls</methodName></methodCall>",
            "<methodCall><methodName>calls</methodName><params/></methodCall>",
            "<methodCall><methodName>calls</methodName><params></params></methodCall>",
        ] {
            let c = parse_method_call(xml).unwrap();
            assert_eq!((c.name.as_str(), c.params.len()), ("calls", 0));
        }
    }

    #[test]
    fn nil_is_never_sent() {
        let xml = encode_response(&Value::array([Value::Nil]));
        assert!(!xml.contains("nil"));
        assert_eq!(
            parse_method_response(&xml).unwrap(),
            Ok(Value::array([Value::Int(0)]))
        );
    }

    #[test]
    fn faults_round_trip() {
        let f = Fault::new(504, "x: unknown method name <&>");
        let xml = encode_fault(&f);
        assert!(xml.contains("<name>faultCode</name>"));
        assert_eq!(parse_method_response(&xml).unwrap(), Err(f));
    }

    #[test]
    fn unrepresentable_characters_become_replacement() {
        let xml = encode_response(&Value::from("a\u{1}b\u{FFFE}c"));
        assert_eq!(
            parse_method_response(&xml).unwrap(),
            Ok(Value::from("a\u{FFFD}b\u{FFFD}c"))
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        let bad = [
            "",
            "garbage",
            "<methodCall>",
            "<methodCall><methodName>x</methodName>",
            "<methodCall><methodName></methodName></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><int>1.5</int></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value>&bogus;</value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><base64>!!</base64></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value>a<int>1</int></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><struct><member><name>a</name></member></struct></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><array><value/></array></value></param></params></methodCall>",
            "<methodCall><methodName>x</methodName></methodCall><extra/>",
            "<methodCall><methodName>x</methodName></methodCall>junk",
            "<!DOCTYPE x [<!ENTITY a 'b'>]><methodCall><methodName>x</methodName></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><int>1</int></value></param></params></wrong>",
            "<methodCall><methodName>a<b/></methodName></methodCall>",
            "<methodCall><methodName>x</methodName><params><param><value><int>99999999999999999999</int></value></param></params></methodCall>",
        ];
        for xml in bad {
            assert!(parse_method_call(xml).is_err(), "accepted: {xml}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = MAX_DEPTH + 5;
        let mut xml = String::from("<methodCall><methodName>x</methodName><params><param><value>");
        for _ in 0..deep {
            xml.push_str("<array><data><value>");
        }
        xml.push_str("<int>1</int></value>");
        for _ in 0..deep {
            xml.push_str("</data></array></value>");
        }
        xml.push_str("</param></params></methodCall>");
        let e = parse_method_call(&xml).unwrap_err();
        assert!(e.0.contains("nest"), "{e}");
    }

    #[test]
    fn response_must_hold_one_value() {
        let two = "<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>";
        assert!(parse_method_response(two).is_err());
        let fault_no_code = "<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>";
        assert!(parse_method_response(fault_no_code).is_err());
    }
}
