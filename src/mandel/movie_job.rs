//! A zoom movie rendered by every rank, step by step as `src/bin/mandel.rs` runs it: rank 0
//! validates the movie and picks the frames still to render, and everyone learns both; every
//! rank computes one reference orbit for every deep frame; the frames are rendered as one tall
//! image shared among the ranks, and rank 0 writes each frame as its last row arrives, then
//! reports.

use super::deep::location::{location_from_wire, location_to_wire};
use super::deep::render::Reference;
use super::job::{progress, timed_reference};
use super::movie::{Movie, MovieRenderer, MovieSink};
use super::report::MovieReport;
use super::request::Options;
use crate::mandel::{render_image, RowSink};
use crate::signals;
use crate::spmd::{Halt, Spmd};
use crate::summary::peak_rss_bytes;

/// Rank 0 reads the location file and validates the movie `options` ask for; everyone learns
/// the outcome, and the file's values, and builds the same movie from them.
pub fn agree_movie(spmd: &Spmd, options: &Options) -> Result<Movie, Halt> {
    let ranks = spmd.size() as u32;
    let checked = spmd.agree(spmd.is_root().then(|| Movie::validate(options, ranks)))?;
    let wire = spmd.broadcast_vec(checked.as_ref().map(|(_, l)| location_to_wire(l.as_ref())));
    Ok(match checked {
        Some((movie, _)) => movie,
        None => Movie::from_options(options, location_from_wire(&wire))
            .expect("rank 0 validated these same options"),
    })
}

/// Rank 0 looks at the files; everyone learns which frames are left to render (all of them,
/// unless `resume`).
pub fn agree_pending(spmd: &Spmd, movie: &Movie, resume: bool) -> Vec<u32> {
    spmd.broadcast_vec(spmd.is_root().then(|| movie.pending(resume)))
}

/// The reference shared by every deep frame, the seconds it took and its precision: the
/// deepest frame's, whether or not it is left to render, so a resumed movie's frames are those
/// of an uninterrupted one; `None` when no frame in `slots` is deep.
pub fn shared_reference(
    spmd: &Spmd,
    options: &Options,
    movie: &Movie,
    slots: &[u32],
) -> Option<(Reference, f64, u32)> {
    let any_deep = slots
        .iter()
        .any(|&s| movie.frames[s as usize].request.deep.is_some());
    movie.deepest().filter(|_| any_deep).map(|i| {
        let frame = &movie.frames[i].request;
        let view = frame.deep.as_ref().expect("the deepest frame is deep");
        let (r, seconds) = timed_reference(spmd, view, frame.max_iter, None, options.progress);
        (r, seconds, view.precision_bits())
    })
}

/// The frames `slots` rendered as one tall image shared among the ranks; rank 0 writes each
/// frame as its last row arrives, finishes them, everyone learns whether that worked, and rank
/// 0 prints the report.
pub fn render_and_report(
    spmd: &Spmd,
    options: &Options,
    movie: &Movie,
    slots: &[u32],
    reference: Option<&(Reference, f64, u32)>,
) -> Result<(), Halt> {
    let root = spmd.is_root();
    let renderer = MovieRenderer::new(
        movie,
        slots,
        reference.map(|(r, _, _)| r),
        options.bla(),
        options.threads as usize,
        spmd.size() as u32,
    );
    let streaming = options.out.is_some() || options.counts.is_some();
    let mut sink = (root && streaming).then(|| MovieSink::new(&renderer));
    // On a signal rank 0 finishes the frame being written; the others outlive it meanwhile.
    let _linger = (!root && streaming).then(signals::linger_on_stop);
    let already = (movie.frames.len() - slots.len()) as u64;
    let height = movie.frames[0].request.height;
    let mut p = progress(spmd, options.progress, u64::from(renderer.rows()), "rows").with_frames(
        u64::from(height),
        movie.frames.len() as u64,
        already,
    );
    let rendered = render_image(
        spmd,
        &renderer,
        renderer.rows(),
        options.schedule,
        streaming,
        sink.as_mut().map(|s| s as &mut dyn RowSink),
        &mut p,
    );
    drop(p);
    // Rank 0 has finished every frame's files; everyone learns whether that worked.
    let done = spmd.agree(root.then(|| sink.map_or(Ok(Vec::new()), MovieSink::close)))?;
    let peak_rss = spmd.gather_slices(&[peak_rss_bytes()]);
    if let (Some(rendered), Some(peak_rss), Some(done)) = (rendered, peak_rss, done) {
        MovieReport {
            movie,
            ranks: spmd.size(),
            rendered: &rendered,
            reference_s: reference.map(|(_, s, _)| *s),
            precision_bits: reference.map(|(_, _, b)| *b),
            slots,
            done: &done,
            skipped: already,
            peak_rss: &peak_rss.into_flat(),
        }
        .print();
    }
    Ok(())
}
