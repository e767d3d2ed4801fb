//! Glob patterns as ArgoCD matches them in AppProjects (`sourceRepos`,
//! `destinations`): the syntax of `github.com/gobwas/glob`, which ArgoCD's
//! `util/glob` compiles, matched in time linear in pattern and text.
//!
//! Syntax (gobwas/glob):
//!
//! | pattern | matches |
//! |---|---|
//! | `*` | any run of characters except the separators (none for destinations, `/` for source repositories) |
//! | `**` | any run of characters |
//! | `?` | one character except a separator |
//! | `[abc]`, `[!abc]` | one character of (or not of) a list |
//! | `[a-z]`, `[!a-z]` | one character in (or not in) one range; `[a-z0-9]` is not valid |
//! | `{a,b*,c}` | any of the comma-separated patterns (nested allowed; an unclosed `{` runs to the end) |
//! | `\x` | `x` itself |
//!
//! Outside braces `,` and `}` are ordinary characters, and so is `]`. A
//! pattern gobwas cannot compile (an unclosed `[`, `[]`, `[z-a]`) matches
//! nothing, as in ArgoCD, which logs a warning and moves on.
//!
//! Matching compiles the pattern into a small automaton (Thompson's
//! construction) and runs it over the text keeping the set of live states,
//! so `*a*a*a...` against a long text costs pattern x text steps, never
//! the exponential backtracking a recursive matcher does.

/// One instruction of the automaton.
#[derive(Debug, Clone)]
enum Inst {
    /// One character equal to this one.
    Char(char),
    /// One character: any but the separators (`?`, and the loop of `*`).
    NotSep,
    /// One character, anything (the loop of `**`).
    Any,
    /// One character in (or, negated, not in) a list.
    List {
        chars: Vec<char>,
        not: bool,
    },
    /// One character in (or not in) `lo..=hi`.
    Range {
        lo: char,
        hi: char,
        not: bool,
    },
    /// Continue at both.
    Split(usize, usize),
    Jump(usize),
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    insts: Vec<Inst>,
    seps: Vec<char>,
}

/// Pattern syntax tree.
#[derive(Debug)]
enum Node {
    Char(char),
    Star,
    Super,
    Single,
    List(Vec<char>, bool),
    Range(char, char, bool),
    AnyOf(Vec<Vec<Node>>),
}

impl Glob {
    /// Compile `pattern`; `None` where gobwas/glob refuses it.
    pub fn new(pattern: &str, separators: &[char]) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let seq = parse(&chars, &mut pos, 0)?;
        let mut insts = Vec::new();
        emit(&seq, &mut insts);
        insts.push(Inst::Match);
        Some(Glob {
            insts,
            seps: separators.to_vec(),
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        let n = self.insts.len();
        // `mark[i] == step` when state i is already in the current list.
        let mut mark = vec![usize::MAX; n];
        let mut current = Vec::with_capacity(n);
        let mut next = Vec::with_capacity(n);
        let mut stack = Vec::new();
        self.add(0, 0, &mut current, &mut mark, &mut stack);
        for (step, c) in text.chars().enumerate() {
            if current.is_empty() {
                return false;
            }
            next.clear();
            for &s in &current {
                let ok = match &self.insts[s] {
                    Inst::Char(x) => *x == c,
                    Inst::NotSep => !self.seps.contains(&c),
                    Inst::Any => true,
                    Inst::List { chars, not } => chars.contains(&c) != *not,
                    Inst::Range { lo, hi, not } => (*lo <= c && c <= *hi) != *not,
                    Inst::Split(..) | Inst::Jump(_) | Inst::Match => false,
                };
                if ok {
                    self.add(s + 1, step + 1, &mut next, &mut mark, &mut stack);
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        current
            .iter()
            .any(|&s| matches!(self.insts[s], Inst::Match))
    }

    /// Add state `s` and everything reachable from it without reading a
    /// character to `list` (once per step).
    fn add(
        &self,
        s: usize,
        step: usize,
        list: &mut Vec<usize>,
        mark: &mut [usize],
        stack: &mut Vec<usize>,
    ) {
        stack.push(s);
        while let Some(s) = stack.pop() {
            if mark[s] == step {
                continue;
            }
            mark[s] = step;
            match self.insts[s] {
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Jump(a) => stack.push(a),
                _ => list.push(s),
            }
        }
    }
}

/// ArgoCD's `glob.Match`: a pattern that does not compile matches nothing.
/// A pattern without special characters (most repository URLs and
/// namespaces) is compared as text; the others are compiled once per
/// thread and kept (lint asks the same few patterns of every app).
pub fn matches(pattern: &str, text: &str, separators: &[char]) -> bool {
    if !pattern.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return pattern == text;
    }
    type Cache = std::collections::HashMap<String, Option<Glob>>;
    thread_local! {
        // By separators (two sets are used), then by pattern.
        static COMPILED: std::cell::RefCell<Vec<(Vec<char>, Cache)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let i = match cache.iter().position(|(s, _)| s == separators) {
            Some(i) => i,
            None => {
                cache.push((separators.to_vec(), Cache::new()));
                cache.len() - 1
            }
        };
        let by_pattern = &mut cache[i].1;
        if let Some(g) = by_pattern.get(pattern) {
            return g.as_ref().is_some_and(|g| g.is_match(text));
        }
        // Bounded: a hostile project with endless patterns recompiles.
        if by_pattern.len() > 4096 {
            by_pattern.clear();
        }
        let g = Glob::new(pattern, separators);
        let hit = g.as_ref().is_some_and(|g| g.is_match(text));
        by_pattern.insert(pattern.to_string(), g);
        hit
    })
}

/// Parse a sequence up to the end, or (inside braces, `depth > 0`) up to
/// the `,` or `}` that ends this alternative (left for the caller).
fn parse(p: &[char], pos: &mut usize, depth: usize) -> Option<Vec<Node>> {
    let mut seq = Vec::new();
    while let Some(&c) = p.get(*pos) {
        match c {
            ',' | '}' if depth > 0 => break,
            '*' => {
                if p.get(*pos + 1) == Some(&'*') {
                    *pos += 2;
                    seq.push(Node::Super);
                } else {
                    *pos += 1;
                    seq.push(Node::Star);
                }
            }
            '?' => {
                *pos += 1;
                seq.push(Node::Single);
            }
            '[' => {
                *pos += 1;
                seq.push(parse_class(p, pos)?);
            }
            '{' => {
                *pos += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse(p, pos, depth + 1)?);
                    match p.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        // gobwas: braces still open at the end are closed.
                        _ => break,
                    }
                }
                seq.push(Node::AnyOf(alts));
            }
            '\\' => {
                *pos += 1;
                // A trailing `\` escapes nothing and is dropped.
                if let Some(&e) = p.get(*pos) {
                    seq.push(Node::Char(e));
                    *pos += 1;
                }
            }
            _ => {
                seq.push(Node::Char(c));
                *pos += 1;
            }
        }
    }
    Some(seq)
}

/// After `[`: `!`? then either one range `a-z` or a list up to `]`
/// (escapes allowed), then `]`.
fn parse_class(p: &[char], pos: &mut usize) -> Option<Node> {
    let mut not = false;
    if p.get(*pos) == Some(&'!') {
        not = true;
        *pos += 1;
    }
    let first = *p.get(*pos)?;
    if first != ']' && p.get(*pos + 1) == Some(&'-') {
        let hi = *p.get(*pos + 2)?;
        *pos += 3;
        if p.get(*pos) != Some(&']') || hi < first {
            return None;
        }
        *pos += 1;
        return Some(Node::Range(first, hi, not));
    }
    let mut chars = Vec::new();
    loop {
        match *p.get(*pos)? {
            ']' => {
                *pos += 1;
                break;
            }
            '\\' => {
                chars.push(*p.get(*pos + 1)?);
                *pos += 2;
            }
            c => {
                chars.push(c);
                *pos += 1;
            }
        }
    }
    if chars.is_empty() {
        return None;
    }
    Some(Node::List(chars, not))
}

fn emit(seq: &[Node], out: &mut Vec<Inst>) {
    for node in seq {
        match node {
            Node::Char(c) => out.push(Inst::Char(*c)),
            Node::Single => out.push(Inst::NotSep),
            Node::List(chars, not) => out.push(Inst::List {
                chars: chars.clone(),
                not: *not,
            }),
            Node::Range(lo, hi, not) => out.push(Inst::Range {
                lo: *lo,
                hi: *hi,
                not: *not,
            }),
            Node::Star | Node::Super => {
                // L: split(L+1, L+3); L+1: one char; L+2: jump L; L+3: ...
                let l = out.len();
                out.push(Inst::Split(l + 1, l + 3));
                out.push(if matches!(node, Node::Star) {
                    Inst::NotSep
                } else {
                    Inst::Any
                });
                out.push(Inst::Jump(l));
            }
            Node::AnyOf(alts) => {
                // split(a1, next split) ... each alternative jumps to the end.
                let mut jumps = Vec::new();
                for (i, alt) in alts.iter().enumerate() {
                    let last = i + 1 == alts.len();
                    let split = out.len();
                    if !last {
                        out.push(Inst::Split(split + 1, 0));
                    }
                    emit(alt, out);
                    jumps.push(out.len());
                    out.push(Inst::Jump(0));
                    if !last {
                        let after = out.len();
                        out[split] = Inst::Split(split + 1, after);
                    }
                }
                let end = out.len();
                for j in jumps {
                    out[j] = Inst::Jump(end);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches(p, t, &[])
    }

    fn ms(p: &str, t: &str) -> bool {
        matches(p, t, &['/'])
    }

    #[test]
    fn literal_and_cached_patterns_match_as_compiled_ones() {
        let seps = ['/'];
        for (p, t) in [
            (
                "https://github.com/acme/a.git",
                "https://github.com/acme/a.git",
            ),
            (
                "https://github.com/acme/a.git",
                "https://github.com/acme/b.git",
            ),
            ("", ""),
            ("api", "api-x"),
            ("https://github.com/acme/*", "https://github.com/acme/a"),
            ("https://github.com/acme/*", "https://github.com/acme/a/b"),
            ("team-{a,b}", "team-b"),
            ("[", "["),
        ] {
            let compiled = Glob::new(p, &seps).is_some_and(|g| g.is_match(t));
            // First call compiles (or compares), the second hits the cache.
            assert_eq!(matches(p, t, &seps), compiled, "{p} {t}");
            assert_eq!(matches(p, t, &seps), compiled, "{p} {t} (cached)");
        }
        // The same pattern with other separators is another glob.
        assert!(matches("a/*", "a/b/c", &[]));
        assert!(!matches("a/*", "a/b/c", &['/']));
    }

    #[test]
    fn gobwas_syntax() {
        assert!(m("*", ""));
        assert!(m("*", "any/thing"));
        assert!(ms("https://github.com/acme/*", "https://github.com/acme/a"));
        assert!(!ms(
            "https://github.com/acme/*",
            "https://github.com/acme/a/b"
        ));
        assert!(ms("https://github.com/**", "https://github.com/acme/a/b"));
        assert!(ms("https://github.com/acme/**", "https://github.com/acme/"));
        assert!(m("team-?", "team-a"));
        assert!(!m("team-?", "team-ab"));
        assert!(!ms("a?b", "a/b"));
        assert!(m("ns-[a-c]", "ns-b"));
        assert!(!m("ns-[a-c]", "ns-d"));
        assert!(m("ns-[!a-c]", "ns-d"));
        assert!(m("ns-[xyz]", "ns-y"));
        assert!(m("ns-[!xyz]", "ns-a"));
        assert!(!m("ns-[!xyz]", "ns-x"));
        // A class is not restricted by separators.
        assert!(ms("a[/]b", "a/b"));
        assert!(m("{api,web}", "web"));
        assert!(m("{api,web-*}-x", "web-1-x"));
        assert!(m("{a,{b,c}}d", "cd"));
        assert!(m("{a,}x", "x"));
        // Unclosed braces run to the end; `,` and `}` are plain outside.
        assert!(m("{a,b", "b"));
        assert!(m("a,b}", "a,b}"));
        assert!(m("a]", "a]"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "x"));
        assert!(m("日本*", "日本語"));
        // What gobwas refuses matches nothing.
        for bad in ["[abc", "[]", "[z-a]", "[a-z0-9]", "[!]", "x["] {
            assert!(Glob::new(bad, &[]).is_none(), "{bad}");
            assert!(!m(bad, bad), "{bad}");
        }
    }

    /// An EKS endpoint is ~70 characters; patterns of any length match.
    #[test]
    fn long_patterns_and_texts() {
        let eks = "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com";
        assert!(m(eks, eks));
        assert!(m("https://*.eks.amazonaws.com", eks));
        assert!(m("https://*.*.eu-west-1.eks.amazonaws.com", eks));
        let aks = "https://platform-prod-dns-4f1a2b3c.hcp.westeurope.azmk8s.io:443";
        assert!(m("https://*.hcp.westeurope.azmk8s.io:443", aks));
        let long = "x".repeat(10_000);
        assert!(m(&long, &long));
        assert!(m(&format!("{long}*"), &format!("{long}yz")));
    }

    /// Patterns that make a backtracking matcher exponential are answered
    /// (correctly) by the automaton; their cost is pattern x text steps.
    #[test]
    fn adversarial_patterns() {
        let text = "a".repeat(200);
        let p = "*a".repeat(60) + "b";
        assert!(!m(&p, &text));
        assert!(m(&"*a".repeat(60), &text));
        let p = "{a,aa,*}".repeat(40) + "!";
        assert!(!m(&p, &text));
        let p = "**a".repeat(50) + "/x";
        assert!(!ms(&p, &(text.clone() + "/y")));
    }
}
