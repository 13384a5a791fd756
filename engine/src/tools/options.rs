//! Command-line parsing as Kafka's tools do it with joptsimple 5.0.4 (`OptionParser`,
//! `OptionSet`, `BuiltinHelpFormatter`) and `server-common`'s `CommandLineUtils`, with their
//! messages:
//!
//! * `--name value`, `--name=value`; a single dash works for a whole option name (`-list`);
//!   `--` ends the options; other words are non-option arguments (the tools ignore them).
//! * An unknown option: `x is not a recognized option` (`UnrecognizedOptionException`, thrown
//!   while the tool builds its options, so the JVM prints it as an uncaught exception).
//! * A missing argument: `Option x requires an argument`; an option used without its
//!   `availableIf` options: `Option(s) [x] are unavailable given other options on the command
//!   line`; a number that does not parse: `Cannot parse argument 'v' of option x` (when the tool
//!   reads it); a second value where one is read: `Found multiple arguments for option x, but
//!   you asked for only one`.
//! * `CommandLineUtils`: `Missing required argument "[x]"`, `Option "[x]" can't be used with
//!   option "[y]"`, and the usage screen (the message, then joptsimple's option table).
//!
//! Option names in messages print as Kafka's `OptionSpec.toString()` does: `[name]`.

/// What an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// No argument (`accepts("x")`).
    None,
    /// A required argument (`withRequiredArg()`), described as this in the help.
    Required(&'static str),
    /// An optional argument (`withOptionalArg()`).
    Optional,
}

/// The type an argument converts to (`ofType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `String`.
    Str,
    /// `Long` (`Long.valueOf`).
    Long,
}

/// One option of a parser.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Its name (without dashes).
    pub name: &'static str,
    /// Its argument.
    pub arg: Arg,
    /// Its argument's type.
    pub ty: Type,
    /// Its help text (`\n` separates lines, as `System.lineSeparator()` in Kafka's docs).
    pub doc: &'static str,
    /// Its default value, shown in the help (`defaultsTo`).
    pub default: Option<&'static str>,
    /// `availableIf`: the option may only be used with one of these.
    pub available_if: &'static [&'static str],
    /// `forHelp()`: with it, availability is not checked.
    pub for_help: bool,
}

impl Spec {
    /// An option without argument.
    pub const fn flag(name: &'static str, doc: &'static str) -> Spec {
        Spec { name, arg: Arg::None, ty: Type::Str, doc, default: None, available_if: &[], for_help: false }
    }
    /// An option with a required `String` argument described as `what`.
    pub const fn string(name: &'static str, what: &'static str, doc: &'static str) -> Spec {
        Spec { name, arg: Arg::Required(what), ty: Type::Str, doc, default: None, available_if: &[], for_help: false }
    }
    /// An option with a required `Long` argument described as `what`.
    pub const fn long(name: &'static str, what: &'static str, doc: &'static str) -> Spec {
        Spec { name, arg: Arg::Required(what), ty: Type::Long, doc, default: None, available_if: &[], for_help: false }
    }
    /// An option with an optional `String` argument.
    pub const fn optional(name: &'static str, doc: &'static str) -> Spec {
        Spec { name, arg: Arg::Optional, ty: Type::Str, doc, default: None, available_if: &[], for_help: false }
    }
    /// The same option, usable only with one of `others`.
    pub const fn available_if(self, others: &'static [&'static str]) -> Spec {
        Spec { available_if: others, ..self }
    }
    /// The same option with a default value.
    pub const fn defaults_to(self, v: &'static str) -> Spec {
        Spec { default: Some(v), ..self }
    }
    /// The same option, marked `forHelp()`.
    pub const fn for_help(self) -> Spec {
        Spec { for_help: true, ..self }
    }
}

/// A parse failure: a joptsimple `OptionException` and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The exception's class (`joptsimple.UnrecognizedOptionException`, ...).
    pub class: &'static str,
    /// Its message.
    pub message: String,
}

/// The options found on a command line (joptsimple's `OptionSet`).
#[derive(Clone, Debug)]
pub struct Parsed {
    specs: &'static [Spec],
    /// Each present option with its values (an option without argument has none), in the order
    /// of the specs.
    found: Vec<(usize, Vec<String>)>,
}

impl Parsed {
    fn index(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }

    /// Whether the option is on the command line (`OptionSet.has`).
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some_and(|i| self.found.iter().any(|(j, _)| *j == i))
    }

    /// Its values, in order (`valuesOf`; the default when absent).
    pub fn values(&self, name: &str) -> Vec<String> {
        let Some(i) = self.index(name) else { return Vec::new() };
        match self.found.iter().find(|(j, _)| *j == i) {
            Some((_, v)) => v.clone(),
            None => self.specs[i].default.map(|d| vec![d.to_string()]).unwrap_or_default(),
        }
    }

    /// Its one value (`valueOf`): `None` without one; an error for several.
    pub fn value(&self, name: &str) -> Result<Option<String>, OptionError> {
        let v = self.values(name);
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.into_iter().next()),
            _ => Err(OptionError {
                class: "joptsimple.MultipleArgumentsForOptionException",
                message: format!("Found multiple arguments for option {name}, but you asked for only one"),
            }),
        }
    }

    /// Its one value as a `Long` (`valueOf` of an `ofType(Long.class)` option).
    pub fn long(&self, name: &str) -> Result<Option<i64>, OptionError> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => java_long(&v).map(Some).ok_or_else(|| conversion_error(&v, name)),
        }
    }

    /// Its values as `Long`s (`valuesOf`).
    pub fn longs(&self, name: &str) -> Result<Vec<i64>, OptionError> {
        self.values(name).iter().map(|v| java_long(v).ok_or_else(|| conversion_error(v, name))).collect()
    }
}

/// `OptionArgumentConversionException`.
fn conversion_error(v: &str, name: &str) -> OptionError {
    OptionError { class: "joptsimple.OptionArgumentConversionException", message: format!("Cannot parse argument '{v}' of option {name}") }
}

/// `Long.valueOf`: an optional sign and decimal digits, within the range of a Java `long`.
pub fn java_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Java's `String.split` on one character: the pieces between the separators, trailing
/// empty pieces dropped (`"a,b,".split(",")` is `[a, b]`; `""` gives `[""]`).
pub fn java_split(s: &str, c: char) -> Vec<&str> {
    let mut v: Vec<&str> = s.split(c).collect();
    while v.len() > 1 && v.last() == Some(&"") {
        v.pop();
    }
    v
}

/// `ParserRules`: a long option token (`--x`) or a short one (`-x`).
fn looks_like_option(s: &str) -> bool {
    s.len() > 1 && s.starts_with('-') && s != "--"
}

/// joptsimple's `OptionParser.parse` over `args` (no abbreviations, as Kafka's
/// `CommandDefaultOptions` builds it).
pub fn parse(specs: &'static [Spec], args: &[String]) -> Result<Parsed, OptionError> {
    let mut found: Vec<(usize, Vec<String>)> = Vec::new();
    let mut add = |i: usize, v: Option<String>| {
        let slot = match found.iter().position(|(j, _)| *j == i) {
            Some(k) => k,
            None => {
                found.push((i, Vec::new()));
                found.len() - 1
            }
        };
        if let Some(v) = v {
            found[slot].1.push(v);
        }
    };
    let unrecognized = |name: &str| OptionError { class: "joptsimple.UnrecognizedOptionException", message: format!("{name} is not a recognized option") };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            break; // the rest are non-option arguments
        }
        if !looks_like_option(a) {
            continue; // a non-option argument
        }
        let long = a.starts_with("--");
        let body = if long { &a[2..] } else { &a[1..] };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let Some(k) = specs.iter().position(|s| s.name == name) else {
            if long {
                return Err(unrecognized(name));
            }
            // A cluster of one-letter options: none of Kafka's tools has any.
            let first = body.chars().next().map(String::from).unwrap_or_default();
            return Err(unrecognized(&first));
        };
        let spec = &specs[k];
        match spec.arg {
            Arg::None => add(k, None),
            Arg::Required(_) => match inline {
                Some(v) => add(k, Some(v)),
                None => match args.get(i) {
                    Some(v) => {
                        add(k, Some(v.clone()));
                        i += 1;
                    }
                    None => {
                        return Err(OptionError {
                            class: "joptsimple.OptionMissingRequiredArgumentException",
                            message: format!("Option {name} requires an argument"),
                        })
                    }
                },
            },
            Arg::Optional => match inline {
                Some(v) => add(k, Some(v)),
                None => match args.get(i) {
                    Some(v) if !looks_like_option(v) => {
                        add(k, Some(v.clone()));
                        i += 1;
                    }
                    _ => add(k, None),
                },
            },
        }
    }
    let parsed = Parsed { specs, found };
    let help = specs.iter().any(|s| s.for_help && parsed.has(s.name));
    if !help {
        let unavailable: Vec<&str> = specs
            .iter()
            .filter(|s| !s.available_if.is_empty() && parsed.has(s.name) && !s.available_if.iter().any(|o| parsed.has(o)))
            .map(|s| s.name)
            .collect();
        if !unavailable.is_empty() {
            return Err(OptionError {
                class: "joptsimple.UnavailableOptionException",
                message: format!("Option(s) [{}] are unavailable given other options on the command line", unavailable.join(", ")),
            });
        }
    }
    Ok(parsed)
}

/// `OptionSpec.toString()`: `[name]`.
pub fn spec_name(name: &str) -> String {
    format!("[{name}]")
}

/// joptsimple's `BuiltinHelpFormatter` (80 columns, 2 between them): options sorted by name,
/// `--name <Type: what>` (`[Type]` for an optional argument) beside the description and its
/// `(default: v)`; both columns wrapped at word breaks, continuation lines indented by two.
/// Java's `BreakIterator` line rules are approximated: breaks after spaces, and after a hyphen
/// between letters.
pub fn help(specs: &[Spec]) -> String {
    let mut sorted: Vec<&Spec> = specs.iter().collect();
    crate::kernel::sort::sort_by(&mut sorted, |a, b| a.name.cmp(b.name));
    let mut rows: Vec<(String, String)> = vec![("Option".into(), "Description".into()), ("------".into(), "-----------".into())];
    for s in sorted {
        let mut left = format!("--{}", s.name);
        let indicator = match s.ty {
            Type::Str => "String",
            Type::Long => "Long",
        };
        match s.arg {
            Arg::None => {}
            Arg::Required("") => left.push_str(&format!(" <{indicator}>")),
            Arg::Required(what) => left.push_str(&format!(" <{indicator}: {what}>")),
            Arg::Optional => left.push_str(&format!(" [{indicator}]")),
        }
        let right = match s.default {
            Some(d) => format!("{} (default: {d})", s.doc).trim().to_string(),
            None => s.doc.to_string(),
        };
        rows.push((left, right));
    }
    let (ow, dw) = widths(&rows);
    let mut fitted: Vec<(String, String)> = Vec::new();
    for (l, r) in &rows {
        let ls = pieces(l, ow);
        let rs = pieces(r, dw);
        for k in 0..ls.len().max(rs.len()) {
            fitted.push((ls.get(k).cloned().unwrap_or_default(), rs.get(k).cloned().unwrap_or_default()));
        }
    }
    let (ow, dw) = widths(&fitted);
    let mut out = String::new();
    for (l, r) in fitted {
        out.push_str(&super::table::pad(&l, Some(ow)));
        out.push_str("  ");
        out.push_str(&super::table::pad(&r, Some(dw)));
        out.push('\n');
    }
    out
}

/// `Rows.optionWidth` / `descriptionWidth` for 80 columns and a 2-column separator.
fn widths(rows: &[(String, String)]) -> (usize, usize) {
    let wo = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    let wd = rows.iter().map(|(_, r)| r.chars().count()).max().unwrap_or(0);
    let ow = wo.min((80 - 2) / 2);
    (ow, wd.min(80 - ow - 2))
}

/// `Columns.piecesOf`: the text's lines, each wrapped to `width`.
fn pieces(raw: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in raw.trim().split('\n') {
        let mut piece = String::new();
        for word in words(line) {
            if piece.chars().count() + word.chars().count() > width {
                out.push(piece.trim_end().to_string());
                piece = format!("  {word}");
            } else {
                piece.push_str(&word);
            }
        }
        if !piece.is_empty() {
            out.push(piece);
        }
    }
    out
}

/// The line's segments between break opportunities, each with its trailing spaces.
fn words(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let next = chars.get(i + 1).copied();
        let brk = match next {
            None => true,
            Some(n) => {
                (c == ' ' && n != ' ')
                    || (c == '-' && n.is_ascii_alphabetic() && i > 0 && chars[i - 1].is_ascii_alphanumeric())
            }
        };
        if brk {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// Why a group tool stops before the end of its action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `CommandLineUtils.printUsageAndExit` (also what the tools' `run` does with an
    /// `IllegalArgumentException`): the message, then the usage, on standard error.
    Usage(String),
    /// An exception the tool's `run` catches: `Error: Executing … command failed due to <msg>`
    /// on standard output (Kafka's `printError`).
    Failed(String),
    /// `CommandLineUtils.printErrorAndExit`: the message on standard error.
    Exit(String),
}

/// A step of a group tool.
pub type Step<T> = Result<T, Stop>;

/// An `OptionException` read by a tool's `run` (caught there).
pub fn failed(e: OptionError) -> Stop {
    Stop::Failed(e.message)
}

/// `CommandLineUtils.checkInvalidArgs`: `used` with any of `invalid` (the first one present).
pub fn check_invalid(opts: &Parsed, used: &str, invalid: &[&str]) -> Step<()> {
    if opts.has(used) {
        if let Some(bad) = invalid.iter().find(|o| opts.has(o)) {
            return Err(Stop::Usage(format!("Option \"{}\" can't be used with option \"{}\"", spec_name(used), spec_name(bad))));
        }
    }
    Ok(())
}

/// Prints how a group tool stopped: `specs`' usage screen for a usage error, `Error:
/// Executing <what> command failed due to …` for an error its `run` caught (exit 1 for each,
/// see `docs/terminal.md`).
pub fn finish(out: &mut super::table::ToolOutput, specs: &[Spec], what: &str, result: Step<()>) {
    match result {
        Ok(()) => {}
        Err(Stop::Usage(msg)) => usage_error(out, specs, &msg),
        Err(Stop::Failed(msg)) => out.error(&format!("Executing {what} command failed due to {msg}")),
        Err(Stop::Exit(msg)) => {
            out.err(&msg);
            out.err("\n");
            out.exit_code = 1;
        }
    }
}

/// `CommandLineUtils.printUsageAndExit`: the message, then the usage, on standard error; exit 1.
pub fn usage_error(out: &mut super::table::ToolOutput, specs: &[Spec], message: &str) {
    out.err(message);
    out.err("\n");
    out.err(&help(specs));
    out.exit_code = 1;
}

/// An `OptionException` thrown while a tool builds its options: the JVM's report of an
/// uncaught exception (GroupLab leaves out the stack trace); exit 1.
pub fn uncaught(out: &mut super::table::ToolOutput, e: &OptionError) {
    out.err(&format!("Exception in thread \"main\" {}: {}\n", e.class, e.message));
    out.exit_code = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec] = &[
        Spec::string("bootstrap-server", "server to connect to", "The server(s) to connect to."),
        Spec::flag("describe", "Describe."),
        Spec::flag("members", "Members.").available_if(&["describe"]),
        Spec::long("shift-by", "number-of-offsets", "Shift."),
        Spec::optional("state", "State."),
        Spec::long("timeout", "timeout (ms)", "Timeout.").defaults_to("30000"),
    ];

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_like_joptsimple() {
        let p = parse(SPECS, &args("--bootstrap-server=b:9092 -describe --shift-by -5 --state --members extra")).unwrap();
        assert_eq!(p.value("bootstrap-server").unwrap().as_deref(), Some("b:9092"));
        assert!(p.has("describe") && p.has("members") && p.has("state"));
        assert_eq!(p.long("shift-by").unwrap(), Some(-5));
        assert_eq!(p.value("state").unwrap(), None, "an option-looking word is not an optional argument");
        assert_eq!(p.long("timeout").unwrap(), Some(30_000), "the default");
        let msg = |s: &str| parse(SPECS, &args(s)).unwrap_err().message;
        assert_eq!(msg("--nope"), "nope is not a recognized option");
        assert_eq!(msg("-x"), "x is not a recognized option");
        assert_eq!(msg("--shift-by"), "Option shift-by requires an argument");
        assert_eq!(msg("--members"), "Option(s) [members] are unavailable given other options on the command line");
        let p = parse(SPECS, &args("--shift-by x --timeout 1 --timeout 2")).unwrap();
        assert_eq!(p.long("shift-by").unwrap_err().message, "Cannot parse argument 'x' of option shift-by");
        assert_eq!(p.long("timeout").unwrap_err().message, "Found multiple arguments for option timeout, but you asked for only one");
        assert_eq!(java_long("+7"), Some(7));
        assert_eq!(java_long("1e3"), None);
        assert_eq!(java_long("99999999999999999999"), None);
    }

    #[test]
    fn help_is_joptsimples_table() {
        let h = help(SPECS);
        let lines: Vec<&str> = h.lines().collect();
        // The option column is as wide as its widest piece once wrapped (37 here), as
        // `Rows.fitToWidth` re-adds the fitted rows; every line is padded to both widths.
        assert_eq!(lines[0], format!("{:<37}  {:<28}", "Option", "Description"));
        assert_eq!(lines[1].trim_end(), format!("{:<37}  -----------", "------"));
        assert_eq!(lines[2], "--bootstrap-server <String: server to  The server(s) to connect to.");
        assert_eq!(lines[3].trim_end(), "  connect to>");
        assert!(h.contains("--state [String]"));
        assert!(h.contains("Timeout. (default: 30000)"));
        assert_eq!(pieces("aaa bbb ccc", 8), ["aaa bbb", "  ccc"]);
        assert_eq!(pieces("aaa bbb ccc", 7), ["aaa", "  bbb", "  ccc"], "a word counts with its trailing space");
        assert_eq!(words("well-known x"), ["well-", "known ", "x"]);
    }
}
