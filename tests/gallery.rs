//! The pictures the README shows (`data/gallery/`) are golden images: each is rendered again
//! here, under mpirun at 2 ranks, with the command the README gives for it, and must come out
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
    (
        "1e50.png",
        &[
            "--location",
            "data/locations/1e50.toml",
            "--width",
            "320",
            "--height",
            "240",
            "--png-compression",
            "best",
        ],
    ),
    (
        "5e227.png",
        &[
            "--location",
            "data/locations/5e227.toml",
            "--width",
            "320",
            "--height",
            "240",
            "--png-compression",
            "best",
        ],
    ),
    (
        "1e1086.png",
        &[
            "--location",
            "data/locations/1e1086.toml",
            "--width",
            "320",
            "--height",
            "240",
            "--png-compression",
            "best",
        ],
    ),
];

#[test]
fn the_readme_pictures_are_what_mandel_renders_now() {
    let dir = tempfile::tempdir().expect("dir");
    for (file, options) in GALLERY {
        let out = dir.path().join(file);
        let out_s = out.to_str().expect("utf-8").to_string();
        let mut args: Vec<&str> = options.to_vec();
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
