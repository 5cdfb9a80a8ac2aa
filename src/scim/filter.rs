//! SCIM 2.0 filter (RFC 7644 §3.4.2.2) and PATCH path (RFC 7644 §3.5.2) parser producing an AST.
//!
//! Standard library only. Input is limited to [`MAX_INPUT_LEN`] bytes and nesting of
//! `(...)`, `not (...)` and `[...]` to [`MAX_DEPTH`], so recursion is bounded; no input panics.
//! Only syntax is checked: attribute existence, operator/value type compatibility and case
//! rules are the caller's job. Names keep their original case; keywords are case-insensitive.

use std::fmt;

/// Longest accepted input, in bytes.
pub const MAX_INPUT_LEN: usize = 4096;
/// Deepest accepted nesting of `(...)`, `not (...)` and `[...]` (each counts one level).
pub const MAX_DEPTH: usize = 32;

/// A comparison value (`compValue`): a JSON string, number, `true`, `false` or `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A comparison operator (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An attribute path: optional schema URN (e.g. "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), attribute name, optional sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// attr[filter] — the inner filter's paths are relative to the elements of `path` (path.sub is None here).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH path: attrPath, or valuePath with an optional trailing ".subAttr".
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

/// A parse failure; `position` is a byte offset into the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub position: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.position)
    }
}

impl std::error::Error for ParseError {}

/// Parses a SCIM filter expression (e.g. the `filter` query parameter).
///
/// # Errors
/// A [`ParseError`] for malformed input, input over [`MAX_INPUT_LEN`] bytes or nesting over [`MAX_DEPTH`].
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut p = Parser::new(input)?;
    let f = p.filter(false)?;
    p.finish()?;
    Ok(f)
}

/// Parses the `path` of a SCIM PATCH operation.
///
/// # Errors
/// As [`parse_filter`]; also a filter after a sub-attribute (`name.x[...]`) or nested value paths.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ParseError> {
    let mut p = Parser::new(input)?;
    p.skip_ws();
    let path = p.attr_path()?;
    let (mut filter, mut sub) = (None, None);
    if p.peek() == Some('[') {
        filter = Some(p.value_filter(&path, false)?);
        if p.peek() == Some('.') {
            p.pos += 1;
            sub = Some(p.name()?);
        }
    }
    p.finish()?;
    Ok(PatchPath { path, filter, sub })
}

fn err(message: impl Into<String>, position: usize) -> ParseError {
    let message = message.into();
    ParseError { message, position }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$')
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

struct Parser<'a> {
    s: &'a str,
    /// Byte offset of the cursor; always on a char boundary.
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Result<Self, ParseError> {
        if s.len() > MAX_INPUT_LEN {
            let msg = format!("input longer than {MAX_INPUT_LEN} bytes");
            return Err(err(msg, MAX_INPUT_LEN));
        }
        let (pos, depth) = (0, 0);
        Ok(Parser { s, pos, depth })
    }
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    /// Skips ASCII whitespace; returns whether any was skipped.
    fn skip_ws(&mut self) -> bool {
        let r = self.rest();
        let trimmed = r.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let n = r.len() - trimmed.len();
        self.pos += n;
        n > 0
    }
    fn finish(&mut self) -> Result<(), ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(err(format!("unexpected '{c}'"), self.pos)),
        }
    }
    /// The maximal run of attribute-name characters at the cursor (not consumed).
    fn word(&self) -> &'a str {
        let r = self.rest();
        let end = r.find(|c: char| !is_name_char(c)).unwrap_or(r.len());
        r.get(..end).unwrap_or("")
    }
    /// Consumes optional whitespace plus the case-insensitive word `kw`, or nothing.
    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        self.skip_ws();
        let found = self.word().eq_ignore_ascii_case(kw);
        self.pos = if found { self.pos + kw.len() } else { save };
        found
    }

    fn filter(&mut self, inner: bool) -> Result<Filter, ParseError> {
        let mut left = self.and_expr(inner)?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and_expr(inner)?));
        }
        Ok(left)
    }

    fn and_expr(&mut self, inner: bool) -> Result<Filter, ParseError> {
        let mut left = self.unary(inner)?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary(inner)?));
        }
        Ok(left)
    }

    fn unary(&mut self, inner: bool) -> Result<Filter, ParseError> {
        self.skip_ws();
        if self.word().eq_ignore_ascii_case("not") {
            self.pos += 3;
            self.skip_ws();
            if self.peek() != Some('(') {
                return Err(err("'not' must be followed by '('", self.pos));
            }
            return Ok(Filter::Not(Box::new(self.nested(')', inner)?)));
        }
        if self.peek() == Some('(') {
            return self.nested(')', inner);
        }
        let path = self.attr_path()?;
        if self.peek() == Some('[') {
            let filter = Box::new(self.value_filter(&path, inner)?);
            if self.peek() != Some('.') {
                return Ok(Filter::ValuePath { path, filter });
            }
            // `emails[type eq "work"].value eq "x"`: not in RFC 7644's grammar, but what
            // Entra ID documents for its uniqueness lookups. It means the element that
            // matches both, i.e. `emails[type eq "work" and value eq "x"]`.
            self.pos += 1;
            let sub = AttrPath {
                urn: None,
                attr: self.name()?,
                sub: None,
            };
            let compare = Box::new(self.comparison(sub)?);
            let filter = Box::new(Filter::And(filter, compare));
            return Ok(Filter::ValuePath { path, filter });
        }
        self.comparison(path)
    }

    /// The ` op value` (or ` pr`) after an attribute path.
    fn comparison(&mut self, path: AttrPath) -> Result<Filter, ParseError> {
        use CompareOp::{Co, Eq, Ew, Ge, Gt, Le, Lt, Ne, Sw};
        if !self.skip_ws() {
            return Err(err("expected whitespace after attribute path", self.pos));
        }
        let w = self.word();
        if w.eq_ignore_ascii_case("pr") {
            self.pos += 2;
            return Ok(Filter::Present(path));
        }
        let names = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];
        let ops = [Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le];
        let mut table = names.into_iter().zip(ops);
        let Some((_, op)) = table.find(|(n, _)| n.eq_ignore_ascii_case(w)) else {
            return Err(err(format!("expected operator, found '{w}'"), self.pos));
        };
        self.pos += 2;
        let had_ws = self.skip_ws();
        if matches!(self.peek(), None | Some(')' | ']')) {
            return Err(err("missing comparison value", self.pos));
        } else if !had_ws {
            return Err(err("expected whitespace after operator", self.pos));
        }
        let value = self.value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// Parses the `[valFilter]` of a value path; the cursor is on the `[`.
    fn value_filter(&mut self, path: &AttrPath, inner: bool) -> Result<Filter, ParseError> {
        if inner {
            return Err(err("nested value paths are not allowed", self.pos));
        } else if path.sub.is_some() {
            let msg = "a value filter must directly follow the attribute name";
            return Err(err(msg, self.pos));
        }
        self.nested(']', true)
    }

    /// Parses `( filter )` or `[ valFilter ]`; the cursor is on the opening character.
    fn nested(&mut self, close: char, inner: bool) -> Result<Filter, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(err(format!("nesting deeper than {MAX_DEPTH}"), self.pos));
        }
        self.depth += 1;
        self.pos += 1;
        let f = self.filter(inner)?;
        self.skip_ws();
        if self.peek() != Some(close) {
            return Err(err(format!("expected '{close}'"), self.pos));
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(f)
    }

    fn attr_path(&mut self) -> Result<AttrPath, ParseError> {
        let rest = self.rest();
        let mut urn = None;
        if rest.get(..4).unwrap_or("").eq_ignore_ascii_case("urn:") {
            let len = rest.find(|c: char| !(is_name_char(c) || matches!(c, '.' | ':' | '%')));
            let token = rest.get(..len.unwrap_or(rest.len())).unwrap_or("");
            let colon = token.rfind(':').unwrap_or(0);
            if colon <= 4 {
                return Err(err("invalid schema URN", self.pos));
            }
            urn = Some(token.get(..colon).unwrap_or("").to_string());
            self.pos += colon + 1;
        }
        let attr = self.name()?;
        let mut sub = None;
        if self.peek() == Some('.') {
            self.pos += 1;
            sub = Some(self.name()?);
            if self.peek() == Some('.') {
                return Err(err("only one level of sub-attribute is allowed", self.pos));
            }
        }
        Ok(AttrPath { urn, attr, sub })
    }

    /// ATTRNAME: ALPHA *(ALPHA / DIGIT / "-" / "_" / "$"), also accepting a leading "$" (`$ref`).
    fn name(&mut self) -> Result<String, ParseError> {
        let w = self.word();
        let body = w.trim_start_matches('$');
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(err("expected attribute name", self.pos));
        }
        self.pos += w.len();
        Ok(w.to_string())
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some('"') => return self.string().map(Value::Str),
            Some(c) if c == '-' || c.is_ascii_digit() => return self.number(),
            _ => {}
        }
        let w = self.word();
        let v = match w.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            "" => return Err(err("expected value", self.pos)),
            _ => return Err(err(format!("invalid value '{w}'"), self.pos)),
        };
        self.pos += w.len();
        Ok(v)
    }

    /// A JSON number; must be finite as an f64.
    fn number(&mut self) -> Result<Value, ParseError> {
        let r = self.rest();
        let len = r.find(|c: char| !(is_name_char(c) || matches!(c, '.' | '+')));
        let t = r.get(..len.unwrap_or(r.len())).unwrap_or("");
        let mut parts = t.strip_prefix('-').unwrap_or(t).splitn(2, ['e', 'E']);
        let (mant, exp) = (parts.next().unwrap_or(""), parts.next());
        let mut parts = mant.splitn(2, '.');
        let (int, frac) = (parts.next().unwrap_or(""), parts.next());
        let valid = all_digits(int)
            && (int == "0" || !int.starts_with('0'))
            && frac.is_none_or(all_digits)
            && exp.is_none_or(|e| all_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
        match t.parse::<f64>() {
            Ok(v) if valid && v.is_finite() => {
                self.pos += t.len();
                Ok(Value::Num(v))
            }
            _ => Err(err(format!("invalid number '{t}'"), self.pos)),
        }
    }

    /// A JSON string; the cursor is on the opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let unterminated = || err("unterminated string", start);
        loop {
            let at = self.pos;
            let c = self.peek().ok_or_else(unterminated)?;
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.peek().ok_or_else(unterminated)?;
                    self.pos += e.len_utf8();
                    out.push(match e {
                        '"' | '\\' | '/' => e,
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.unicode_escape(at)?,
                        _ => return Err(err("invalid escape sequence", at)),
                    });
                }
                c if c < ' ' => return Err(err("control character in string", at)),
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self.rest().get(..4).unwrap_or("");
        match u32::from_str_radix(h, 16) {
            Ok(v) if h.len() == 4 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => Err(err("expected 4 hex digits", self.pos)),
        }
    }

    /// Decodes the `XXXX` of `\uXXXX`, plus the low half of a surrogate pair if needed.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let mut code = hi;
        if (0xD800..0xDC00).contains(&hi) && self.rest().starts_with("\\u") {
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            }
        }
        char::from_u32(code).ok_or_else(|| err("unpaired surrogate in \\u escape", at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use CompareOp::*;

    fn p(a: &str) -> AttrPath {
        let (urn, attr, sub) = (None, a.into(), None);
        AttrPath { urn, attr, sub }
    }
    fn cmp(a: &str, op: CompareOp, n: f64) -> Filter {
        let (path, value) = (p(a), Value::Num(n));
        Filter::Compare { path, op, value }
    }
    fn error(i: &str) -> ParseError {
        match parse_filter(i) {
            Ok(f) => panic!("accepted {i:?} as {f:?}"),
            Err(e) => e,
        }
    }
    fn ok(i: &str) -> Filter {
        parse_filter(i).unwrap_or_else(|e| panic!("{i:?}: {e}"))
    }

    /// Renders a filter. `full`: parenthesise every nested and/or and show URNs as `<urn>`;
    /// otherwise use the fewest parentheses precedence allows.
    fn render(f: &Filter, full: bool) -> String {
        let logic = |x: &Filter| matches!(x, Filter::And(..) | Filter::Or(..));
        let r = |x: &Filter, paren: bool| match paren || (full && logic(x)) {
            true => format!("({})", render(x, full)),
            false => render(x, full),
        };
        let is_or = |x: &Filter| matches!(x, Filter::Or(..));
        let rp = |p: &AttrPath| rpath(p, full);
        match f {
            Filter::Compare { path, op, value } => {
                let op = format!("{op:?}").to_lowercase();
                format!("{} {op} {}", rp(path), rvalue(value))
            }
            Filter::Present(path) => format!("{} pr", rp(path)),
            Filter::ValuePath { path, filter } => format!("{}[{}]", rp(path), render(filter, full)),
            Filter::Not(x) => format!("not ({})", render(x, full)),
            Filter::Or(a, b) => format!("{} or {}", r(a, false), r(b, is_or(b))),
            Filter::And(a, b) => format!("{} and {}", r(a, is_or(a)), r(b, logic(b))),
        }
    }
    fn rpath(p: &AttrPath, full: bool) -> String {
        let (open, close) = if full { ("<", ">") } else { ("", ":") };
        let urn = p.urn.as_ref().map(|u| format!("{open}{u}{close}"));
        let sub = p.sub.as_ref().map(|s| format!(".{s}")).unwrap_or_default();
        format!("{}{}{sub}", urn.unwrap_or_default(), p.attr)
    }
    fn rvalue(v: &Value) -> String {
        match v {
            Value::Str(s) => {
                let esc = |c: char| match c {
                    '"' | '\\' => format!("\\{c}"),
                    c if c < ' ' => format!("\\u{:04x}", u32::from(c)),
                    c => c.to_string(),
                };
                format!("\"{}\"", s.chars().map(esc).collect::<String>())
            }
            Value::Num(n) => format!("{n:?}"),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".into(),
        }
    }
    /// Each line is `input => expected full rendering`, or just `input` if the two are equal.
    fn table(cases: &str) {
        for line in cases.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (input, want) = line.split_once(" => ").unwrap_or((line, line));
            assert_eq!(render(&ok(input), true), want, "{input}");
        }
    }

    #[test]
    fn operators_case_and_precedence() {
        for op in [Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le] {
            let low = format!("{op:?}").to_lowercase();
            for txt in [low.clone(), low.to_uppercase(), format!("{op:?}")] {
                assert_eq!(ok(&format!("a {txt} 1")), cmp("a", op, 1.0));
            }
        }
        let (a, b, c) = (cmp("a", Eq, 1.0), cmp("b", Eq, 2.0), cmp("c", Eq, 3.0));
        let b_and_c = Filter::And(Box::new(b), Box::new(c));
        assert_eq!(
            ok("a eq 1 or b eq 2 and c eq 3"),
            Filter::Or(Box::new(a), Box::new(b_and_c))
        );
        let cases = r#"
            title PR => title pr
            userName EQ "x" AnD NOT (title Pr) Or a eq TRUE => (userName eq "x" and not (title pr)) or a eq true
            a eq 1 and b eq 2 or c eq 3 => (a eq 1.0 and b eq 2.0) or c eq 3.0
            (a eq 1 or b eq 2) and c eq 3 => (a eq 1.0 or b eq 2.0) and c eq 3.0
            a pr or b pr or c pr => (a pr or b pr) or c pr
            a pr and b pr and c pr => (a pr and b pr) and c pr
            a pr or b pr and c pr or d pr => (a pr or (b pr and c pr)) or d pr
            a pr and (b pr or c pr) and not (d pr and e pr) => (a pr and (b pr or c pr)) and not (d pr and e pr)
            not(not (a pr or b pr)) => not (not (a pr or b pr))
            ((a pr)) and(b pr)or(c pr) => (a pr and b pr) or c pr
            a  eq	 1  and	c   ne 3.5 => a eq 1.0 and c ne 3.5
            "#;
        table(cases);
    }

    #[test]
    fn values_paths_and_escapes() {
        let cases = r#"
            a eq "q\"b\\s\/\b\f\n\r\t\u00e9\uD83D\uDE00" => a eq "q\"b\\s/\u0008\u000c\u000a\u000d\u0009é😀"
            a eq "héllo 😀 ü"
            a eq ""
            a gt 0 => a gt 0.0
            a gt -1.5e3 => a gt -1500.0
            a lt 2.5E+2 => a lt 250.0
            a le 1e-2 => a le 0.01
            a ge -0.25
            a eq False => a eq false
            a ne NULL => a ne null
            x.$ref eq "u"
            Some_Attr-2 pr
            urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x" => <urn:ietf:params:scim:schemas:extension:enterprise:2.0:User>manager.value eq "x"
            urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr => <urn:ietf:params:scim:schemas:extension:enterprise:2.0:User>department pr
            URN:a:b:c pr => <URN:a:b>c pr
            urn:a:b:x[y pr] => <urn:a:b>x[y pr]
            emails[type eq "work"]
            emails[type eq "work"].value eq "a@b.c" => emails[type eq "work" and value eq "a@b.c"]
            emails[type eq "work"].primary pr and a pr => emails[type eq "work" and primary pr] and a pr
            userName eq "a" or emails[ (type eq "w" or not(primary eq true)) and value co "@x" ] => userName eq "a" or emails[(type eq "w" or not (primary eq true)) and value co "@x"]
            "#;
        table(cases);
    }

    #[test]
    fn rfc7644_examples() {
        let cases = r#"
            userName eq "bjensen"
            name.familyName co "O'Malley"
            userName sw "J"
            urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J" => <urn:ietf:params:scim:schemas:core:2.0:User>userName sw "J"
            title pr
            meta.lastModified gt "2011-05-13T04:42:34Z"
            meta.lastModified ge "2011-05-13T04:42:34Z"
            meta.lastModified lt "2011-05-13T04:42:34Z"
            meta.lastModified le "2011-05-13T04:42:34Z"
            title pr and userType eq "Employee"
            title pr or userType eq "Intern"
            schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")
            userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")
            userType eq "Employee" and (emails.type eq "work") => userType eq "Employee" and emails.type eq "work"
            userType eq "Employee" and emails[type eq "work" and value co "@example.com"]
            emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]
            "#;
        table(cases);
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let cases = r#"(a eq 1 | a eq 1) | ((a pr) | emails[type eq "w" | emails type eq "w"] | a eq | (a eq) | a | a foo 1
            a eq 1 b | a eq 1 and | or a pr | a pr extra | not a eq "b" | not | a eq "abc | a eq "abc\" | x[y[z pr]]
            a eq"b" | a.b.c pr | a eq 01 | a eq 1. | a eq .5 | a eq 1e | a eq - | a eq 1e999 | a eq tru | a eq "\x"
            a eq "\uD800" | a eq "\uDC00" | a eq "\uD800\u0041" | a eq "\u12" | 1a pr | a.1 pr | urn:x pr | urn:a:b: pr
            a.b[c pr] | a[] | a eq 1and b pr | a eq 1 and not | é eq 1 | a eq 1 é | a eq "\u12é4" | a[é]
            aé pr | a eq truex | a pr and (b pr | a pr] | a eq [1] | $ pr | a eq 1.2.3 | a eq --1 | a eq 1e5e3"#;
        let extra = ["", "  \t", "a eq ", "a eq \"tab\there\"", "a eq \"\\"];
        let lines = cases.lines().flat_map(|l| l.trim().split(" | "));
        for input in lines.chain(extra) {
            assert!(error(input).position <= input.len(), "{input:?}");
        }
        assert_eq!(error("not a eq \"b\"").position, 4);
        assert!(error("x[y[z pr]]").message.contains("nested"));
        assert!(error("a eq \"abc").message.contains("unterminated"));
    }

    #[test]
    fn limits() {
        let nest = |open: &str, n: usize| format!("{}a pr{}", open.repeat(n), ")".repeat(n));
        assert_eq!(ok(&nest("(", MAX_DEPTH)), Filter::Present(p("a")));
        assert!(error(&nest("(", MAX_DEPTH + 1)).message.contains("nesting"));
        assert!(parse_filter(&nest("not (", MAX_DEPTH)).is_ok());
        assert!(parse_filter(&nest("not (", MAX_DEPTH + 1)).is_err());
        let mixed = |n: usize| format!("{}x[a pr]{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_filter(&mixed(MAX_DEPTH - 1)).is_ok());
        assert!(parse_filter(&mixed(MAX_DEPTH)).is_err());
        let long = format!("a eq \"{}\"", "x".repeat(MAX_INPUT_LEN));
        assert!(error(&long).message.contains("longer"));
        assert!(parse_patch_path(&long).is_err());
        let fits = format!("a eq \"{}\"", "x".repeat(MAX_INPUT_LEN - 7));
        assert_eq!(fits.len(), MAX_INPUT_LEN);
        assert!(parse_filter(&fits).is_ok());
        assert!(parse_filter(&vec!["a pr"; 500].join(" or ")).is_ok());
        assert!(parse_filter(&vec!["a pr"; 800].join(" or ")).is_err());
    }

    #[test]
    fn patch_paths() {
        let cases = r#"
            members
            name.givenName
            emails[type eq "work"].value
            members[value eq "2819c223"]
            urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department => <urn:ietf:params:scim:schemas:extension:enterprise:2.0:User>department
            urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value => <urn:ietf:params:scim:schemas:extension:enterprise:2.0:User>manager.value
            addresses[type eq "work" and not (primary pr)].streetAddress
            urn:a:b:emails[type eq "work"].display => <urn:a:b>emails[type eq "work"].display"#;
        for line in cases.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (input, want) = line.split_once(" => ").unwrap_or((line, line));
            let pp = parse_patch_path(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            let f = pp.filter.as_ref().map(|f| format!("[{}]", render(f, true)));
            let sub = pp.sub.map(|s| format!(".{s}")).unwrap_or_default();
            let got = format!("{}{}{sub}", rpath(&pp.path, true), f.unwrap_or_default());
            assert_eq!(got, want);
        }
        let (path, sub) = (p("members"), Some("x".into()));
        let filter = Some(Filter::Present(p("value")));
        let got = parse_patch_path(" members[value pr].x ");
        assert_eq!(got, Ok(PatchPath { path, filter, sub }));
        let bad = r#"name.givenName[type eq "x"] | emails[type eq "w"].value.x | emails[type eq "w"]value | emails[]
            a b | emails[x[y pr]] | emails[type eq "w"]. | emails[type eq "w" | .a | a. | emails[a pr][b pr] | a eq 1
            emails [a pr] | a.b.c | urn:x | urn:a:b:"#;
        for input in bad.lines().flat_map(|l| l.trim().split(" | ")).chain([""]) {
            assert!(parse_patch_path(input).is_err(), "accepted {input:?}");
        }
    }

    fn name() -> impl Strategy<Value = String> {
        "[$]?[a-zA-Z][a-zA-Z0-9_$-]{0,5}".prop_filter("keyword", |s| !s.eq_ignore_ascii_case("not"))
    }
    fn path(inner: bool, allow_sub: bool) -> BoxedStrategy<AttrPath> {
        if inner {
            return name().prop_map(|a| p(&a)).boxed();
        }
        let urn = prop::option::of("[uU][rR][nN]:[a-z]{1,4}(:[a-zA-Z0-9.-]{1,6}){0,3}");
        let sub = prop::option::of(name()).prop_map(move |s| s.filter(|_| allow_sub));
        let path = (urn, name(), sub).prop_map(|(urn, attr, sub)| AttrPath { urn, attr, sub });
        path.boxed()
    }
    fn value() -> impl Strategy<Value = Value> {
        let s = prop::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter);
        let n = any::<f64>().prop_filter("finite", |f| f.is_finite());
        let (s, n, b) = (
            s.prop_map(Value::Str),
            n.prop_map(Value::Num),
            any::<bool>(),
        );
        prop_oneof![s, n, b.prop_map(Value::Bool), Just(Value::Null)]
    }
    fn tree(inner: bool) -> BoxedStrategy<Filter> {
        let ops = prop::sample::select(vec![Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le]);
        let compare = (path(inner, true), ops, value());
        let compare = compare.prop_map(|(path, op, value)| Filter::Compare { path, op, value });
        let atom = prop_oneof![3 => compare, 1 => path(inner, true).prop_map(Filter::Present)];
        let leaf = if inner {
            atom.boxed()
        } else {
            let vpath = (path(false, false), tree(true).prop_map(Box::new));
            let vpath = vpath.prop_map(|(path, filter)| Filter::ValuePath { path, filter });
            prop_oneof![4 => atom, 1 => vpath].boxed()
        };
        let and = |(a, b): (Filter, Filter)| Filter::And(Box::new(a), Box::new(b));
        let or = |(a, b): (Filter, Filter)| Filter::Or(Box::new(a), Box::new(b));
        let not = |a: Filter| Filter::Not(Box::new(a));
        leaf.prop_recursive(4, 16, 2, move |t| {
            prop_oneof![
                (t.clone(), t.clone()).prop_map(and),
                (t.clone(), t.clone()).prop_map(or),
                t.prop_map(not)
            ]
        })
        .boxed()
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}", t in "[a-zA-Z0-9 \"()\\[\\].:\\\\$é😀\t-]{0,60}") {
            for input in [&s, &t] {
                let _ = parse_filter(input);
                let _ = parse_patch_path(input);
            }
        }

        #[test]
        fn round_trip(f in tree(false)) {
            let text = render(&f, false);
            prop_assume!(text.len() <= MAX_INPUT_LEN);
            prop_assert_eq!(parse_filter(&text), Ok(f), "{}", text);
        }
    }
}
