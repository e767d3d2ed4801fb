//! A syntax check for jq expressions, for `ignoreDifferences`
//! `jqPathExpressions` (NX011). ArgoCD evaluates them with gojq when it
//! compares live and desired objects; an expression that does not parse,
//! or calls a function jq does not have (`spec.replicas`, the leading dot
//! forgotten), fails there, long after the commit.
//!
//! This is a recursive-descent parser of jq's grammar (pipes, `,`, `//`,
//! `and`/`or`, comparisons, arithmetic, paths with `.name`, `."quoted"`,
//! `[]`, `[i]`, `[a:b]`, `?`, `..`, literals, strings with `\(...)`,
//! arrays, objects, `$var`, `as` bindings, `if`, `try`, `reduce`,
//! `foreach`, `label`, `def`, formats like `@base64`, assignments) that
//! builds nothing: it answers "parses" or says where it stops. It is
//! bounded in depth, so hostile input ends in an error, not a stack
//! overflow.

/// Why an expression does not parse: a message and the character offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JqError {
    pub message: String,
    pub offset: usize,
}

/// Check that `src` is a jq program that parses and calls only functions
/// jq has (or that it defines).
pub fn check(src: &str) -> Result<(), JqError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        i: 0,
        depth: 0,
        defined: Vec::new(),
    };
    p.pipe()?;
    match p.peek() {
        Tok::End => Ok(()),
        t => Err(p.err(format!("unexpected {}", t.describe()))),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// `.`
    Dot,
    /// `..`
    Recurse,
    /// `.name` as one token (a field).
    Field,
    Ident(String),
    /// `$name`
    Var,
    /// `@name`
    Format,
    Num,
    Str,
    Op(&'static str),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Dot => "`.`".into(),
            Tok::Recurse => "`..`".into(),
            Tok::Field => "a field".into(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Var => "a variable".into(),
            Tok::Format => "a format".into(),
            Tok::Num => "a number".into(),
            Tok::Str => "a string".into(),
            Tok::Op(o) => format!("`{o}`"),
            Tok::End => "the end of the expression".into(),
        }
    }
}

const OPS: &[&str] = &[
    "?//=", "?//", "//=", "|=", "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "//", "|",
    ",", "+", "-", "*", "/", "%", "=", "<", ">", "(", ")", "[", "]", "{", "}", ":", ";", "?",
];

/// Tokens with their character offsets.
fn lex(src: &str) -> Result<Vec<(Tok, usize)>, JqError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ident_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '"' {
            i = string_end(&chars, i)?;
            out.push((Tok::Str, start));
            continue;
        }
        if c == '.' {
            if chars.get(i + 1) == Some(&'.') {
                out.push((Tok::Recurse, start));
                i += 2;
            } else if chars.get(i + 1).is_some_and(|c| ident_start(*c)) {
                i += 1;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                out.push((Tok::Field, start));
            } else if chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i = number_end(&chars, i);
                out.push((Tok::Num, start));
            } else {
                out.push((Tok::Dot, start));
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() {
            i = number_end(&chars, i);
            out.push((Tok::Num, start));
            continue;
        }
        if c == '$' || c == '@' {
            i += 1;
            if !chars.get(i).is_some_and(|c| ident_start(*c)) {
                return Err(JqError {
                    message: format!("`{c}` must be followed by a name"),
                    offset: start,
                });
            }
            while i < chars.len()
                && (ident_char(chars[i]) || (chars[i] == ':' && chars.get(i + 1) == Some(&':')))
            {
                i += if chars[i] == ':' { 2 } else { 1 };
            }
            out.push((if c == '$' { Tok::Var } else { Tok::Format }, start));
            continue;
        }
        if ident_start(c) {
            while i < chars.len()
                && (ident_char(chars[i]) || (chars[i] == ':' && chars.get(i + 1) == Some(&':')))
            {
                i += if chars[i] == ':' { 2 } else { 1 };
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), start));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
        match OPS.iter().find(|op| rest.starts_with(**op)) {
            Some(op) => {
                out.push((Tok::Op(op), start));
                i += op.chars().count();
            }
            None => {
                return Err(JqError {
                    message: format!("unexpected character `{c}`"),
                    offset: start,
                });
            }
        }
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

fn number_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
        i += 1;
    }
    if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
        i += 1;
        if i < chars.len() && (chars[i] == '+' || chars[i] == '-') {
            i += 1;
        }
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    i
}

/// The end of a string starting at `start` (after its closing quote);
/// `\(...)` interpolations are checked as expressions.
fn string_end(chars: &[char], start: usize) -> Result<usize, JqError> {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok(i + 1),
            '\\' => match chars.get(i + 1) {
                Some('(') => {
                    // Find the matching `)`, skipping nested strings.
                    let inner_start = i + 2;
                    let mut depth = 1;
                    let mut j = inner_start;
                    while j < chars.len() && depth > 0 {
                        match chars[j] {
                            '"' => {
                                j = string_end(chars, j)?;
                                continue;
                            }
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        j += 1;
                    }
                    if depth > 0 {
                        break;
                    }
                    let inner: String = chars[inner_start..j - 1].iter().collect();
                    check(&inner).map_err(|e| JqError {
                        message: format!("in a string interpolation: {}", e.message),
                        offset: inner_start + e.offset,
                    })?;
                    i = j;
                }
                Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => i += 2,
                Some('u') => i += 6,
                _ => {
                    return Err(JqError {
                        message: "invalid escape in a string".into(),
                        offset: i,
                    });
                }
            },
            _ => i += 1,
        }
    }
    Err(JqError {
        message: "a string is not closed: add the closing `\"`".into(),
        offset: start,
    })
}

/// Functions of jq (and gojq) by name, and the literals `true`, `false`
/// and `null`.
const BUILTINS: &[&str] = &[
    "abs",
    "acos",
    "acosh",
    "add",
    "all",
    "any",
    "arrays",
    "ascii",
    "ascii_downcase",
    "ascii_upcase",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "booleans",
    "builtins",
    "capture",
    "cbrt",
    "ceil",
    "combinations",
    "contains",
    "copysign",
    "cos",
    "cosh",
    "date",
    "dateadd",
    "dateiso8601",
    "datesub",
    "debug",
    "del",
    "delpaths",
    "drem",
    "empty",
    "endswith",
    "env",
    "error",
    "exp",
    "exp10",
    "exp2",
    "explode",
    "fabs",
    "false",
    "first",
    "flatten",
    "floor",
    "fma",
    "fmax",
    "fmin",
    "fmod",
    "format",
    "frexp",
    "from_entries",
    "fromdate",
    "fromdateiso8601",
    "fromjson",
    "fromstream",
    "gamma",
    "get_search_list",
    "getpath",
    "gmtime",
    "group_by",
    "gsub",
    "halt",
    "halt_error",
    "has",
    "have_decnum",
    "have_literal_numbers",
    "hypot",
    "implode",
    "in",
    "index",
    "indices",
    "infinite",
    "input",
    "input_filename",
    "input_line_number",
    "inputs",
    "inside",
    "isempty",
    "isinfinite",
    "isnan",
    "isnormal",
    "isvalid",
    "iterables",
    "join",
    "keys",
    "keys_unsorted",
    "last",
    "ldexp",
    "leaf_paths",
    "length",
    "lgamma",
    "limit",
    "localtime",
    "log",
    "log10",
    "log2",
    "logb",
    "ltrim",
    "ltrimstr",
    "map",
    "map_values",
    "match",
    "max",
    "max_by",
    "min",
    "min_by",
    "mktime",
    "modf",
    "nan",
    "nearbyint",
    "not",
    "now",
    "nth",
    "null",
    "nulls",
    "numbers",
    "objects",
    "path",
    "paths",
    "pick",
    "pow",
    "range",
    "recurse",
    "repeat",
    "reverse",
    "rindex",
    "rint",
    "round",
    "rtrim",
    "rtrimstr",
    "scalars",
    "scalb",
    "scalbln",
    "scan",
    "select",
    "setpath",
    "significand",
    "sin",
    "sinh",
    "sort",
    "sort_by",
    "split",
    "splits",
    "sqrt",
    "startswith",
    "stderr",
    "strflocaltime",
    "strftime",
    "strings",
    "strptime",
    "sub",
    "tan",
    "tanh",
    "test",
    "tgamma",
    "to_entries",
    "to_number",
    "toarray",
    "todate",
    "todateiso8601",
    "tojson",
    "tonumber",
    "tostream",
    "tostring",
    "transpose",
    "trim",
    "trimstr",
    "true",
    "trunc",
    "truncate_stream",
    "type",
    "unique",
    "unique_by",
    "until",
    "utf8bytelength",
    "values",
    "walk",
    "while",
    "with_entries",
];

struct Parser {
    tokens: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
    /// Functions the expression defines with `def`.
    defined: Vec<String>,
}

const MAX_DEPTH: usize = 200;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.i.min(self.tokens.len() - 1)].0
    }

    fn offset(&self) -> usize {
        self.tokens[self.i.min(self.tokens.len() - 1)].1
    }

    fn err(&self, message: String) -> JqError {
        JqError {
            message,
            offset: self.offset(),
        }
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.tokens.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    fn expect_op(&mut self, op: &str) -> Result<(), JqError> {
        if self.is_op(op) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(format!("expected `{op}`, found {}", self.peek().describe())))
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), JqError> {
        if self.is_word(w) {
            self.bump();
            Ok(())
        } else {
            Err(self.err(format!("expected `{w}`, found {}", self.peek().describe())))
        }
    }

    fn enter(&mut self) -> Result<(), JqError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("the expression is nested too deeply".into()));
        }
        Ok(())
    }

    /// `def f: body; pipe`, `term as $x | pipe`, or `comma | pipe`.
    fn pipe(&mut self) -> Result<(), JqError> {
        self.enter()?;
        let r = self.pipe_inner();
        self.depth -= 1;
        r
    }

    fn pipe_inner(&mut self) -> Result<(), JqError> {
        if self.is_word("def") {
            self.def()?;
            return self.pipe();
        }
        if self.is_word("label") {
            self.bump();
            if self.bump() != Tok::Var {
                return Err(self.err("expected a `$label` name after `label`".into()));
            }
            self.expect_op("|")?;
            return self.pipe();
        }
        self.comma()?;
        if self.is_word("as") {
            self.bump();
            self.patterns()?;
            self.expect_op("|")?;
            return self.pipe();
        }
        if self.is_op("|") {
            self.bump();
            return self.pipe();
        }
        Ok(())
    }

    fn def(&mut self) -> Result<(), JqError> {
        self.expect_word("def")?;
        let name = match self.bump() {
            Tok::Ident(n) => n,
            t => return Err(self.err(format!("expected a function name, found {}", t.describe()))),
        };
        self.defined.push(name);
        if self.is_op("(") {
            self.bump();
            loop {
                match self.bump() {
                    Tok::Ident(p) => self.defined.push(p),
                    Tok::Var => {}
                    t => {
                        return Err(
                            self.err(format!("expected a parameter, found {}", t.describe()))
                        );
                    }
                }
                if self.is_op(";") {
                    self.bump();
                    continue;
                }
                self.expect_op(")")?;
                break;
            }
        }
        self.expect_op(":")?;
        self.pipe()?;
        self.expect_op(";")
    }

    /// Destructuring patterns: `$x`, `[$a, $b]`, `{a: $x}`, joined by `?//`.
    fn patterns(&mut self) -> Result<(), JqError> {
        self.pattern()?;
        while self.is_op("?//") {
            self.bump();
            self.pattern()?;
        }
        Ok(())
    }

    fn pattern(&mut self) -> Result<(), JqError> {
        self.enter()?;
        let r = match self.bump() {
            Tok::Var => Ok(()),
            Tok::Op("[") => {
                loop {
                    self.pattern()?;
                    if self.is_op(",") {
                        self.bump();
                        continue;
                    }
                    break;
                }
                self.expect_op("]")
            }
            Tok::Op("{") => {
                loop {
                    match self.bump() {
                        Tok::Var => {}
                        Tok::Ident(_) | Tok::Str => {
                            self.expect_op(":")?;
                            self.pattern()?;
                        }
                        Tok::Op("(") => {
                            self.pipe()?;
                            self.expect_op(")")?;
                            self.expect_op(":")?;
                            self.pattern()?;
                        }
                        t => {
                            return Err(
                                self.err(format!("unexpected {} in a pattern", t.describe()))
                            );
                        }
                    }
                    if self.is_op(",") {
                        self.bump();
                        continue;
                    }
                    break;
                }
                self.expect_op("}")
            }
            t => Err(self.err(format!(
                "expected a `$variable` or a pattern after `as`, found {}",
                t.describe()
            ))),
        };
        self.depth -= 1;
        r
    }

    fn comma(&mut self) -> Result<(), JqError> {
        self.assign()?;
        while self.is_op(",") {
            self.bump();
            self.assign()?;
        }
        Ok(())
    }

    /// Assignments are non-associative, below `//`.
    fn assign(&mut self) -> Result<(), JqError> {
        self.alt()?;
        if ["=", "|=", "+=", "-=", "*=", "/=", "%=", "//="]
            .iter()
            .any(|op| self.is_op(op))
        {
            self.bump();
            self.alt()?;
        }
        Ok(())
    }

    fn alt(&mut self) -> Result<(), JqError> {
        self.or()?;
        while self.is_op("//") {
            self.bump();
            self.or()?;
        }
        Ok(())
    }

    fn or(&mut self) -> Result<(), JqError> {
        self.and()?;
        while self.is_word("or") {
            self.bump();
            self.and()?;
        }
        Ok(())
    }

    fn and(&mut self) -> Result<(), JqError> {
        self.compare()?;
        while self.is_word("and") {
            self.bump();
            self.compare()?;
        }
        Ok(())
    }

    fn compare(&mut self) -> Result<(), JqError> {
        self.additive()?;
        if ["==", "!=", "<", "<=", ">", ">="]
            .iter()
            .any(|op| self.is_op(op))
        {
            self.bump();
            self.additive()?;
        }
        Ok(())
    }

    fn additive(&mut self) -> Result<(), JqError> {
        self.multiplicative()?;
        while self.is_op("+") || self.is_op("-") {
            self.bump();
            self.multiplicative()?;
        }
        Ok(())
    }

    fn multiplicative(&mut self) -> Result<(), JqError> {
        self.unary()?;
        while self.is_op("*") || self.is_op("/") || self.is_op("%") {
            self.bump();
            self.unary()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<(), JqError> {
        if self.is_op("-") {
            self.bump();
        }
        self.postfix()
    }

    /// A term and its suffixes: `.a`, `."b"`, `[]`, `[e]`, `[a:b]`, `?`.
    fn postfix(&mut self) -> Result<(), JqError> {
        self.term()?;
        loop {
            match self.peek() {
                Tok::Field => {
                    self.bump();
                }
                Tok::Dot => {
                    self.bump();
                    match self.peek() {
                        Tok::Str => {
                            self.bump();
                        }
                        Tok::Op("[") => self.bracket()?,
                        t => {
                            return Err(self.err(format!(
                                "expected a field name after `.`, found {}",
                                t.describe()
                            )));
                        }
                    }
                }
                Tok::Op("[") => self.bracket()?,
                Tok::Op("?") => {
                    self.bump();
                }
                _ => return Ok(()),
            }
        }
    }

    /// `[]`, `[e]`, `[e:]`, `[:e]`, `[e:e]`.
    fn bracket(&mut self) -> Result<(), JqError> {
        self.expect_op("[")?;
        if self.is_op("]") {
            self.bump();
            return Ok(());
        }
        if self.is_op(":") {
            self.bump();
            self.pipe()?;
            return self.expect_op("]");
        }
        self.pipe()?;
        if self.is_op(":") {
            self.bump();
            if !self.is_op("]") {
                self.pipe()?;
            }
        }
        self.expect_op("]")
    }

    fn term(&mut self) -> Result<(), JqError> {
        self.enter()?;
        let r = self.term_inner();
        self.depth -= 1;
        r
    }

    fn term_inner(&mut self) -> Result<(), JqError> {
        let offset = self.offset();
        match self.bump() {
            Tok::Dot => {
                match self.peek() {
                    Tok::Str => {
                        self.bump();
                    }
                    Tok::Op("[") => self.bracket()?,
                    _ => {}
                }
                Ok(())
            }
            Tok::Field | Tok::Recurse | Tok::Num | Tok::Str | Tok::Var => Ok(()),
            Tok::Format => {
                if matches!(self.peek(), Tok::Str) {
                    self.bump();
                }
                Ok(())
            }
            Tok::Op("(") => {
                self.pipe()?;
                self.expect_op(")")
            }
            Tok::Op("[") => {
                if !self.is_op("]") {
                    self.pipe()?;
                }
                self.expect_op("]")
            }
            Tok::Op("{") => self.object(),
            Tok::Ident(w) => self.word(&w, offset),
            t => Err(JqError {
                message: format!("unexpected {}", t.describe()),
                offset,
            }),
        }
    }

    fn object(&mut self) -> Result<(), JqError> {
        if self.is_op("}") {
            self.bump();
            return Ok(());
        }
        loop {
            match self.bump() {
                Tok::Var => {}
                Tok::Ident(_) | Tok::Num | Tok::Format => {
                    if self.is_op(":") {
                        self.bump();
                        self.object_value()?;
                    }
                }
                Tok::Str => {
                    if self.is_op(":") {
                        self.bump();
                        self.object_value()?;
                    }
                }
                Tok::Op("(") => {
                    self.pipe()?;
                    self.expect_op(")")?;
                    self.expect_op(":")?;
                    self.object_value()?;
                }
                t => return Err(self.err(format!("unexpected {} in an object", t.describe()))),
            }
            if self.is_op(",") {
                self.bump();
                continue;
            }
            return self.expect_op("}");
        }
    }

    /// An object value: a term-level expression joined by `|` (no `,`).
    fn object_value(&mut self) -> Result<(), JqError> {
        self.alt()?;
        while self.is_op("|") {
            self.bump();
            self.alt()?;
        }
        Ok(())
    }

    /// Keywords and function calls.
    fn word(&mut self, w: &str, offset: usize) -> Result<(), JqError> {
        match w {
            "if" => {
                self.pipe()?;
                self.expect_word("then")?;
                self.pipe()?;
                while self.is_word("elif") {
                    self.bump();
                    self.pipe()?;
                    self.expect_word("then")?;
                    self.pipe()?;
                }
                if self.is_word("else") {
                    self.bump();
                    self.pipe()?;
                }
                self.expect_word("end")
            }
            "try" => {
                self.postfix()?;
                if self.is_word("catch") {
                    self.bump();
                    self.postfix()?;
                }
                Ok(())
            }
            "reduce" | "foreach" => {
                self.postfix()?;
                self.expect_word("as")?;
                self.patterns()?;
                self.expect_op("(")?;
                self.pipe()?;
                self.expect_op(";")?;
                self.pipe()?;
                if w == "foreach" && self.is_op(";") {
                    self.bump();
                    self.pipe()?;
                }
                self.expect_op(")")
            }
            "break" => match self.bump() {
                Tok::Var => Ok(()),
                t => Err(self.err(format!(
                    "expected a `$label` after `break`, found {}",
                    t.describe()
                ))),
            },
            "then" | "elif" | "else" | "end" | "as" | "catch" | "and" | "or" | "def" => {
                Err(JqError {
                    message: format!("unexpected `{w}`"),
                    offset,
                })
            }
            name => {
                if self.is_op("(") {
                    self.bump();
                    loop {
                        self.pipe()?;
                        if self.is_op(";") {
                            self.bump();
                            continue;
                        }
                        break;
                    }
                    self.expect_op(")")?;
                }
                if BUILTINS.contains(&name) || self.defined.iter().any(|d| d == name) {
                    Ok(())
                } else {
                    Err(JqError {
                        message: format!(
                            "`{name}` is not a jq function (a path starts with a dot: `.{name}`)"
                        ),
                        offset,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn expressions_argocd_users_write_parse() {
        for ok in [
            ".spec.replicas",
            ".status",
            ".",
            ".spec.template.spec.initContainers[] | select(.name == \"istio-init\")",
            ".metadata.annotations.\"kubectl.kubernetes.io/last-applied-configuration\"",
            ".metadata.annotations[\"a.b/c\"]",
            ".webhooks[]?.clientConfig.caBundle",
            ".spec.template.spec.containers[] | select(.name | startswith(\"sidecar-\")) | .image",
            ".spec.ports[0].nodePort",
            ".items[1:3]",
            ".data | keys",
            "..|.caBundle?",
            ".metadata.labels | with_entries(select(.key | test(\"^helm\")))",
            "if .kind == \"Secret\" then .data else empty end",
            ".a // .b",
            "[.spec.containers[].env[]? | select(.name == \"X\")]",
            "{a: .b, \"c\": 1, (.d): 2}",
            "reduce .[] as $x (0; . + $x)",
            "def f: .a; f",
            ".spec.rules[] | select(.host == \"\\(.name).acme.dev\")",
            ".a as $x | $x.b",
            "try .a catch .b",
            ".a |= . + 1",
            "@base64 \"x\\(.a)\"",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn broken_expressions_say_where() {
        for (bad, want) in [
            (".spec.replicas[", "expected"),
            ("spec.replicas", "`spec` is not a jq function"),
            (".spec | select(.name == \"x\"", "expected `)`"),
            (".a ||| .b", "unexpected"),
            (".metadata.\"unclosed", "not closed"),
            ("if .a then .b", "expected `end`"),
            (".a.", "expected a field name"),
            ("", "unexpected the end"),
            (".a ]", "unexpected `]`"),
            ("$", "must be followed by a name"),
        ] {
            let e = check(bad).expect_err(bad);
            assert!(e.message.contains(want), "{bad}: {e:?}");
        }
        let deep = "(".repeat(10_000);
        assert!(check(&deep).is_err());
    }
}
