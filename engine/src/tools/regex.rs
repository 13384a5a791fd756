//! The regular expressions of `kafka-topics.sh --topic` (`TopicFilter.IncludeList`: Java's
//! `String.matches`, a whole-string match), for the subset topic filters use: literals, `.`,
//! escapes (`\.`, `\d`, `\w`, `\s`), classes (`[a-z0-9_]`, `[^x]`), groups with alternation
//! (`(a|b)`, `a|b`) and the quantifiers `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (greedy, with
//! backtracking). Anything else is refused as an invalid pattern.

use std::cell::Cell;

#[derive(Clone, Debug)]
enum Atom {
    Char(char),
    Any,
    /// Ranges, negated.
    Class(Vec<(char, char)>, bool),
    Group(Vec<Vec<Piece>>),
}

#[derive(Clone, Debug)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Regex {
    alternatives: Vec<Vec<Piece>>,
}

struct Parser<'a> {
    chars: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn alternatives(&mut self) -> Option<Vec<Vec<Piece>>> {
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.sequence()?);
        }
        Some(alts)
    }

    fn sequence(&mut self) -> Option<Vec<Piece>> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let (min, max) = self.quantifier()?;
            seq.push(Piece { atom, min, max });
        }
        Some(seq)
    }

    fn escape(c: char) -> Option<Atom> {
        let digits = vec![('0', '9')];
        Some(match c {
            'd' => Atom::Class(digits, false),
            'D' => Atom::Class(digits, true),
            'w' => Atom::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
            'W' => Atom::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], true),
            's' => Atom::Class(vec![(' ', ' '), ('\t', '\r')], false),
            'S' => Atom::Class(vec![(' ', ' '), ('\t', '\r')], true),
            c if c.is_ascii_alphanumeric() => return None,
            c => Atom::Char(c),
        })
    }

    fn atom(&mut self) -> Option<Atom> {
        let c = self.peek()?;
        self.i += 1;
        match c {
            '.' => Some(Atom::Any),
            '\\' => {
                let e = self.peek()?;
                self.i += 1;
                Self::escape(e)
            }
            '(' => {
                // `(?:` is a non-capturing group; other `(?` constructs are not supported.
                if self.peek() == Some('?') {
                    if self.chars.get(self.i + 1) == Some(&':') {
                        self.i += 2;
                    } else {
                        return None;
                    }
                }
                let alts = self.alternatives()?;
                (self.peek() == Some(')')).then(|| {
                    self.i += 1;
                    Atom::Group(alts)
                })
            }
            '[' => self.class(),
            '*' | '+' | '?' | '{' | ')' | '^' | '$' => None,
            c => Some(Atom::Char(c)),
        }
    }

    fn class(&mut self) -> Option<Atom> {
        let negated = self.peek() == Some('^');
        if negated {
            self.i += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.i += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = if c == '\\' {
                let e = self.peek()?;
                self.i += 1;
                match Self::escape(e)? {
                    Atom::Char(x) => x,
                    Atom::Class(r, false) => {
                        ranges.extend(r);
                        continue;
                    }
                    _ => return None,
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.i + 1).is_some_and(|&n| n != ']') {
                let hi = self.chars[self.i + 1];
                self.i += 2;
                if hi < lo {
                    return None;
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Some(Atom::Class(ranges, negated))
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect::<String>().parse().ok()
    }

    fn quantifier(&mut self) -> Option<(usize, usize)> {
        let q = match self.peek() {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                self.i += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(',') {
                    self.i += 1;
                    if self.peek() == Some('}') { usize::MAX } else { self.number()? }
                } else {
                    min
                };
                if self.peek() != Some('}') || max < min {
                    return None;
                }
                self.i += 1;
                return Some((min, max));
            }
            _ => return Some((1, 1)),
        };
        self.i += 1;
        Some(q)
    }
}

impl Regex {
    /// Compiles `pattern`; `None` when it is not valid (or not in the supported subset).
    pub fn new(pattern: &str) -> Option<Regex> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser { chars: &chars, i: 0 };
        let alternatives = p.alternatives()?;
        (p.i == chars.len()).then_some(Regex { alternatives })
    }

    /// Whether the whole of `text` matches (`String.matches`). The backtracking search is
    /// bounded; a pattern that would need more steps does not match.
    pub fn matches(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        let budget = Cell::new(100_000usize);
        alts(&self.alternatives, &t, 0, &budget, &mut |end| end == t.len())
    }
}

fn alts(alternatives: &[Vec<Piece>], t: &[char], pos: usize, budget: &Cell<usize>, k: &mut dyn FnMut(usize) -> bool) -> bool {
    alternatives.iter().any(|seq| pieces(seq, t, pos, budget, k))
}

fn pieces(seq: &[Piece], t: &[char], pos: usize, budget: &Cell<usize>, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = seq.split_first() else { return k(pos) };
    repeat(first, 0, rest, t, pos, budget, k)
}

/// Matches `piece` `count` times so far at `pos`, then more (greedy), then `rest`.
fn repeat(piece: &Piece, count: usize, rest: &[Piece], t: &[char], pos: usize, budget: &Cell<usize>, k: &mut dyn FnMut(usize) -> bool) -> bool {
    if budget.get() == 0 {
        return false;
    }
    budget.set(budget.get() - 1);
    if count < piece.max && one(&piece.atom, t, pos, budget, &mut |next| next != pos && repeat(piece, count + 1, rest, t, next, budget, k)) {
        return true;
    }
    count >= piece.min && pieces(rest, t, pos, budget, k)
}

fn one(atom: &Atom, t: &[char], pos: usize, budget: &Cell<usize>, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match atom {
        Atom::Char(c) => t.get(pos) == Some(c) && k(pos + 1),
        Atom::Any => pos < t.len() && t[pos] != '\n' && k(pos + 1),
        Atom::Class(ranges, negated) => t.get(pos).is_some_and(|&c| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated) && k(pos + 1),
        Atom::Group(alternatives) => alts(alternatives, t, pos, budget, k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_string_matches() {
        let m = |p: &str, t: &str| Regex::new(p).expect(p).matches(t);
        assert!(m("orders", "orders"));
        assert!(!m("orders", "orders-v2"), "a whole-string match");
        assert!(m("orders.*", "orders-v2"));
        assert!(m("a|b", "b"));
        assert!(m("(ord|pay)ments?", "payment"));
        assert!(m("t[0-9]{2}", "t42"));
        assert!(!m("t[0-9]{2}", "t4"));
        assert!(m("__.*", "__consumer_offsets"));
        assert!(m("a\\.b", "a.b") && !m("a\\.b", "axb"));
        assert!(m("[^_].*", "orders") && !m("[^_].*", "__x"));
        assert!(m("(a*)*b", "aaab"), "an empty repetition ends");
        for bad in ["(", "a)", "*a", "[a", "a{2,1}", "\\q"] {
            assert!(Regex::new(bad).is_none(), "{bad}");
        }
    }
}
