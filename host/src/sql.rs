//! Reading migration SQL: statement boundaries, `-- vytal:` directives and checksums.
//!
//! A migration runs as one batch, and a failure is traced back to its
//! statement and line through the statement boundaries found here. The splitter understands quotes, quoted
//! identifiers, dollar quoting and nested block comments, which is all
//! PostgreSQL needs to find a top-level `;`.

use sha2::{Digest, Sha256};
use std::time::Duration;

/// One top-level statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement text, from its first token to its `;` (exclusive).
    pub text: String,
    /// 1-based line in the file where the statement starts.
    pub line: usize,
    /// Byte offset in the file where the statement starts.
    pub start: usize,
}

/// Splits SQL into top-level statements, dropping empty and comment-only ones.
pub fn split_statements(sql: &str) -> Vec<Statement> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    // Lines are counted as the scan goes, not from the top for every statement.
    let mut lines = Lines::default();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(past) = skip_comment(bytes, i) {
            i = past;
            continue;
        }
        let b = bytes[i];
        match b {
            b';' => {
                if let Some(s) = start.take() {
                    out.push(statement(sql, s, i, lines.at(bytes, s)));
                }
                i += 1;
                continue;
            }
            _ if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
        i = match b {
            b'\'' => {
                let escapes = i > 0 && matches!(bytes[i - 1], b'E' | b'e') && !ident_char_before(bytes, i - 1);
                skip_quoted(bytes, i, b'\'', escapes)
            }
            b'"' => skip_quoted(bytes, i, b'"', false),
            b'$' => skip_dollar(bytes, i),
            _ => i + 1,
        };
    }
    if let Some(s) = start {
        out.push(statement(sql, s, bytes.len(), lines.at(bytes, s)));
    }
    out
}

/// Whether `sql` holds a statement at all, not only comments, blanks and
/// `;`: what `!split_statements(sql).is_empty()` says, without splitting.
pub fn has_statement(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(past) = skip_comment(bytes, i) {
            i = past;
        } else if bytes[i] == b';' || bytes[i].is_ascii_whitespace() {
            i += 1;
        } else {
            return true;
        }
    }
    false
}

/// If a comment opens at `i` (`--` to the end of the line, or a `/* */`
/// block, nested), the index just past it.
fn skip_comment(bytes: &[u8], mut i: usize) -> Option<usize> {
    match (bytes.get(i), bytes.get(i + 1)) {
        (Some(b'-'), Some(b'-')) => {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            Some(i)
        }
        (Some(b'/'), Some(b'*')) => {
            let mut depth = 1;
            i += 2;
            while i < bytes.len() && depth > 0 {
                if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Some(i)
        }
        _ => None,
    }
}

/// The 1-based line of increasing byte offsets, counting each newline once.
#[derive(Default)]
struct Lines {
    counted: usize,
    newlines: usize,
}

impl Lines {
    fn at(&mut self, bytes: &[u8], offset: usize) -> usize {
        self.newlines += bytes[self.counted..offset].iter().filter(|&&b| b == b'\n').count();
        self.counted = offset;
        self.newlines + 1
    }
}

fn ident_char_before(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

fn statement(sql: &str, start: usize, end: usize, line: usize) -> Statement {
    Statement { text: sql[start..end].trim_end().to_owned(), line, start }
}

/// Returns the index just past a quoted run that opens at `i`.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8, backslash_escapes: bool) -> usize {
    i += 1;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Returns the index just past a `$tag$ ... $tag$` run, or past a lone `$`
/// (a positional parameter such as `$1`).
fn skip_dollar(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    let tag_is_valid = bytes.get(j) == Some(&b'$') && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
    if !tag_is_valid {
        return i + 1;
    }
    let tag = &bytes[i..=j];
    let mut k = j + 1;
    while k + tag.len() <= bytes.len() {
        if &bytes[k..k + tag.len()] == tag {
            return k + tag.len();
        }
        k += 1;
    }
    bytes.len()
}

/// Normalises SQL for checksumming: line endings, trailing blanks and
/// `-- vytal:allow` lines do not count. An allow line is a note for
/// `vytal-host check` about the migration, not part of what runs, so adding
/// or rewording one does not make an applied migration read as edited.
pub fn normalise(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for line in sql.lines() {
        if allow_line(line).is_some() {
            continue;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    out
}

/// The hex SHA-256 of the normalised SQL: the identity of an applied migration's text.
pub fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(normalise(sql).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    hex
}

/// `text` as an SQL string literal that reads back exactly, whatever it
/// holds and whatever the session's settings: dollar-quoted, under a tag
/// that occurs nowhere in `text` followed by the tag (so the literal cannot
/// end early), and with no escape processing at all, unlike `'...'` under
/// `standard_conforming_strings = off`.
pub fn literal(text: &str) -> String {
    let mut n = 0usize;
    loop {
        let tag = if n == 0 { "$v$".to_owned() } else { format!("$v{n}$") };
        let closed = format!("{text}{tag}");
        if closed.find(&tag) == Some(text.len()) {
            return format!("{tag}{closed}");
        }
        n += 1;
    }
}

/// An optional text as a literal, or `NULL`.
pub fn literal_or_null(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_owned(), literal)
}

/// A float as an SQL literal that reads back as the same `double precision`
/// (Rust prints the shortest text that does); 0 for what is not finite.
pub fn float_literal(x: f64) -> String {
    if x.is_finite() { format!("{x:?}::double precision") } else { "0::double precision".to_owned() }
}

/// The text after `-- vytal:allow` on a line that is only that comment.
fn allow_line(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start().strip_prefix("vytal:allow")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest.trim())
}

/// `-- vytal:allow RULE: reason`: one `vytal-host check` rule suppressed for
/// one migration, with the reason it is acceptable there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// The rule's name, as `check` prints it.
    pub rule: String,
    /// Why; `check` refuses an allow without one.
    pub reason: Option<String>,
    /// 1-based line of the comment.
    pub line: usize,
}

/// The `-- vytal:allow` lines of a file, wherever they are.
pub fn allows(sql: &str) -> Vec<Allow> {
    sql.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let rest = allow_line(line)?;
            let (rule, reason) = match rest.split_once(':') {
                Some((rule, reason)) => (rule.trim(), Some(reason.trim()).filter(|r| !r.is_empty())),
                None => (rest, None),
            };
            Some(Allow { rule: rule.to_owned(), reason: reason.map(str::to_owned), line: n + 1 })
        })
        .collect()
}

/// How a migration asks to be run, from `-- vytal:` lines at the top of its up file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- vytal:no-transaction`: run outside a transaction (for `CREATE INDEX CONCURRENTLY`).
    pub no_transaction: bool,
    /// `-- vytal:lock-timeout 30s`: overrides the host's `lock_timeout` for this migration.
    pub lock_timeout: Option<Duration>,
    /// `-- vytal:statement-timeout 1h`: overrides the host's `statement_timeout`.
    pub statement_timeout: Option<Duration>,
}

/// Parses the `-- vytal:` directives of a migration; `Err` describes the bad line.
pub fn directives(sql: &str) -> Result<Directives, (usize, String)> {
    let mut d = Directives::default();
    for (n, line) in sql.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(rest) = line.strip_prefix("--") else {
            break; // directives only count before the first statement
        };
        let Some(directive) = rest.trim_start().strip_prefix("vytal:") else {
            continue;
        };
        let mut words = directive.split_whitespace();
        let key = words.next().unwrap_or_default();
        let value = words.next();
        let parse = |v: Option<&str>| -> Result<Duration, (usize, String)> {
            let v = v.ok_or_else(|| (n + 1, format!("`vytal:{key}` needs a duration, e.g. `-- vytal:{key} 30s`")))?;
            parse_duration(v).map_err(|e| (n + 1, format!("`vytal:{key}`: {e}")))
        };
        match key {
            "allow" => {} // read by `allows`: a note for `check`, not a way to run
            "no-transaction" => d.no_transaction = true,
            "lock-timeout" => d.lock_timeout = Some(parse(value)?),
            "statement-timeout" => d.statement_timeout = Some(parse(value)?),
            other => {
                return Err((
                    n + 1,
                    format!(
                        "unknown directive `vytal:{other}`; known: no-transaction, lock-timeout, statement-timeout, allow"
                    ),
                ));
            }
        }
    }
    Ok(d)
}

/// Parses `0`, `250ms`, `30s`, `5min`, `2h` (PostgreSQL's own units).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 =
        number.parse().map_err(|_| match number.is_empty() {
            true => format!("`{text}` is not a duration; write e.g. 250ms, 30s, 5min, 2h or 0"),
            // Digits only, too many for any integer: longer than any timeout.
            false => format!("`{text}` is longer than PostgreSQL accepts for a timeout ({MAX_TIMEOUT_MS}ms, about 24 days); write at most 596h, or 0 for no limit"),
        })?;
    let per = match unit.trim() {
        "" if n == 0 => 1,
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("`{text}` has no known unit; write e.g. 250ms, 30s, 5min, 2h or 0")),
    };
    match n.checked_mul(per) {
        Some(ms) if ms <= MAX_TIMEOUT_MS => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "`{text}` is longer than PostgreSQL accepts for a timeout ({MAX_TIMEOUT_MS}ms, about 24 days); write at most 596h, or 0 for no limit"
        )),
    }
}

/// The largest `lock_timeout` or `statement_timeout` PostgreSQL accepts, in
/// milliseconds (`INT_MAX`); every duration vytal reads is held to it.
pub const MAX_TIMEOUT_MS: u64 = 2_147_483_647;

/// The 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// Whether `sql` may name `name` (a schema, a keyword): the name as a whole
/// word, in any case (no letter, digit, `_` or `$` on either side), and not
/// a directive's `vytal:` prefix. Comments and strings count too, so a
/// `false` is sure and a `true` may be a mention only.
pub fn names(sql: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let (text, name) = (sql.to_lowercase(), name.to_lowercase());
    let part = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(&name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(|c| part(c) || c == ':')
    })
}

/// Whether `sql` may set a transaction's isolation (`SET TRANSACTION
/// ISOLATION LEVEL`, `SET transaction_isolation`...): the word anywhere, in
/// any case. A `true` may be a mention only.
pub fn mentions_isolation(sql: &str) -> bool {
    sql.to_lowercase().contains("isolation")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_statement_agrees_with_the_splitter() {
        for sql in [
            "",
            " ;\n; ",
            "-- only a note\n",
            "/* outer /* nested; */ still */ ;",
            "/* never closed; SELECT 1",
            "-- note\nSELECT 1",
            "/* a */ CREATE TABLE t (id int);",
            ";;\n  x",
            "--\n--\n;/**/'';",
        ] {
            assert_eq!(has_statement(sql), !split_statements(sql).is_empty(), "{sql:?}");
        }
        assert!(!has_statement("-- vytal:no-transaction\n/* SELECT 1; */"));
        assert!(has_statement("/* SELECT 1; */ SELECT 2"));
    }

    #[test]
    fn isolation_is_found_in_any_spelling() {
        assert!(mentions_isolation("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
        assert!(mentions_isolation("SET LOCAL transaction_isolation = 'serializable'"));
        assert!(!mentions_isolation("CREATE TABLE isol (id int)"));
    }

    #[test]
    fn a_name_is_found_as_a_whole_word_in_any_case() {
        assert!(names("GRANT USAGE ON SCHEMA vytal TO app;", "vytal"));
        assert!(names("select * from \"Vytal\".migrations", "vytal"));
        assert!(!names("-- what VytalWatch needs\nCREATE TABLE vytal_x (id int);", "vytal"));
        assert!(!names("CREATE TABLE a$vytal (id int);", "vytal"));
        assert!(!names("-- vytal:allow prefer-timestamptz: later\nCREATE TABLE t (at timestamp);", "vytal"));
        assert!(!names("anything", ""));
    }

    #[test]
    fn literals_cannot_end_early() {
        assert_eq!(literal("it's"), "$v$it's$v$");
        assert_eq!(literal("a $v$ b"), "$v1$a $v$ b$v1$");
        // The text ends with the start of the tag: `$v$` would close one character early.
        assert_eq!(literal("cost $v"), "$v1$cost $v$v1$");
        assert_eq!(literal("$v1$ and $v"), "$v2$$v1$ and $v$v2$");
        assert_eq!(literal(""), "$v$$v$");
        assert_eq!(literal_or_null(None), "NULL");
        assert_eq!(float_literal(1.5), "1.5::double precision");
        assert_eq!(float_literal(f64::NAN), "0::double precision");
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let sql = "-- header; not a split\nCREATE TABLE \"a;b\" (x text DEFAULT 'it''s;');\n\
                   /* outer /* nested; */ still; */\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   SELECT E'\\';' ;\n\n  ;  \nSELECT $1";
        let got: Vec<_> = split_statements(sql).into_iter().map(|s| (s.line, s.text)).collect();
        assert_eq!(
            got,
            vec![
                (2, "CREATE TABLE \"a;b\" (x text DEFAULT 'it''s;')".to_owned()),
                (4, "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql".to_owned()),
                (5, "SELECT E'\\';'".to_owned()),
                (8, "SELECT $1".to_owned()),
            ]
        );
    }

    #[test]
    fn checksum_ignores_line_endings_and_trailing_blanks() {
        assert_eq!(checksum("SELECT 1;\r\nSELECT 2;  \r\n"), checksum("SELECT 1;\nSELECT 2;"));
        assert_ne!(checksum("SELECT 1;"), checksum("SELECT 2;"));
    }

    #[test]
    fn checksum_ignores_allow_lines_but_nothing_else() {
        let plain = "-- header\nCREATE TABLE t (x timestamp);";
        let allowed =
            "-- header\n-- vytal:allow prefer-timestamptz: reproduces the old schema\nCREATE TABLE t (x timestamp);";
        assert_eq!(checksum(plain), checksum(allowed));
        assert_ne!(checksum(plain), checksum("-- header changed\nCREATE TABLE t (x timestamp);"));
        assert_ne!(checksum(plain), checksum("-- vytal:allowed\nCREATE TABLE t (x timestamp);"));
    }

    #[test]
    fn reads_allows_with_and_without_reasons() {
        let got = allows(
            "-- vytal:allow prefer-timestamptz: 1.0.0 keeps the old types\nSELECT 1;\n  --vytal:allow if-exists\n",
        );
        assert_eq!(
            got,
            vec![
                Allow { rule: "prefer-timestamptz".into(), reason: Some("1.0.0 keeps the old types".into()), line: 1 },
                Allow { rule: "if-exists".into(), reason: None, line: 3 },
            ]
        );
        assert!(directives("-- vytal:allow x: y\nSELECT 1;").is_ok());
    }

    #[test]
    fn reads_directives_and_rejects_unknown_ones() {
        let d = directives("-- vytal:no-transaction\n-- vytal:lock-timeout 30s\nCREATE INDEX CONCURRENTLY i ON t (x);")
            .unwrap();
        assert!(d.no_transaction);
        assert_eq!(d.lock_timeout, Some(Duration::from_secs(30)));
        assert_eq!(d.statement_timeout, None);
        let err = directives("-- vytal:no-transactions\nSELECT 1;").unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("unknown directive `vytal:no-transactions`"), "{}", err.1);
        assert!(directives("SELECT 1;\n-- vytal:bogus").is_ok(), "directives after SQL are plain comments");
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("5 minutes").is_err());
        assert_eq!(parse_duration("596h"), Ok(Duration::from_secs(596 * 3600)));
        assert_eq!(parse_duration("2147483647ms"), Ok(Duration::from_millis(2_147_483_647)));
        for too_long in ["597h", "2147483648ms", "99999999999h", "144115188075855872h", "99999999999999999999999ms"] {
            let e = parse_duration(too_long).unwrap_err();
            assert!(e.contains("longer than PostgreSQL accepts for a timeout"), "{too_long}: {e}");
        }
        assert!(parse_duration("5").is_err());
    }
}
