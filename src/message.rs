//! How messages show what a user gave or a run measured: text with its control characters
//! escaped (so a message stays one line whatever a file is called), paths, byte counts.

use std::path::Path;

/// `text` with control characters written as escapes (`\u{1b}`, `\n`), everything else as is.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A path as every message shows it: as given, with control characters escaped
/// ([`escape_controls`]), so that a message stays one line whatever the file is called.
pub fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string())
}

/// A byte count for people: `9.22 GB`, `512 bytes`.
pub fn bytes_text(n: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if n < 1000 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.2} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_messages_stay_on_one_line() {
        let p = Path::new("out\n\u{1b}[31mred.png");
        assert_eq!(shown(p), "out\\n\\u{1b}[31mred.png");
        assert_eq!(shown(Path::new("plain/ü.png")), "plain/ü.png");
    }
}
