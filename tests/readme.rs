//! The README works as written: every relative link and image names a file in the repository,
//! every `#anchor` names one of its headings (GitHub's slugs), and the demo output it shows is
//! what the programs print at 4 ranks (the lines that do not depend on timing).

mod common;

use common::{mpirun_n, root};

/// The README's text.
fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
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

/// Every `](target)` of the text outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(k) = rest.find("](") {
            let after = &rest[k + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_link_and_image_in_the_readme_resolves() {
    let text = readme();
    let anchors: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect();
    let all = links(&text);
    assert!(all.len() > 10, "found only {} links", all.len());
    for target in &all {
        if target.starts_with("http://") || target.starts_with("https://") {
            continue;
        }
        if let Some(anchor) = target.strip_prefix('#') {
            assert!(
                anchors.iter().any(|a| a == anchor),
                "README links to #{anchor}, which no heading makes (headings: {anchors:?})"
            );
            continue;
        }
        let path = target.split('#').next().unwrap_or(target);
        assert!(
            root().join(path).exists(),
            "README links to {target}, which is not in the repository"
        );
    }
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
