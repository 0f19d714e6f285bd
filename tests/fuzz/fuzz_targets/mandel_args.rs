//! `mandel` argument parsing on arbitrary argument lists (one token per line of the input), then
//! the validated job the program builds from them (view, iterations, colour map) and its pixel
//! mapping at the corners. Never a panic.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use mpi_examples::cli::{MandelArgs, MandelJob};

fuzz_target!(|data: &[u8]| {
    let argv = std::iter::once(OsString::from("mandel")).chain(
        data.split(|&b| b == b'\n')
            .map(|t| OsString::from_vec(t.to_vec())),
    );
    let Ok(args) = MandelArgs::try_parse_from(argv) else {
        return;
    };
    let _ = args.schedule.name();
    match MandelJob::from_args(&args, None) {
        Ok(job) => {
            let Some(v) = job.view else {
                assert!(job.deep.is_some(), "a job has a view");
                return;
            };
            assert!(v.width() >= 1 && v.height() >= 1);
            assert!(v.pixels() as u64 <= mpi_examples::mandel::viewport::MAX_PIXELS);
            assert!(v.dx() > 0.0 && v.dx().is_finite() && v.dy() > 0.0 && v.dy().is_finite());
            for (col, row) in [(0, 0), (v.width() - 1, v.height() - 1)] {
                let c = v.c_at(col, row);
                assert!(c.re.is_finite() && c.im.is_finite());
            }
            assert!(job.max_iter >= 1);
            let _ = job.colormap.rgb(0.5);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
});
