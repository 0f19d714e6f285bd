//! One image's painter and outputs, shared by a single render and every frame of a movie, so a
//! frame is painted and written exactly as the same view rendered alone.

use std::path::Path;

use crate::cli::{Colouring, MandelJob};
use crate::mandel::deep::render::DeepRenderer;
use crate::mandel::png::PngCompression;
use crate::mandel::render::probe_pixels;
use crate::mandel::sink::npy::npy_output;
use crate::mandel::sink::png::{encoder_threads, png_output, PngJob};
use crate::mandel::{smooth_count, Cycle, Outputs, Painter};
use crate::Error;

/// The painter for the job's colouring: a cycled palette is fitted to a sample of the picture
/// (the same pixels at any rank count), unless its period is given.
pub fn painter(job: &MandelJob, deep: Option<&DeepRenderer>) -> Painter {
    match job.colouring {
        Colouring::MaxIter => Painter::new(&job.colormap, job.max_iter),
        Colouring::Cycle {
            scale,
            period,
            cycles,
            inside,
        } => {
            let samples: Vec<f64> = probe_pixels(job.width, job.height)
                .into_iter()
                .map(|(col, row)| match (deep, &job.view) {
                    (Some(d), _) => f64::from(d.smooth_at(col, row)),
                    (None, Some(v)) => f64::from(smooth_count(v.c_at(col, row), job.max_iter)),
                    (None, None) => 0.0,
                })
                .collect();
            let mut cycle = Cycle::auto(&samples, job.max_iter, scale, cycles, inside);
            if let Some(p) = period {
                cycle.period = p;
            }
            Painter::with_cycle(&job.colormap, job.max_iter, cycle)
        }
    }
}

/// The output threads for the files asked for (none: nothing is assembled at all): the counts
/// to `counts`, the picture painted by `painter` to `out`.
pub fn open_outputs(
    job: &MandelJob,
    out: Option<&Path>,
    counts: Option<&Path>,
    level: PngCompression,
    painter: Option<Painter>,
) -> Result<Option<Outputs>, Error> {
    let (width, height) = (job.width, job.height);
    let mut outputs = Outputs::new(width, job.smooth);
    if let Some(path) = counts {
        outputs.add("the counts", npy_output(path.to_path_buf(), width, height))?;
    }
    if let (Some(path), Some(painter)) = (out, painter) {
        let png = PngJob {
            path: path.to_path_buf(),
            width,
            height,
            level,
            threads: encoder_threads(),
            painter,
        };
        outputs.add("the image", png_output(png))?;
    }
    Ok((!outputs.is_empty()).then_some(outputs))
}
