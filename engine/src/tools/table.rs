//! What a tool prints: [`ToolOutput`], and [`Table`], a table as plain data (for the UI's
//! read-only panels) that [`Table::render`] prints exactly as Kafka's `printf` formats do.

use crate::api::command::Command;

/// The result of one tool command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolOutput {
    /// What the tool writes to standard output.
    pub stdout: String,
    /// What it writes to standard error (status lines, warnings, usage).
    pub stderr: String,
    /// The engine command an `--execute` (or `--delete-offsets`) asks for. The caller applies
    /// it (the UI through its reducer, so it is in the timeline; the CLI through its run) and
    /// prints `Error: <the error>` itself if applying fails.
    pub command: Option<Command>,
    /// The process's exit code: 0 on success, 1 on an error (see `docs/terminal.md`).
    pub exit_code: i32,
}

impl ToolOutput {
    /// Appends to standard output.
    pub(super) fn out(&mut self, s: &str) {
        self.stdout.push_str(s);
    }
    /// Appends to standard error.
    pub(super) fn err(&mut self, s: &str) {
        self.stderr.push_str(s);
    }
    /// Kafka's `printError`: `\nError: <msg>` on standard output, and a failed exit.
    pub(super) fn error(&mut self, msg: &str) {
        self.stdout.push_str("\nError: ");
        self.stdout.push_str(msg);
        self.stdout.push('\n');
        self.exit_code = 1;
    }
}

/// How a format pads one column (Java's `%-Ns`, or `%s` for the last one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// `%-Ns` with a fixed `N`.
    Fixed(usize),
    /// `%-Ns` with `N = max(min, longest value in the column) + plus`, the header not counted
    /// (Kafka sizes its columns from the data).
    Fit {
        /// Smallest width.
        min: usize,
        /// Added to it (`--list`'s group column).
        plus: usize,
    },
    /// `%s`: no padding.
    Free,
}

/// A table: column names and rows, and the widths Kafka's format gives the columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub head: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<String>>,
    /// How each column is padded when printed.
    pub widths: Vec<Width>,
    /// Printed after each line's last column (`--describe --members` ends its lines with a space).
    pub line_suffix: String,
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new(head: &[&str], widths: Vec<Width>) -> Table {
        Table { head: head.iter().map(|h| h.to_string()).collect(), rows: Vec::new(), widths, line_suffix: String::new() }
    }

    /// The padding width of each column (`None` for an unpadded one).
    fn column_widths(&self) -> Vec<Option<usize>> {
        self.widths
            .iter()
            .enumerate()
            .map(|(i, w)| match *w {
                Width::Fixed(n) => Some(n),
                Width::Fit { min, plus } => {
                    let longest = self.rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0);
                    Some(min.max(longest) + plus)
                }
                Width::Free => None,
            })
            .collect()
    }

    /// One line: the cells padded as the columns say, separated by one space.
    fn line(&self, cells: &[String], widths: &[Option<usize>]) -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&pad(cell, widths.get(i).copied().flatten()));
        }
        out.push_str(&self.line_suffix);
        out
    }

    /// The header line then one line per row, each ended by a newline, as Kafka's `printf`
    /// prints them (values longer than a column overflow it, as `%-Ns` does).
    pub fn render(&self) -> String {
        let widths = self.column_widths();
        let mut out = self.line(&self.head, &widths);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&self.line(r, &widths));
            out.push('\n');
        }
        out
    }

    /// Kafka's layout of the group tools (`"\n" + format` per line, then `println()`): a
    /// blank line, the header, the rows.
    pub fn render_with_blank_line(&self) -> String {
        format!("\n{}", self.render())
    }
}

/// Java's `%-Ns`: left-justified, padded with spaces to `width` characters (never cut).
pub fn pad(s: &str, width: Option<usize>) -> String {
    let mut out = s.to_string();
    if let Some(w) = width {
        let n = s.chars().count();
        if n < w {
            out.extend(std::iter::repeat_n(' ', w - n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_like_printf() {
        let mut t = Table::new(&["GROUP", "PARTITION", "X"], vec![Width::Fit { min: 3, plus: 0 }, Width::Fixed(10), Width::Free]);
        t.rows.push(vec!["group-long".into(), "0".into(), "end".into()]);
        assert_eq!(t.render(), "GROUP      PARTITION  X\ngroup-long 0          end\n");
        t.line_suffix = " ".into();
        assert!(t.render().starts_with("GROUP      PARTITION  X \n"));
        assert_eq!(pad("abcdef", Some(3)), "abcdef");
    }
}
