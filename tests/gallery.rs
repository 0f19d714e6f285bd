//! The pictures the READMEs show (`data/gallery/`) are golden images: each is rendered again
//! here, under mpirun at 2 ranks, with the command `data/README.md` gives for it, and must come out
//! byte for byte the committed file. So the pictures stay true to the code.

mod common;

use common::{data, mpirun_n};

const BIN: &str = env!("CARGO_BIN_EXE_mandel");

/// Each gallery file and the options that made it (`--out` added here).
const GALLERY: &[(&str, &[&str])] = &[
    (
        "default.png",
        &[
            "--width",
            "480",
            "--height",
            "320",
            "--png-compression",
            "best",
        ],
    ),
    (
        "seahorse.png",
        &[
            "--center",
            "-0.743643887037151,0.131825904205330",
            "--scale",
            "0.005",
            "--width",
            "480",
            "--height",
            "320",
            "--max-iter",
            "2000",
            "--smooth",
            "--color-scale",
            "log",
            "--colormap",
            "magma",
            "--png-compression",
            "best",
        ],
    ),
];

/// The deep-zoom pictures: `data/locations/L.toml` at 320x240, as `L.png`.
const DEEP: &[&str] = &["1e50", "5e227", "1e1086"];

#[test]
fn the_readme_pictures_are_what_mandel_renders_now() {
    let dir = tempfile::tempdir().expect("dir");
    let deep: Vec<(String, Vec<String>)> = DEEP
        .iter()
        .map(|l| {
            let args = format!("--location data/locations/{l}.toml --width 320 --height 240");
            let mut args: Vec<String> = args.split(' ').map(String::from).collect();
            args.extend(["--png-compression".into(), "best".into()]);
            (format!("{l}.png"), args)
        })
        .collect();
    let all = GALLERY
        .iter()
        .map(|(f, o)| (f.to_string(), o.iter().map(|a| a.to_string()).collect()))
        .chain(deep);
    for (file, options) in all {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let out = dir.path().join(&file);
        let out_s = out.to_str().expect("utf-8").to_string();
        let mut args = options.clone();
        args.extend(["--out", &out_s]);
        mpirun_n(BIN, 2, &args).assert_success();
        let want = std::fs::read(data(&format!("gallery/{file}"))).expect("the gallery file");
        let got = std::fs::read(&out).expect("the render");
        assert!(
            got == want,
            "data/gallery/{file} is not what `mandel {}` renders now ({} bytes vs {}): render it \
             again and look at it",
            options.join(" "),
            got.len(),
            want.len()
        );
    }
}
