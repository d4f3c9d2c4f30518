//! A small POSIX extended regular expression engine (what SEMS's mod_regex gets from
//! `regcomp(REG_EXTENDED)`): parser, Thompson-NFA compiler and a Pike VM.
//!
//! Why not the `regex` crate: it implements Perl's leftmost-first semantics, where `a|ab`
//! matches `a` in `ab`; POSIX requires the leftmost-*longest* match (`ab`). The VM here
//! finds exactly that overall match. Subexpressions are assigned by priority (earlier
//! alternative, greedier repetition) among the runs that produce that longest match; this
//! equals POSIX's subexpression rule except for patterns whose alternatives overlap
//! ambiguously (e.g. `(a|ab)(c|bcd)` on `abcd`).
//!
//! Supported: `| ( ) * + ? {m} {m,} {m,n} . ^ $`, bracket expressions with ranges,
//! `[:class:]`, `[=c=]`, `[.c.]`, and the GNU escapes `\w \W \s \S \b \B \< \> \` \'`.
//! Back-references (`\1`) are rejected at compile time. Matching is linear in the text
//! times the program size, and program size is bounded, so no input can hang it.

const MAX_REPEAT: u32 = 255;
const MAX_PROGRAM: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Range(char, char),
    Named(NamedClass),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamedClass {
    Alpha,
    Digit,
    Alnum,
    Upper,
    Lower,
    Space,
    Blank,
    Punct,
    Print,
    Graph,
    Cntrl,
    Xdigit,
    Word,
}

impl NamedClass {
    fn matches(self, c: char) -> bool {
        match self {
            Self::Alpha => c.is_alphabetic(),
            Self::Digit => c.is_ascii_digit(),
            Self::Alnum => c.is_alphanumeric(),
            Self::Upper => c.is_uppercase(),
            Self::Lower => c.is_lowercase(),
            Self::Space => c.is_whitespace(),
            Self::Blank => c == ' ' || c == '\t',
            Self::Punct => c.is_ascii_punctuation(),
            Self::Print => !c.is_control(),
            Self::Graph => !c.is_control() && !c.is_whitespace(),
            Self::Cntrl => c.is_control(),
            Self::Xdigit => c.is_ascii_hexdigit(),
            Self::Word => c.is_alphanumeric() || c == '_',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    items: Vec<ClassItem>,
    negated: bool,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let hit = self.items.iter().any(|i| match i {
            ClassItem::Range(a, b) => *a <= c && c <= *b,
            ClassItem::Named(n) => n.matches(c),
        });
        hit != self.negated
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assertion {
    Start,
    End,
    WordBoundary,
    NotWordBoundary,
    WordStart,
    WordEnd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Assert(Assertion),
    Group(Box<Node>, usize),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    groups: usize,
    _src: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn parse_alt(&mut self, depth: usize) -> Result<Node, String> {
        if depth > 200 {
            return Err("nesting too deep".into());
        }
        let mut branches = vec![self.parse_concat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.parse_concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn parse_concat(&mut self, depth: usize) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.parse_atom(depth, items.is_empty())?;
            let atom = self.parse_quantifiers(atom)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn parse_quantifiers(&mut self, mut atom: Node) -> Result<Node, String> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => {
                    self.pos += 1;
                    (0, None)
                }
                Some('+') => {
                    self.pos += 1;
                    (1, None)
                }
                Some('?') => {
                    self.pos += 1;
                    (0, Some(1))
                }
                Some('{') => match self.interval()? {
                    Some(r) => r,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    /// `{m}`, `{m,}`, `{m,n}`; `None` (and no input consumed) when `{` does not start an
    /// interval, in which case it is a literal.
    fn interval(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let save = self.pos;
        self.pos += 1;
        let num = |p: &mut Self| -> Option<u32> {
            let start = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            if p.pos == start {
                return None;
            }
            let s: String = p.chars[start..p.pos].iter().collect();
            Some(s.parse().unwrap_or(u32::MAX))
        };
        let Some(min) = num(self) else {
            self.pos = save;
            return Ok(None);
        };
        let max = if self.peek() == Some(',') {
            self.pos += 1;
            num(self)
        } else {
            Some(min)
        };
        if self.peek() != Some('}') {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
            return Err("repetition count too large".into());
        }
        if max.is_some_and(|m| m < min) {
            return Err("invalid content of \\{\\}".into());
        }
        Ok(Some((min, max)))
    }

    fn parse_atom(&mut self, depth: usize, first: bool) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        Ok(match c {
            '(' => {
                self.groups += 1;
                let idx = self.groups;
                let inner = self.parse_alt(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err("unmatched ( or \\(".into());
                }
                self.pos += 1;
                Node::Group(Box::new(inner), idx)
            }
            '.' => Node::Any,
            '^' => Node::Assert(Assertion::Start),
            '$' => Node::Assert(Assertion::End),
            '[' => Node::Class(self.bracket()?),
            '*' | '+' | '?' if first => Node::Char(c),
            '*' | '+' | '?' => return Err("invalid preceding regular expression".into()),
            '\\' => {
                let Some(e) = self.peek() else {
                    return Err("trailing backslash".into());
                };
                self.pos += 1;
                match e {
                    '1'..='9' => return Err("back-references are not supported".into()),
                    'w' => Node::Class(Class {
                        items: vec![ClassItem::Named(NamedClass::Word)],
                        negated: false,
                    }),
                    'W' => Node::Class(Class {
                        items: vec![ClassItem::Named(NamedClass::Word)],
                        negated: true,
                    }),
                    's' => Node::Class(Class {
                        items: vec![ClassItem::Named(NamedClass::Space)],
                        negated: false,
                    }),
                    'S' => Node::Class(Class {
                        items: vec![ClassItem::Named(NamedClass::Space)],
                        negated: true,
                    }),
                    'b' => Node::Assert(Assertion::WordBoundary),
                    'B' => Node::Assert(Assertion::NotWordBoundary),
                    '<' => Node::Assert(Assertion::WordStart),
                    '>' => Node::Assert(Assertion::WordEnd),
                    '`' => Node::Assert(Assertion::Start),
                    '\'' => Node::Assert(Assertion::End),
                    other => Node::Char(other),
                }
            }
            other => Node::Char(other),
        })
    }

    fn bracket(&mut self) -> Result<Class, String> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err("unmatched [ or [^".into());
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            let lo = if c == '[' && matches!(self.chars.get(self.pos + 1), Some(':' | '=' | '.')) {
                let kind = self.chars[self.pos + 1];
                let start = self.pos + 2;
                let mut end = start;
                while end + 1 < self.chars.len()
                    && !(self.chars[end] == kind && self.chars[end + 1] == ']')
                {
                    end += 1;
                }
                if end + 1 >= self.chars.len() {
                    return Err("unmatched [ or [^".into());
                }
                let name: String = self.chars[start..end].iter().collect();
                self.pos = end + 2;
                match kind {
                    ':' => {
                        items.push(ClassItem::Named(named_class(&name)?));
                        continue;
                    }
                    _ => {
                        let mut it = name.chars();
                        match (it.next(), it.next()) {
                            (Some(ch), None) => ch,
                            _ => return Err("invalid collation character".into()),
                        }
                    }
                }
            } else {
                self.pos += 1;
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                self.pos += 1;
                let Some(hi) = self.peek() else {
                    return Err("unmatched [ or [^".into());
                };
                self.pos += 1;
                if hi < lo {
                    return Err("invalid range end".into());
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Ok(Class { items, negated })
    }
}

fn named_class(name: &str) -> Result<NamedClass, String> {
    Ok(match name {
        "alpha" => NamedClass::Alpha,
        "digit" => NamedClass::Digit,
        "alnum" => NamedClass::Alnum,
        "upper" => NamedClass::Upper,
        "lower" => NamedClass::Lower,
        "space" => NamedClass::Space,
        "blank" => NamedClass::Blank,
        "punct" => NamedClass::Punct,
        "print" => NamedClass::Print,
        "graph" => NamedClass::Graph,
        "cntrl" => NamedClass::Cntrl,
        "xdigit" => NamedClass::Xdigit,
        _ => return Err(format!("invalid character class '{name}'")),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inst {
    Char(char),
    Any,
    Class(usize),
    Assert(Assertion),
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    Match,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Regex {
    prog: Vec<Inst>,
    classes: Vec<Class>,
    groups: usize,
}

struct Compiler {
    prog: Vec<Inst>,
    classes: Vec<Class>,
}

impl Compiler {
    fn push(&mut self, i: Inst) -> Result<usize, String> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err("regular expression too big".into());
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn emit(&mut self, n: &Node) -> Result<(), String> {
        match n {
            Node::Empty => {}
            Node::Char(c) => {
                self.push(Inst::Char(*c))?;
            }
            Node::Any => {
                self.push(Inst::Any)?;
            }
            Node::Class(c) => {
                self.classes.push(c.clone());
                let idx = self.classes.len() - 1;
                self.push(Inst::Class(idx))?;
            }
            Node::Assert(a) => {
                self.push(Inst::Assert(*a))?;
            }
            Node::Group(inner, idx) => {
                self.push(Inst::Save(2 * idx))?;
                self.emit(inner)?;
                self.push(Inst::Save(2 * idx + 1))?;
            }
            Node::Concat(items) => {
                for i in items {
                    self.emit(i)?;
                }
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (k, b) in branches.iter().enumerate() {
                    if k + 1 < branches.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(b)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit(b)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(inner, min, max) => {
                for _ in 0..*min {
                    self.emit(inner)?;
                }
                match max {
                    None => {
                        // x*: L1: split L2, L3; L2: x; jmp L1; L3:
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(inner)?;
                        self.push(Inst::Jmp(split))?;
                        let end = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit(inner)?;
                        }
                        let end = self.prog.len();
                        for s in splits {
                            self.prog[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A successful match: byte ranges of the whole match (`[0]`) and of each group.
pub type Captures = Vec<Option<(usize, usize)>>;

impl Regex {
    /// Compiles an extended regular expression.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let mut p = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            groups: 0,
            _src: pattern,
        };
        let ast = p.parse_alt(0)?;
        if p.pos < p.chars.len() {
            return Err("unmatched ) or \\)".into());
        }
        let mut c = Compiler {
            prog: Vec::new(),
            classes: Vec::new(),
        };
        c.push(Inst::Save(0))?;
        c.emit(&ast)?;
        c.push(Inst::Save(1))?;
        c.push(Inst::Match)?;
        Ok(Regex {
            prog: c.prog,
            classes: c.classes,
            groups: p.groups,
        })
    }

    /// Number of parenthesised groups.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The leftmost-longest match in `text`, if any.
    pub fn captures(&self, text: &str) -> Option<Captures> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| if i < n { chars[i].0 } else { text.len() };
        let slots = 2 * (self.groups + 1);
        let mut clist: Vec<Thread> = Vec::new();
        let mut nlist: Vec<Thread> = Vec::new();
        let mut seen = vec![usize::MAX; self.prog.len()];
        let mut best: Option<Vec<Option<usize>>> = None;
        for pos in 0..=n {
            if best.is_none() {
                let caps = vec![None; slots];
                self.add(&mut clist, &mut seen, pos, 0, caps, &chars);
            }
            if clist.is_empty() {
                if best.is_some() {
                    break;
                }
                continue;
            }
            let cur = if pos < n { Some(chars[pos].1) } else { None };
            for t in clist.drain(..) {
                match &self.prog[t.pc] {
                    Inst::Match => {
                        let better = match &best {
                            None => true,
                            Some(b) => {
                                let (bs, be) = (b[0].unwrap_or(0), b[1].unwrap_or(0));
                                let (ts, te) = (t.caps[0].unwrap_or(0), t.caps[1].unwrap_or(0));
                                ts < bs || (ts == bs && te > be)
                            }
                        };
                        if better {
                            best = Some(t.caps.clone());
                        }
                    }
                    Inst::Char(c) if cur == Some(*c) => {
                        self.add(&mut nlist, &mut seen, pos + 1, t.pc + 1, t.caps, &chars);
                    }
                    Inst::Any if cur.is_some() => {
                        self.add(&mut nlist, &mut seen, pos + 1, t.pc + 1, t.caps, &chars);
                    }
                    Inst::Class(k) if cur.is_some_and(|c| self.classes[*k].matches(c)) => {
                        self.add(&mut nlist, &mut seen, pos + 1, t.pc + 1, t.caps, &chars);
                    }
                    _ => {}
                }
            }
            // Threads that started after the best match's start cannot win.
            if let Some(b) = &best {
                let bs = b[0].unwrap_or(0);
                nlist.retain(|t| t.caps[0].unwrap_or(0) <= bs);
            }
            std::mem::swap(&mut clist, &mut nlist);
        }
        best.map(|caps| {
            (0..=self.groups)
                .map(|g| match (caps[2 * g], caps[2 * g + 1]) {
                    (Some(s), Some(e)) if s <= e => Some((byte_at(s), byte_at(e))),
                    _ => None,
                })
                .collect()
        })
    }

    /// Whether `text` contains a match.
    pub fn is_match(&self, text: &str) -> bool {
        self.captures(text).is_some()
    }

    /// Follows epsilon transitions from `pc` at `pos` (an explicit stack, no recursion).
    fn add(
        &self,
        list: &mut Vec<Thread>,
        seen: &mut [usize],
        pos: usize,
        pc: usize,
        caps: Vec<Option<usize>>,
        chars: &[(usize, char)],
    ) {
        let mut stack = vec![(pc, caps)];
        while let Some((pc, mut caps)) = stack.pop() {
            if seen[pc] == pos {
                continue;
            }
            seen[pc] = pos;
            match &self.prog[pc] {
                Inst::Jmp(t) => stack.push((*t, caps)),
                Inst::Split(a, b) => {
                    // Push the lower-priority branch first so the preferred one runs first.
                    stack.push((*b, caps.clone()));
                    stack.push((*a, caps));
                }
                Inst::Save(slot) => {
                    if *slot < caps.len() {
                        caps[*slot] = Some(pos);
                    }
                    stack.push((pc + 1, caps));
                }
                Inst::Assert(a) => {
                    if assert_holds(*a, pos, chars) {
                        stack.push((pc + 1, caps));
                    }
                }
                _ => list.push(Thread { pc, caps }),
            }
        }
    }
}

struct Thread {
    pc: usize,
    caps: Vec<Option<usize>>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn assert_holds(a: Assertion, pos: usize, chars: &[(usize, char)]) -> bool {
    let before = pos
        .checked_sub(1)
        .and_then(|i| chars.get(i))
        .is_some_and(|c| is_word(c.1));
    let after = chars.get(pos).is_some_and(|c| is_word(c.1));
    match a {
        Assertion::Start => pos == 0,
        Assertion::End => pos == chars.len(),
        Assertion::WordBoundary => before != after,
        Assertion::NotWordBoundary => before == after,
        Assertion::WordStart => !before && after,
        Assertion::WordEnd => before && !after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, t: &str) -> Option<String> {
        let r = Regex::new(re).unwrap();
        r.captures(t).map(|c| {
            let (s, e) = c[0].unwrap();
            t[s..e].to_string()
        })
    }

    fn groups(re: &str, t: &str) -> Vec<Option<String>> {
        let r = Regex::new(re).unwrap();
        r.captures(t)
            .unwrap()
            .into_iter()
            .map(|g| g.map(|(s, e)| t[s..e].to_string()))
            .collect()
    }

    #[test]
    fn leftmost_longest() {
        assert_eq!(m("a|ab", "xabc").as_deref(), Some("ab"));
        assert_eq!(m("(a|ab)(c|bcd)", "abcd").as_deref(), Some("abcd"));
        assert_eq!(m("x*", "aaa").as_deref(), Some(""));
        assert_eq!(m("b+", "abbbc").as_deref(), Some("bbb"));
        assert_eq!(m("^abc$", "abc").as_deref(), Some("abc"));
        assert_eq!(m("^abc$", "abcd"), None);
        assert_eq!(m("a{2,3}", "aaaa").as_deref(), Some("aaa"));
        assert_eq!(m("[[:digit:]]+", "ab123c").as_deref(), Some("123"));
        assert_eq!(m("[^a-c]+", "abcdefa").as_deref(), Some("def"));
        assert_eq!(m("a.c", "a\nc").as_deref(), Some("a\nc"));
        assert_eq!(m("\\bfoo\\b", "a foo b").as_deref(), Some("foo"));
        assert_eq!(m("a{,2}", "a{,2}").as_deref(), Some("a{,2}"));
    }

    #[test]
    fn groups_are_reported() {
        assert_eq!(
            groups("^sip:([^@]+)@(.*)$", "sip:john@example.com"),
            vec![
                Some("sip:john@example.com".into()),
                Some("john".into()),
                Some("example.com".into())
            ]
        );
        assert_eq!(
            groups("(a)|(b)", "b"),
            vec![Some("b".into()), None, Some("b".into())]
        );
    }

    #[test]
    fn errors_and_limits() {
        assert!(Regex::new("(").is_err());
        assert!(Regex::new(")").is_err());
        assert!(Regex::new("[a").is_err());
        assert!(Regex::new("a{3,1}").is_err());
        assert!(Regex::new("(a)\\1").is_err());
        assert!(Regex::new("((a{255}){255}){255}").is_err());
        // Pathological for backtracking engines; linear here.
        let r = Regex::new("(a*)*b").unwrap();
        assert!(!r.is_match(&"a".repeat(2000)));
    }
}
