//! The Markdown files work as written. In every Markdown file of the repository (the `*.md` git
//! tracks; without git, every `*.md` outside `target/` folders and hidden ones) every relative
//! link and image names a file or folder of the repository, and every `#anchor` names a heading
//! of the file it points into (GitHub's slugs); every `.rs` file named in inline code exists
//! (beside the Markdown file, or from the root). The main README's demo output is what the
//! programs print at 4 ranks (the lines that do not depend on timing), and its usage screens name
//! exactly the flags the programs take.

mod common;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use common::{alone, mpirun_n, root};

/// The main README's text.
fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The repository's Markdown files, relative to the root: what git tracks, else a walk that skips
/// build output (`target/`, `tests/fuzz/target/`) and hidden folders.
fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let tracked = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "-z", "--", "*.md"])
        .output();
    if let Ok(out) = tracked {
        if out.status.success() && !out.stdout.is_empty() {
            let mut files: Vec<PathBuf> = out
                .stdout
                .split(|&b| b == 0)
                .filter(|name| !name.is_empty())
                .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
                .filter(|p| root.join(p).is_file())
                .collect();
            files.sort();
            return files;
        }
    }
    let mut files = Vec::new();
    walk(&root, Path::new(""), &mut files);
    files.sort();
    files
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = rel.join(&name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                walk(root, &path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation other than `-` and `_`
/// dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of the text outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            out.push(line);
        }
    }
    out
}

/// The anchors of a Markdown text's headings, as GitHub makes them (a repeated heading gets
/// `-1`, `-2`, ...).
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for line in prose(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let n = seen.entry(base.clone()).or_insert(0);
        out.push(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// The paragraph without its inline code spans (`...`, which may run over lines), which hold no
/// links; a backtick left unclosed drops the rest of its paragraph.
fn without_code_spans(paragraph: &str) -> String {
    let mut out = String::new();
    for (i, piece) in paragraph.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(piece);
        }
    }
    out
}

/// Every link target of the text outside code: `](target)` (links and images) and reference
/// definitions `[label]: target`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines = prose(text);
    for paragraph in lines.split(|l| l.trim().is_empty()) {
        let paragraph = without_code_spans(&paragraph.join("\n"));
        for line in paragraph.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') {
                if let Some(k) = trimmed.find("]: ") {
                    if let Some(target) = trimmed[k + 3..].split_whitespace().next() {
                        out.push(target.to_string());
                    }
                }
            }
            let mut rest = line;
            while let Some(k) = rest.find("](") {
                let after = &rest[k + 2..];
                let Some(end) = after.find(')') else { break };
                let target = after[..end].split_whitespace().next().unwrap_or("");
                out.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
                rest = &after[end..];
            }
        }
    }
    out
}

/// The `.rs` files the text names in inline code (`src/partition.rs`, `tree.rs`), so a renamed
/// source file shows up here as a name to fix.
fn source_files_named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines = prose(text);
    for paragraph in lines.split(|l| l.trim().is_empty()) {
        let paragraph = paragraph.join("\n");
        for (i, span) in paragraph.split('`').enumerate() {
            if i % 2 == 1
                && span.ends_with(".rs")
                && !span.starts_with('.')
                && span
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
            {
                out.push(span.to_string());
            }
        }
    }
    out
}

/// `base/link`, with `.` and `..` resolved; `None` when it climbs out of the repository.
fn resolve(base: &Path, link: &str) -> Option<PathBuf> {
    let start = if link.starts_with('/') {
        PathBuf::new()
    } else {
        base.to_path_buf()
    };
    let mut parts: Vec<Component> = start.components().collect();
    for c in Path::new(link.trim_start_matches('/')).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.iter().collect())
}

#[test]
fn every_link_image_and_anchor_in_every_markdown_file_resolves() {
    let root = root();
    let files = markdown_files();
    for expected in [
        "README.md",
        "src/cities/README.md",
        "src/mandel/README.md",
        "src/mandel/deep/README.md",
        "scripts/README.md",
        "tests/README.md",
        "data/README.md",
    ] {
        assert!(
            files.iter().any(|f| f == Path::new(expected)),
            "{expected} is not among the Markdown files found: {files:?}"
        );
    }
    let mut headings: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut anchors_of = |path: &Path| -> Vec<String> {
        headings
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                anchors(&std::fs::read_to_string(root.join(path)).unwrap_or_default())
            })
            .clone()
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(root.join(file)).expect("a Markdown file");
        let dir = file.parent().unwrap_or(Path::new(""));
        let all = links(&text);
        if file == Path::new("README.md") {
            assert!(all.len() > 10, "README.md: found only {} links", all.len());
        }
        for target in &all {
            if target.is_empty()
                || target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let dest = if path.is_empty() {
                file.clone()
            } else {
                match resolve(dir, path) {
                    Some(d) => d,
                    None => {
                        problems.push(format!(
                            "{}: {target} leaves the repository",
                            file.display()
                        ));
                        continue;
                    }
                }
            };
            if !root.join(&dest).exists() {
                problems.push(format!(
                    "{}: {target} names {}, which is not in the repository",
                    file.display(),
                    dest.display()
                ));
                continue;
            }
            // Anchors are checked in Markdown files; in a source file they are line numbers.
            let Some(anchor) = anchor else { continue };
            if dest.extension().is_some_and(|e| e == "md") {
                let names = anchors_of(&dest);
                if !names.iter().any(|a| a == anchor) {
                    problems.push(format!(
                        "{}: {target}: no heading of {} makes #{anchor} (its anchors: {names:?})",
                        file.display(),
                        dest.display()
                    ));
                }
            }
        }
    }
    // Source files named in code: beside the Markdown file, or from the repository's root.
    for file in &files {
        let text = std::fs::read_to_string(root.join(file)).expect("a Markdown file");
        let dir = file.parent().unwrap_or(Path::new(""));
        for name in source_files_named(&text) {
            if !root.join(dir).join(&name).is_file() && !root.join(&name).is_file() {
                problems.push(format!(
                    "{}: `{name}` is neither in {} nor in the root",
                    file.display(),
                    if dir.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        dir
                    }
                    .display()
                ));
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} relative links found in {files:?}"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The lines of the README's demo block (after "The demo prints") that start with `prefix`.
fn demo_lines(text: &str) -> Vec<String> {
    let start = text
        .find("The demo prints")
        .expect("the demo's output in the README");
    let block = &text[start..];
    let open = block.find("```\n").expect("a code block") + 4;
    let close = block[open..].find("```").expect("its end") + open;
    block[open..close].lines().map(String::from).collect()
}

#[test]
fn the_demo_output_in_the_readme_is_what_the_programs_print() {
    let text = readme();
    let shown = demo_lines(&text);
    let dir = tempfile::tempdir().expect("dir");
    let png = dir.path().join("set.png");
    let cities = mpirun_n(
        env!("CARGO_BIN_EXE_dist-cities"),
        4,
        &[&common::data("cities.csv")],
    );
    cities.assert_success();
    let mandel = mpirun_n(
        env!("CARGO_BIN_EXE_mandel"),
        4,
        &["--out", png.to_str().expect("utf-8")],
    );
    mandel.assert_success();
    let printed: Vec<String> = cities
        .stdout
        .lines()
        .chain(mandel.stdout.lines())
        .map(|l| l.replace(png.to_str().expect("utf-8"), "set.png"))
        .collect();
    // Lines that hold no timing: they must be printed exactly as shown.
    let exact = [
        "Maximum distance:",
        "Farthest pair:",
        "Cities:",
        "Mandelbrot ",
        "Ranks:",
        "Rank pixel-iterations:",
        "Load balance (work",
        "Wrote ",
    ];
    let mut checked = 0;
    for line in &shown {
        if exact.iter().any(|p| line.starts_with(p)) {
            assert!(
                printed.contains(line),
                "the README shows `{line}`, which the programs do not print:\n{}",
                printed.join("\n")
            );
            checked += 1;
        }
        // With a rate after it: the count must match.
        if let Some(count) = line.strip_prefix("Pixel-iterations: ") {
            let count = count.split(' ').next().expect("a count");
            assert!(
                printed
                    .iter()
                    .any(|p| p.starts_with(&format!("Pixel-iterations: {count} "))),
                "the README's `{line}` is not the count printed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 9, "only {checked} demo lines checked");
}

/// The `--flags` of a text, in order of first appearance.
fn flags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(k) = rest.find("--") {
        let name: String = rest[k + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        rest = &rest[k + 2 + name.len()..];
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The code block of the README's "Usage" section that starts with `program`.
fn usage_screen(text: &str, program: &str) -> String {
    let start = text
        .find("\n## Usage\n")
        .expect("a Usage section in the README");
    let section = &text[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut blocks = section.split("```").skip(1).step_by(2);
    blocks
        .find(|b| {
            b.trim_start_matches('\n')
                .starts_with(&format!("{program} "))
        })
        .unwrap_or_else(|| panic!("no usage screen for {program} in the README's Usage section"))
        .to_string()
}

#[test]
fn the_usage_screens_in_the_readme_name_exactly_the_programs_flags() {
    let text = readme();
    for (program, bin) in [
        ("dist-cities", env!("CARGO_BIN_EXE_dist-cities")),
        ("mandel", env!("CARGO_BIN_EXE_mandel")),
    ] {
        let help = alone(bin, &["-h"]);
        help.assert_success();
        // The first flag of each option line of `-h` is the option.
        let taken: Vec<String> = help
            .stdout
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let l = l
                    .strip_prefix("-h, ")
                    .or(l.strip_prefix("-V, "))
                    .unwrap_or(l);
                l.starts_with("--").then(|| flags(l).into_iter().next())?
            })
            .filter(|f| f != "help" && f != "version")
            .collect();
        assert!(taken.len() > 10, "{program} -h listed only {taken:?}");
        let shown = flags(&usage_screen(&text, program));
        let unknown: Vec<_> = shown.iter().filter(|f| !taken.contains(f)).collect();
        let missing: Vec<_> = taken.iter().filter(|f| !shown.contains(f)).collect();
        assert!(
            unknown.is_empty() && missing.is_empty(),
            "{program}: the README's usage screen shows flags the program does not take: \
             {unknown:?}; and lacks flags it takes: {missing:?}"
        );
    }
}
