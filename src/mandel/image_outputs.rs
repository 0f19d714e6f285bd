//! One image's painter and output threads, shared by a single render and every frame of a
//! movie, so a frame is painted and written exactly as the same view rendered alone.

use crate::mandel::colormap::{ColorScale, Cycle, Painter};
use crate::mandel::deep::render::DeepRenderer;
use crate::mandel::render::probe_pixels;
use crate::mandel::request::Request;
use crate::mandel::sink::npy::npy_output;
use crate::mandel::sink::png::{encoder_threads, png_output, PngJob};
use crate::mandel::{smooth_count, Outputs};
use crate::Error;

/// The painter for the request's colour scale: a cycled palette is fitted to a sample of the
/// picture (the same pixels at any rank count), unless its period is given.
pub fn painter(request: &Request, deep: Option<&DeepRenderer>) -> Painter {
    let scale = request.color_scale;
    if scale == ColorScale::MaxIter {
        return Painter::new(&request.colormap, request.max_iter);
    }
    let samples: Vec<f64> = probe_pixels(request.width, request.height)
        .into_iter()
        .map(|(col, row)| match (deep, &request.view) {
            (Some(d), _) => f64::from(d.smooth_at(col, row)),
            (None, Some(v)) => f64::from(smooth_count(v.c_at(col, row), request.max_iter)),
            (None, None) => 0.0,
        })
        .collect();
    let (max_iter, cycles, inside) = (request.max_iter, request.palette_cycles, request.inside);
    let mut cycle = Cycle::auto(&samples, max_iter, scale, cycles, inside);
    if let Some(p) = request.palette_period {
        cycle.period = p;
    }
    Painter::with_cycle(&request.colormap, max_iter, cycle)
}

/// The output threads for the request's files (none: nothing is assembled at all): the counts
/// to its `counts`, the picture painted by `painter` to its `out`.
pub fn open_outputs(request: &Request, painter: Option<Painter>) -> Result<Option<Outputs>, Error> {
    let (width, height) = (request.width, request.height);
    let mut outputs = Outputs::new(width, request.smooth);
    if let Some(path) = &request.counts {
        outputs.add("the counts", npy_output(path.clone(), width, height))?;
    }
    if let (Some(path), Some(painter)) = (&request.out, painter) {
        let png = PngJob {
            path: path.clone(),
            width,
            height,
            level: request.png_compression,
            threads: encoder_threads(),
            painter,
        };
        outputs.add("the image", png_output(png))?;
    }
    Ok((!outputs.is_empty()).then_some(outputs))
}
