//! Kafka's command-line tools over a simulation: `kafka-consumer-groups.sh`,
//! `kafka-share-groups.sh` (share groups, as Kafka 4.2–4.3 print them) and `kafka-topics.sh`,
//! as Kafka 4.3 prints them, read-only over a [`Sim`] (layer 6, beside
//! [`crate::run`]; see `docs/terminal.md`).
//!
//! * [`run_line`] runs one shell-like command line (words split on blanks, `'…'` and `"…"`
//!   quoting and `\` escapes honoured) and returns its standard output, standard error, exit
//!   code and, for `--reset-offsets --execute` and `--delete-offsets`, the engine
//!   [`Command`](crate::Command) to apply: the tools never change the simulation themselves.
//! * [`HELP`] is what the terminal's `help` prints.
//! * [`describe_offsets`], [`describe_members`], [`describe_state`] and [`list_groups`] are the
//!   group tables as plain data ([`Table`]), for read-only panels, and [`status_line`] the line
//!   above them; [`Table::render`] prints them exactly as Kafka's formats do.
//!
//! Sources (apache/kafka 4.3): `tools/.../consumer/group/ConsumerGroupCommand.java`,
//! `ConsumerGroupCommandOptions.java`, `ShareGroupCommand.java`, `ShareGroupCommandOptions.java`, `tools/.../OffsetsUtils.java`, `tools/.../TopicCommand.java`,
//! `server-common/.../util/CommandLineUtils.java`, joptsimple 5.0.4; the broker rules come from the
//! engine ([`Sim::offset_delete_outcome`], `ClassicGroup.validateOffsetCommit`).

mod consumer_groups;
mod group_tables;
mod offsets;
mod options;
mod regex;
mod share_groups;
mod table;
mod time;
mod topics;

use crate::Sim;

pub use group_tables::{broker_host, coordinator_cell, describe_members, describe_offsets, describe_state, lag_seconds, list_groups, status_line, BROKER_PORT, HOST, MISSING};
pub use table::{pad, Table, ToolOutput, Width};
pub use time::{log4j_date, parse_datetime, parse_duration};

/// The tools [`run_line`] knows, by the name typed (a path before it and the `.sh` suffix are
/// optional: `bin/kafka-topics.sh`, `kafka-topics`).
pub const TOOLS: &[&str] = &["kafka-consumer-groups.sh", "kafka-share-groups.sh", "kafka-topics.sh"];

/// What the terminal's `help` prints.
pub const HELP: &str = "\
GroupLab terminal: Kafka 4.3's command-line tools against the simulated cluster.

  kafka-consumer-groups.sh --bootstrap-server HOST:PORT ...
      --list [--type [classic,consumer]] [--state [states]]
      --describe (--group G | --all-groups) [--offsets | --members | --state] [--verbose]
      --reset-offsets (--group G | --all-groups) (--topic T[:P,...] | --all-topics)
          (--to-earliest | --to-latest | --to-offset N | --shift-by N | --to-current
           | --to-datetime YYYY-MM-DDThh:mm:ss.sss | --by-duration PnDTnHnMnS)
          [--dry-run | --execute] [--export]
      --delete-offsets --group G --topic T[:P,...]
  kafka-share-groups.sh --bootstrap-server HOST:PORT ...
      --list [--state [states]]
      --describe (--group G | --all-groups) [--offsets | --members | --state] [--verbose]
      --reset-offsets --group G (--topic T[:P,...] | --all-topics)
          (--to-earliest | --to-latest | --to-datetime YYYY-MM-DDThh:mm:ss.sss)
          (--dry-run | --execute)
      --delete-offsets --group G --topic T
  kafka-topics.sh --bootstrap-server HOST:PORT
      --list [--topic REGEX] [--exclude-internal]
      --describe [--topic REGEX] [--exclude-internal] [--under-replicated-partitions
          | --under-min-isr-partitions | --at-min-isr-partitions | --unavailable-partitions
          | --topics-with-overrides]
  help    this text

Any --bootstrap-server value reaches the simulated cluster (Kafka requires the option).
Each tool's --help prints its full option list. --reset-offsets --execute and
--delete-offsets change the simulation through an engine command, recorded in the timeline.
kafka-consumer-groups.sh --describe adds GroupLab's LAG-SECONDS column: how long the oldest
unconsumed record has waited (simulated time starts at 1970-01-01T00:00:00Z).

Examples:
  kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group
  kafka-consumer-groups.sh --bootstrap-server localhost:9092 --reset-offsets --group my-group --topic orders --to-earliest --execute
  kafka-share-groups.sh --bootstrap-server localhost:9092 --describe --group my-share-group --members
  kafka-topics.sh --bootstrap-server localhost:9092 --describe --topic orders
";

/// Splits a command line into words as a POSIX shell does for simple commands: blanks
/// separate words; `'…'` keeps everything literally; `"…"` keeps blanks, with `\"`, `\\`, `\$`
/// and `` \` `` escaped; `\` outside quotes escapes the next character. `Err` names an
/// unterminated quote.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unexpected end of line while looking for matching `''".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek().copied() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => {
                                cur.push(x);
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unexpected end of line while looking for matching `\"'".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// The tool a typed program name means: `kafka-topics.sh`, `kafka-topics` or a path ending so.
fn tool_of(program: &str) -> Option<&'static str> {
    let base = program.rsplit('/').next().unwrap_or(program);
    let base = base.strip_suffix(".sh").unwrap_or(base);
    TOOLS.iter().copied().find(|t| t.strip_suffix(".sh") == Some(base))
}

/// Runs one command line against `sim` (read-only). The line's first word picks the tool
/// (`kafka-consumer-groups.sh`, `kafka-share-groups.sh`, `kafka-topics.sh`, `help`); a blank
/// line prints nothing. An unknown program is `command not found` (exit 127, as a shell), an
/// unterminated quote a syntax error (exit 2). Never panics, whatever the line.
pub fn run_line(sim: &Sim, line: &str) -> ToolOutput {
    let words = match split_words(line) {
        Ok(w) => w,
        Err(e) => return ToolOutput { stderr: format!("grouplab: syntax error: {e}\n"), exit_code: 2, ..ToolOutput::default() },
    };
    let Some((program, args)) = words.split_first() else { return ToolOutput::default() };
    if program == "help" {
        return ToolOutput { stdout: HELP.to_string(), ..ToolOutput::default() };
    }
    match tool_of(program) {
        Some("kafka-consumer-groups.sh") => consumer_groups::run(sim, args),
        Some("kafka-share-groups.sh") => share_groups::run(sim, args),
        Some(_) => topics::run(sim, args),
        None => ToolOutput {
            stderr: format!("{program}: command not found\nThis terminal runs: {}, help\n", TOOLS.join(", ")),
            exit_code: 127,
            ..ToolOutput::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(split_words("  a  'b c' \"d \\\"e\\\"\" f\\ g ''").unwrap(), ["a", "b c", "d \"e\"", "f g", ""]);
        assert_eq!(split_words("x'y'\"z\"").unwrap(), ["xyz"]);
        assert!(split_words("'open").is_err());
        assert!(split_words("\"open").is_err());
        assert_eq!(tool_of("bin/kafka-topics.sh"), Some("kafka-topics.sh"));
        assert_eq!(tool_of("kafka-consumer-groups"), Some("kafka-consumer-groups.sh"));
        assert_eq!(tool_of("bin/kafka-share-groups.sh"), Some("kafka-share-groups.sh"));
        assert_eq!(tool_of("kafka-console-consumer.sh"), None);
    }
}
