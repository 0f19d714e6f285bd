//! Splitting CSV bytes into records and fields, the way the `csv` crate does by default.
//!
//! The rules are csv-core's with its defaults (double quotes, `""` for a quote, no escape
//! character, no comments, CR, LF or CRLF ending a record): a field is quoted only when it starts
//! with `"`; a quote inside an unquoted field is kept as it is; text after a closing quote is
//! kept unquoted (`"a"b` is `ab`); a quoted field runs to the end of the input when never
//! closed; empty lines between records are skipped. Bytes are not decoded here: fields are byte
//! ranges, and only quoted fields are copied (unescaped) into a scratch buffer.

/// What one call of [`Splitter::split`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    /// A whole record: its fields are in the splitter, its bytes in `consumed`.
    Record,
    /// The record goes on past the bytes offered: offer more. `consumed` bytes (empty lines)
    /// may be dropped first.
    NeedMore,
    /// No record is left.
    End,
}

/// Where a field's bytes are: in the input or, unquoted, in the splitter's scratch buffer.
#[derive(Debug, Clone, Copy)]
struct Field {
    start: usize,
    end: usize,
    unquoted_copy: bool,
}

/// A record splitter that keeps its buffers from record to record.
pub(super) struct Splitter {
    delimiter: u8,
    /// 1 + the newlines consumed so far.
    line: u64,
    /// The line on which the last record starts.
    record_line: u64,
    /// Bytes used by the last call.
    consumed: usize,
    fields: Vec<Field>,
    scratch: Vec<u8>,
}

const QUOTE: u8 = b'"';

/// The bytes of `word` equal to `b`, as 0x80 in each such byte and 0 in the others. Exact (no
/// false positives from borrows): `(x & 0x7f) + 0x7f` has its top bit set when x's low seven
/// bits are not all zero, and `| x` when its top bit is, so a byte of `!(.. | x | 0x7f)` is
/// 0x80 exactly when x is zero; the sums never carry into the next byte.
fn bytes_equal(word: u64, b: u8) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((x & LOW_SEVEN) + LOW_SEVEN) | x | LOW_SEVEN)
}

fn is_term(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

impl Splitter {
    /// A splitter at the start of the input.
    pub(super) fn new(delimiter: u8) -> Self {
        Splitter {
            delimiter,
            line: 1,
            record_line: 1,
            consumed: 0,
            fields: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The bytes the last call used up, from the start of what it was offered.
    pub(super) fn consumed(&self) -> usize {
        self.consumed
    }

    /// The 1-based line of the file on which the last record starts (lines end at LF).
    pub(super) fn record_line(&self) -> u64 {
        self.record_line
    }

    /// The number of fields of the last record.
    pub(super) fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// Field `k` of the last record, as bytes, unquoted but not trimmed; `input` must be the
    /// bytes the record was split from.
    pub(super) fn field<'a>(&'a self, input: &'a [u8], k: usize) -> &'a [u8] {
        let f = self.fields[k];
        if f.unquoted_copy {
            &self.scratch[f.start..f.end]
        } else {
            &input[f.start..f.end]
        }
    }

    /// Field `k` of the last record as text, given the record's bytes from the start of the
    /// input as `record`; `None` when a quoted field is not UTF-8 once unquoted.
    pub(super) fn field_str<'a>(&'a self, record: &'a str, k: usize) -> Option<&'a str> {
        let f = self.fields[k];
        if f.unquoted_copy {
            std::str::from_utf8(&self.scratch[f.start..f.end]).ok()
        } else {
            record.get(f.start..f.end)
        }
    }

    /// Splits the next record off the start of `input`; `at_eof` says nothing follows it.
    pub(super) fn split(&mut self, input: &[u8], at_eof: bool) -> Split {
        // Skip the empty lines before the record (the ends of the previous one included).
        let mut i = 0;
        while i < input.len() && is_term(input[i]) {
            self.line += (input[i] == b'\n') as u64;
            i += 1;
        }
        self.consumed = i;
        if i == input.len() {
            return if at_eof { Split::End } else { Split::NeedMore };
        }
        match self
            .plain_line(input, i)
            .or_else(|| self.fields_from(input, i, at_eof))
        {
            Some((end, newlines)) => {
                self.record_line = self.line;
                self.line += newlines;
                self.consumed = end;
                Split::Record
            }
            None => Split::NeedMore,
        }
    }

    /// The common case quickly: a record that is one line without quotes or carriage returns
    /// (but the one of a CRLF), split at every delimiter. `None` when the record is not like
    /// that, or when its line's end is not in `input`: then [`Self::fields_from`] decides.
    ///
    /// Eight bytes at a time: [`bytes_equal`] marks the delimiters, line ends, carriage returns
    /// and quotes of a word, and only those bytes are looked at one by one.
    fn plain_line(&mut self, input: &[u8], i: usize) -> Option<(usize, u64)> {
        let delim = self.delimiter;
        if delim == QUOTE || is_term(delim) {
            return None;
        }
        // Pads the last, short word with a byte that is none of the four.
        let pad = if delim == b'x' { b'y' } else { b'x' };
        self.fields.clear();
        self.scratch.clear();
        let mut start = i;
        let mut base = i;
        while base < input.len() {
            let (word, len) = match input[base..].first_chunk::<8>() {
                Some(word) => (*word, 8),
                None => {
                    let mut word = [pad; 8];
                    let len = input.len() - base;
                    word[..len].copy_from_slice(&input[base..]);
                    (word, len)
                }
            };
            let word = u64::from_le_bytes(word);
            let mut marks = bytes_equal(word, delim)
                | bytes_equal(word, b'\n')
                | bytes_equal(word, b'\r')
                | bytes_equal(word, QUOTE);
            while marks != 0 {
                let p = base + (marks.trailing_zeros() / 8) as usize;
                marks &= marks - 1;
                let b = input[p];
                if b == delim {
                    self.fields.push(Field {
                        start,
                        end: p,
                        unquoted_copy: false,
                    });
                    start = p + 1;
                    continue;
                }
                let newlines = match b {
                    b'\n' => 1,
                    b'\r' if input.get(p + 1) == Some(&b'\n') => 0,
                    _ => return None, // a quote or a lone carriage return
                };
                self.fields.push(Field {
                    start,
                    end: p,
                    unquoted_copy: false,
                });
                return Some((p + 1, newlines));
            }
            base += len;
        }
        None
    }

    /// Reads the fields of the record starting at `input[i]`; returns the end of the record
    /// (past its terminator's first byte) and the newlines in it, or `None` when it is cut off.
    fn fields_from(&mut self, input: &[u8], mut i: usize, at_eof: bool) -> Option<(usize, u64)> {
        let delim = self.delimiter;
        let n = input.len();
        let mut newlines = 0u64;
        self.fields.clear();
        self.scratch.clear();
        loop {
            // At the start of a field.
            if i == n {
                if !at_eof {
                    return None;
                }
                self.fields.push(Field {
                    start: i,
                    end: i,
                    unquoted_copy: false,
                });
                return Some((i, newlines));
            }
            let b = input[i];
            let stop = if b == QUOTE {
                let start = self.scratch.len();
                let stop = self.quoted(input, i + 1, at_eof, &mut newlines)?;
                self.fields.push(Field {
                    start,
                    end: self.scratch.len(),
                    unquoted_copy: true,
                });
                stop
            } else {
                let mut j = i;
                while j < n && input[j] != delim && !is_term(input[j]) {
                    j += 1;
                }
                if j == n && !at_eof {
                    return None;
                }
                self.fields.push(Field {
                    start: i,
                    end: j,
                    unquoted_copy: false,
                });
                j
            };
            // `stop` is the field's delimiter, its record's terminator, or the end of input.
            if stop == n {
                return Some((n, newlines));
            }
            if input[stop] == delim {
                newlines += (delim == b'\n') as u64;
                i = stop + 1;
                continue;
            }
            newlines += (input[stop] == b'\n') as u64;
            return Some((stop + 1, newlines));
        }
    }

    /// Copies a quoted field's content, from just past its opening quote, into the scratch
    /// buffer; returns where it stops (a delimiter, a terminator or the end), or `None` when it
    /// is cut off.
    fn quoted(
        &mut self,
        input: &[u8],
        mut i: usize,
        at_eof: bool,
        newlines: &mut u64,
    ) -> Option<usize> {
        let delim = self.delimiter;
        let n = input.len();
        loop {
            let Some(q) = memchr::memchr(QUOTE, &input[i..]).map(|q| i + q) else {
                if !at_eof {
                    return None;
                }
                *newlines += memchr::memchr_iter(b'\n', &input[i..]).count() as u64;
                self.scratch.extend_from_slice(&input[i..]);
                return Some(n);
            };
            *newlines += memchr::memchr_iter(b'\n', &input[i..q]).count() as u64;
            self.scratch.extend_from_slice(&input[i..q]);
            i = q + 1;
            if i == n {
                return if at_eof { Some(n) } else { None };
            }
            let c = input[i];
            if c == QUOTE {
                self.scratch.push(QUOTE);
                i += 1;
                continue;
            }
            if c == delim || is_term(c) {
                return Some(i);
            }
            // Text after the closing quote: kept as it is, up to the field's end.
            let mut j = i;
            while j < n && input[j] != delim && !is_term(input[j]) {
                j += 1;
            }
            if j == n && !at_eof {
                return None;
            }
            self.scratch.extend_from_slice(&input[i..j]);
            return Some(j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `input` as (line, fields).
    fn split_all(input: &[u8], delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut s = Splitter::new(delimiter);
        let mut rest = input;
        let mut out = Vec::new();
        while s.split(rest, true) == Split::Record {
            let fields = (0..s.field_count())
                .map(|k| String::from_utf8_lossy(s.field(rest, k)).into_owned())
                .collect();
            out.push((s.record_line(), fields));
            rest = &rest[s.consumed()..];
        }
        out
    }

    fn rec(line: u64, fields: &[&str]) -> (u64, Vec<String>) {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn splits_like_the_csv_crate() {
        assert_eq!(
            split_all(b"a,b\r\n\"x,\"\"y\"\"\nz\",\r\n\n\nq\"r,\"s\"t,\"u", b','),
            vec![
                rec(1, &["a", "b"]),
                rec(2, &["x,\"y\"\nz", ""]),
                rec(6, &["q\"r", "st", "u"]),
            ]
        );
        assert_eq!(
            split_all(b"a\rb\r\rc,\n,", b','),
            vec![
                rec(1, &["a"]),
                rec(1, &["b"]),
                rec(1, &["c", ""]),
                rec(2, &["", ""]),
            ]
        );
        assert_eq!(
            split_all(b" \"a\" ;b;", b';'),
            vec![rec(1, &[" \"a\" ", "b", ""])]
        );
    }

    #[test]
    fn bytes_equal_marks_exactly_the_equal_bytes() {
        for b in [0u8, 1, b',', 0x7f, 0x80, 0xff] {
            for word in [0u64, u64::MAX, 0x0001_8000_ff7f_2c2c, 0x2c00_0100_8081_fe01] {
                let want = word
                    .to_le_bytes()
                    .iter()
                    .enumerate()
                    .filter(|(_, &x)| x == b)
                    .fold(0u64, |m, (k, _)| m | 0x80 << (8 * k));
                assert_eq!(bytes_equal(word, b), want, "{word:#x} {b:#x}");
            }
        }
    }

    #[test]
    fn long_plain_lines_split_in_words() {
        let line = b"a,bb,ccc,dddd,eeeee,ffffff,ggggggg,hhhhhhhh,\r\nlast,one";
        assert_eq!(
            split_all(line, b','),
            vec![
                rec(
                    1,
                    &["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh", ""]
                ),
                rec(2, &["last", "one"]),
            ]
        );
        assert_eq!(split_all(b"x\0y\n", 0), vec![rec(1, &["x", "y"])]);
        assert_eq!(split_all(b"axb\n", b'x'), vec![rec(1, &["a", "b"])]);
    }

    #[test]
    fn a_record_cut_off_asks_for_more() {
        let mut s = Splitter::new(b',');
        for cut in [&b"\n\na,b"[..], b"\"a\nb", b"\"a\"", b"a,"] {
            assert_eq!(s.split(cut, false), Split::NeedMore, "{cut:?}");
        }
        assert_eq!(s.split(b"a,b\r", false), Split::Record);
        assert_eq!(s.split(b"\n", false), Split::NeedMore);
        assert_eq!(s.consumed(), 1);
        assert_eq!(s.split(b"", true), Split::End);
    }
}
