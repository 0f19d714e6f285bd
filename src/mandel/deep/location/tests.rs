//! The location readers against rust-fractal-core's benchmark files, a Kalles Fraktaler file
//! in KF 2.15's layout, and every way a file can be refused.

use super::text::{decimal_is_positive, decimal_is_zero};
use super::*;
use std::path::{Path, PathBuf};

// rust-fractal-core's benchmark locations, verbatim (benchmarks/*.toml at 6af4724c).
const RFC_1E14: &str = include_str!("../../../../data/locations/1e14.toml");
const RFC_1E50: &str = include_str!("../../../../data/locations/1e50.toml");
const RFC_5E113: &str = include_str!("../../../../data/locations/5e113.toml");
const RFC_5E227: &str = include_str!("../../../../data/locations/5e227.toml");

fn toml(text: &str) -> Result<Location, LocationError> {
    Location::parse(text, LocationFormat::RustFractal, "x.toml")
}
fn kfr(text: &str) -> Result<Location, LocationError> {
    Location::parse(text, LocationFormat::Kalles, "view.kfr")
}
fn msg(r: Result<Location, LocationError>) -> String {
    r.expect_err("expected an error").to_string()
}

const KFR_RE: &str = "-0.04947002906310409375169222672735363011874571248822487931810494023264219477268690342799154997475941900000000000000";
const KFR_IM: &str = "-0.67478757584467536401139205313059765633477070682240348069799979479099419834548451115142084995403102999999999999999";

/// A .kfr in KF 2.15's layout (CRLF, many keys we ignore), written for these tests,
/// with the 1e50 benchmark's location.
fn sample_kfr() -> String {
    [
        &format!("Re: {KFR_RE}"),
        &format!("Im: {KFR_IM}"),
        "Zoom: 1.0000000000000000E50",
        "Iterations: 263010",
        "IterDiv: 0.010000",
        "SmoothMethod: 0",
        "SmoothingMethod: 0",
        "BailoutRadiusPreset: 1",
        "ColorMethod: 7",
        "Differences: 3",
        "ColorOffset: 0",
        "Colors: 255,255,255,128,0,64,160,0,0,192,128,0,",
        "InteriorColor: 0,0,0,",
        "Smooth: 1",
        "MultiColor: 0",
        "Power: 2",
        "FractalType: 0",
        "Slopes: 1",
        "SlopeRatio: 50",
        "real: 1",
        "imag: 1",
        "SeedR: 0",
        "SeedI: 0",
        "RotateAngle: 0",
        "StretchAngle: 0",
        "StretchAmount: 0",
        "Version: 2150200",
        "",
    ]
    .join("\r\n")
}

#[test]
fn decimal_syntax() {
    for ok in [
        "0", "-1", "+1.5", ".5", "5.", "1e5", "1.00E050", "-2.5e-3", "007", "1E+1000",
    ] {
        assert!(is_decimal(ok), "{ok}");
    }
    let long = format!("-0.{}e-99999", "1234567890".repeat(2000));
    assert!(is_decimal(&long));
    for bad in [
        "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "abc", "inf", "NaN", "1_000",
        "0x10", "--1", "1e5.0", "١",
    ] {
        assert!(!is_decimal(bad), "{bad:?}");
    }
    assert!(decimal_is_zero("-0.000e77") && decimal_is_zero("0") && !decimal_is_zero("0.001e-5"));
    assert!(
        decimal_is_positive("1e-5")
            && !decimal_is_positive("-1e5")
            && !decimal_is_positive("0.0e5")
    );
}

#[test]
fn rust_fractal_benchmarks() {
    let l = toml(RFC_1E14).unwrap();
    assert_eq!(l.format, LocationFormat::RustFractal);
    assert_eq!(
        l.re,
        "-1.759817130804847813610825010561798238243999999999999999999800"
    );
    assert_eq!(
        l.im,
        "-0.012593310799749865383746631843264858450340000000000000000000"
    );
    assert_eq!(l.zoom, "1.00E14");
    assert_eq!(l.iterations, Some(4036));

    // Each file's centre (its first digits), zoom and iterations, one file a line.
    #[rustfmt::skip]
    let cases = [
        (RFC_1E50, "-0.0494700290631040937516922267273536301187457124882248793", "-0.6747875758446753640113920531305976563347707068224034806", "1.00E050", 263010),
        (RFC_5E113, "-1.47981577613247326072298452597877854692240725774045369", "-0.00063911193261361727152139632255671572957303918943984", "5.00E113", 35494),
        (RFC_5E227, "-0.74962449737876168207862620426836138684529527812364025", "0.034270108740460169451729515457494748680515346724391118", "5.00E227", 1200000),
    ];
    for (text, re, im, zoom, iterations) in cases {
        let l = toml(text).unwrap();
        assert!(l.re.starts_with(re) && l.im.starts_with(im), "{zoom}");
        assert_eq!((l.zoom.as_str(), l.iterations), (zoom, Some(iterations)));
    }
    let l = toml(RFC_1E50).unwrap();
    assert_eq!((l.re.len(), l.im.len()), (121, 121));
    for text in [RFC_1E14, RFC_1E50, RFC_5E113, RFC_5E227] {
        let l = toml(text).unwrap();
        assert!(is_decimal(&l.re) && is_decimal(&l.im) && is_decimal(&l.zoom));
    }
}

#[test]
fn rust_fractal_keys_and_types() {
    // other keys ignored, keys matched ignoring case (as config 0.9 does), string iterations
    let l = toml("image_width = 640\nReal = \" -0.75 \"\nimag = \"0.1\"\nZOOM = \"1e1000\"\niterations = \"5000\"\nrotate = 0.0\nfractal_type = \"mandelbrot\"\nfractal_power = 2\n[extra]\nzoom = 1\n").unwrap();
    assert_eq!(
        (l.re.as_str(), l.im.as_str(), l.zoom.as_str()),
        ("-0.75", "0.1", "1e1000")
    );
    assert_eq!(l.iterations, Some(5000));
    let l = toml("real = '1'\nimag = '2'\nzoom = '3'\n").unwrap();
    assert_eq!(l.iterations, None);
    assert_eq!(
        msg(toml(
            "zoom = \"1\"\nreal = \"1\"\nimag = \"0\"\nZoom = \"2\"\n"
        )),
        "x.toml line 4: key `Zoom` is given again (first on line 1)"
    );
}

#[test]
fn rust_fractal_errors() {
    let base = |real: &str, imag: &str, zoom: &str, extra: &str| {
        let mut s = String::new();
        for (k, v) in [("real", real), ("imag", imag), ("zoom", zoom)] {
            if !v.is_empty() {
                s += &format!("{k} = {v}\n");
            }
        }
        s + extra
    };
    // (real, imag, zoom) as TOML values ("" leaves the key out), and the one message.
    #[rustfmt::skip]
    let refused = [
        ("", "\"0\"", "\"1e5\"", "x.toml: missing key `real`"),
        ("\"0\"", "", "\"1e5\"", "x.toml: missing key `imag`"),
        ("\"0\"", "\"0\"", "", "x.toml: missing key `zoom`"),
        ("\"abc\"", "\"0\"", "\"1e5\"", "x.toml line 1: `real` value \"abc\" is not a decimal number"),
        ("\"0\"", "\"1.2.3\"", "\"1e5\"", "x.toml line 2: `imag` value \"1.2.3\" is not a decimal number"),
        ("\"0\"", "\"0\"", "\"1E\"", "x.toml line 3: `zoom` value \"1E\" is not a decimal number"),
    ];
    for (real, imag, zoom, want) in refused {
        assert_eq!(msg(toml(&base(real, imag, zoom, ""))), want);
    }
    assert_eq!(msg(toml("")), "x.toml: missing key `real`");
    // an options file is not a location
    assert_eq!(
        msg(toml("image_width = 1024\nimage_height = 1024\n")),
        "x.toml: missing key `real`"
    );
    for z in ["\"0\"", "\"0.0e5\"", "\"-0\"", "\"-1e5\""] {
        assert_eq!(
            msg(toml(&base("\"0\"", "\"0\"", z, ""))),
            format!("x.toml line 3: `zoom` must be greater than zero, not {z}")
        );
    }
    let e = toml(&base("-0.75", "\"0\"", "\"1e5\"", "")).unwrap_err();
    assert!(
        matches!(&e, LocationError::NotAString { key, kind, .. } if key == "real" && kind == "float")
    );
    assert!(e
        .to_string()
        .starts_with("x.toml line 1: `real` must be a quoted string, not the TOML float -0.75"));
    let e = toml(&base("\"0\"", "\"0\"", "1e50", "")).unwrap_err();
    assert!(
        matches!(&e, LocationError::NotAString { key, kind, .. } if key == "zoom" && kind == "float")
    );
    let e = toml(&base("\"0\"", "\"0\"", "1000", "")).unwrap_err();
    assert!(matches!(&e, LocationError::NotAString { kind, .. } if kind == "integer"));

    for it in [
        "0",
        "-5",
        "1.5",
        "\"abc\"",
        "\"-5\"",
        "\"1.5\"",
        "\"\"",
        "true",
        "\"99999999999999999999\"",
    ] {
        assert_eq!(
            msg(toml(&base("\"0\"", "\"0\"", "\"1e5\"", &format!("iterations = {it}\n")))),
            format!("x.toml line 4: `iterations` must be a whole number from 1 to 18446744073709551615, not {it}")
        );
    }
    let ok = toml(&base(
        "\"0\"",
        "\"0\"",
        "\"1e5\"",
        "iterations = \"18446744073709551615\"\n",
    ))
    .unwrap();
    assert_eq!(ok.iterations, Some(u64::MAX));

    let e = msg(toml(
        "real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nrotate = 45\n",
    ));
    assert_eq!(
        e,
        "x.toml line 4: `rotate` is 45, but rotated views are not supported (set it to 0)"
    );
    let e = toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nfractal_type = \"BurningShip\"\n")
        .unwrap_err();
    assert!(matches!(e, LocationError::Unsupported { .. }));
    let e = toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nfractal_power = 3\n").unwrap_err();
    assert!(matches!(e, LocationError::Unsupported { .. }));
    let e = toml("real = \"0\"\nimag = \"0\"\nzoom = \"1e5\"\nrotate = [1]\n").unwrap_err();
    assert!(matches!(e, LocationError::NotDecimal { .. }));

    let e = toml("real = \"0\nimag = 1\n").unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("x.toml line 1: not a TOML file: "), "{s}");
    assert!(!s.contains('\n'));
    assert!(matches!(e, LocationError::NotToml { .. }));
    let s = msg(toml("Re: -0.75\nIm: 0\nZoom: 1\n"));
    assert!(s.starts_with("x.toml line 1: not a TOML file: "), "{s}");
}

#[test]
fn kalles_sample() {
    let l = kfr(&sample_kfr()).unwrap();
    assert_eq!(l.format, LocationFormat::Kalles);
    assert_eq!((l.re.as_str(), l.im.as_str()), (KFR_RE, KFR_IM));
    assert_eq!(l.zoom, "1.0000000000000000E50");
    assert_eq!(l.iterations, Some(263010));
    // same text with LF endings, spaces, a BOM, an old-style (KF < 2.15) file
    let lf =
        "\u{feff}Re:  -0.75 \nIm:0.1\n  Zoom : 1.5E1000\nRotate: 0.000000\nRatio: 360.000000\n";
    let l = kfr(lf).unwrap();
    assert_eq!(
        (l.re.as_str(), l.im.as_str(), l.zoom.as_str(), l.iterations),
        ("-0.75", "0.1", "1.5E1000", None)
    );
    let l = kfr("Re: 1\r\nIm: 2\r\nZoom: 1000\r\n").unwrap();
    assert_eq!(l.zoom, "1000");
}

#[test]
fn kalles_errors() {
    let full = sample_kfr();
    let without = |key: &str| -> String {
        full.split("\r\n")
            .filter(|l| !l.starts_with(&format!("{key}:")))
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    let replace = |key: &str, value: &str| -> String {
        full.split("\r\n")
            .map(|l| {
                if l.starts_with(&format!("{key}:")) {
                    format!("{key}: {value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    assert_eq!(msg(kfr(&without("Re"))), "view.kfr: missing key `Re:`");
    assert_eq!(msg(kfr(&without("Im"))), "view.kfr: missing key `Im:`");
    assert_eq!(msg(kfr(&without("Zoom"))), "view.kfr: missing key `Zoom:`");
    assert_eq!(msg(kfr("")), "view.kfr: missing key `Re:`");
    assert!(kfr(&without("Iterations")).unwrap().iterations.is_none());

    assert_eq!(
        msg(kfr(&replace("Zoom", "abc"))),
        "view.kfr line 3: `Zoom:` value \"abc\" is not a decimal number"
    );
    assert_eq!(
        msg(kfr(&replace("Re", "-0.75i"))),
        "view.kfr line 1: `Re:` value \"-0.75i\" is not a decimal number"
    );
    assert_eq!(
        msg(kfr(&replace("Im", ""))),
        "view.kfr line 2: `Im:` value \"\" is not a decimal number"
    );
    for z in ["0", "0.0e5", "-0", "-1e5"] {
        assert_eq!(
            msg(kfr(&replace("Zoom", z))),
            format!("view.kfr line 3: `Zoom:` must be greater than zero, not \"{z}\"")
        );
    }
    for it in ["0", "-5", "1.5", "abc", "", "18446744073709551616"] {
        assert_eq!(
            msg(kfr(&replace("Iterations", it))),
            format!("view.kfr line 4: `Iterations:` must be a whole number from 1 to 18446744073709551615, not \"{it}\"")
        );
    }
    assert_eq!(
        msg(kfr(&format!("{full}Zoom: 1E60\r\n"))),
        "view.kfr line 28: key `Zoom:` is given again (first on line 3)"
    );
    assert_eq!(
        msg(kfr(&replace("RotateAngle", "30"))),
        "view.kfr line 24: `RotateAngle:` is \"30\", but rotated views are not supported (set it to 0)"
    );
    for (k, v) in [
        ("FractalType", "1"),
        ("Power", "3"),
        ("StretchAmount", "0.5"),
        ("SeedR", "0.1"),
    ] {
        assert!(
            matches!(kfr(&replace(k, v)), Err(LocationError::Unsupported { .. })),
            "{k}"
        );
    }
    assert!(matches!(
        kfr(&format!("{full}UseHybridFormula: 1\r\n")),
        Err(LocationError::Unsupported { .. })
    ));
    // the pre-2.15.1 keys are ignored, as KF 2.15 does
    assert!(kfr("Re: 0\nIm: 0\nZoom: 1\nRatio: 381.176471\nRotate: 30\n").is_ok());
    assert!(matches!(
        kfr(&replace("Power", "two")),
        Err(LocationError::NotDecimal { .. })
    ));
    // long values are shortened in messages
    let long = format!("x{}", "1".repeat(5000));
    let s = msg(kfr(&replace("Re", &long)));
    assert!(s.len() < 140 && s.contains('…'), "{s}");
}

#[test]
fn read_files() {
    let dir = std::env::temp_dir().join(format!("h-location-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &[u8]| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/locations/1e50.toml");
    let l = Location::read(&data).unwrap();
    assert_eq!(
        (l.format, l.zoom.as_str()),
        (LocationFormat::RustFractal, "1.00E050")
    );

    let p = write("view.KFR", sample_kfr().as_bytes());
    assert_eq!(Location::read(&p).unwrap().format, LocationFormat::Kalles);
    let p = write("loc.Toml", RFC_1E14.as_bytes());
    assert_eq!(Location::read(&p).unwrap().iterations, Some(4036));

    let p = write("x.txt", sample_kfr().as_bytes());
    assert_eq!(
        Location::read(&p).unwrap_err().to_string(),
        format!("{}: unknown location format (expected .toml from rust-fractal-core or .kfr from Kalles Fraktaler)", p.display())
    );
    assert!(matches!(
        Location::read(&dir.join("noext")),
        Err(LocationError::UnknownFormat { .. })
    ));

    let missing = dir.join("absent.toml");
    let e = Location::read(&missing).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot read: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let sub = dir.join("folder.kfr");
    std::fs::create_dir_all(&sub).unwrap();
    assert!(matches!(
        Location::read(&sub),
        Err(LocationError::Unreadable { .. })
    ));

    let p = write("bad.toml", b"real = \"0\"\nimag = \"\xff\"\n");
    assert_eq!(
        Location::read(&p).unwrap_err().to_string(),
        format!(
            "{} line 2: not a TOML file: the text is not UTF-8",
            p.display()
        )
    );
    let p = write(
        "latin1.kfr",
        b"Re: 1\r\nIm: 2\r\nZoom: 3\r\nTextureFile: C:\\m\xe9\r\n",
    );
    assert_eq!(Location::read(&p).unwrap().zoom, "3");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Image sizes for the grid tests: square, wide, tall, odd, even, tiny (at least 2 rows,
/// which rust-fractal-core's spacing needs).
#[rustfmt::skip]
const IMAGE_SIZES: [(u32, u32); 11] = [
    (1000, 1000), (3840, 2160), (640, 360), (1, 2), (1001, 777), (360, 640),
    (8, 6), (7, 5), (5, 9), (2, 2), (641, 360),
];

#[test]
fn scale_factors() {
    let rfc = toml(RFC_1E50).unwrap();
    let kf = kfr(&sample_kfr()).unwrap();
    let zoom = 1.0e50;
    for (w, h) in IMAGE_SIZES {
        let (wf, hf) = (f64::from(w), f64::from(h));
        // rust-fractal-core: d = 4/((H-1) zoom)  (src/renderer.rs line 340)
        let s = rfc.scale_factor(w, h) / zoom;
        let want = 4.0 / ((hf - 1.0) * zoom);
        assert!(((s / wf) - want).abs() <= 1e-12 * want, "{w}x{h}");
        // Kalles Fraktaler: d = 2 * (2/zoom) / H  (render.cpp line 335)
        let s = kf.scale_factor(w, h) / zoom;
        let want = 2.0 * (2.0 / zoom) / hf;
        assert!(((s / wf) - want).abs() <= 1e-12 * want, "{w}x{h}");
    }
    assert_eq!(rfc.scale_factor(1000, 1000), 4000.0 / 999.0);
    assert_eq!(kf.scale_factor(3840, 2160), 4.0 * 3840.0 / 2160.0);
    assert!(!rfc.scale_factor(100, 1).is_finite());
}

/// With the centre moved by `centre_offset`, every pixel of our grid is the mirror
/// image (row r <-> row H-1-r) of the other program's pixel, computed here the way
/// each program computes it.
#[test]
fn centre_offsets_reproduce_their_grid() {
    let rfc = toml(RFC_1E14).unwrap();
    let kf = kfr("Re: 0\nIm: 0\nZoom: 1\n").unwrap();
    for (w, h) in IMAGE_SIZES {
        let (wf, hf) = (f64::from(w), f64::from(h));
        for (loc, name) in [(&rfc, "rfc"), (&kf, "kf")] {
            let zoom = 1.0; // points relative to the centre, in units where zoom = 1
            let s = loc.scale_factor(w, h) / zoom;
            let d = s / wf;
            let (dx, dy) = loc.centre_offset(w, h);
            let (cx, cy) = (dx * d, dy * d);
            for j in [0, w / 3, w - 1] {
                for r in [0, h / 2, h - 1] {
                    // ours (the mandel grid from the background notes)
                    let x = cx - s / 2.0 + f64::from(j) * d;
                    let y = cy - (s * hf / wf) / 2.0 + f64::from(h - 1 - r) * d;
                    // theirs, at column j and row H-1-r from the top
                    let (i, jj) = (f64::from(j), f64::from(h - 1 - r));
                    let (tx, ty) = match loc.format {
                        LocationFormat::RustFractal => {
                            let d = 4.0 / ((hf - 1.0) * zoom);
                            (
                                i * d - 0.5 * (hf - 1.0) * d * (wf / hf),
                                jj * d - 0.5 * (hf - 1.0) * d,
                            )
                        }
                        LocationFormat::Kalles => {
                            let d = 2.0 * (2.0 / zoom) / hf;
                            ((i - f64::from(w / 2)) * d, (jj - f64::from(h / 2)) * d)
                        }
                    };
                    let tol = 1e-9 * d;
                    assert!(
                        (x - tx).abs() <= tol && (y - ty).abs() <= tol,
                        "{name} {w}x{h} ({j},{r}): ({x},{y}) vs ({tx},{ty})"
                    );
                }
            }
        }
    }
    assert_eq!(kf.centre_offset(8, 6), (0.0, 0.0));
    assert_eq!(kf.centre_offset(7, 5), (0.5, 0.5));
    assert_eq!(rfc.centre_offset(1000, 1000), (0.5, 0.5));
}
