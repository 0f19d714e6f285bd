//! What every schedule works with: the image it renders ([`Image`]), the figures a rank keeps as
//! it goes ([`Tally`]), and the byte budgets that size the messages and rank 0's window of rows
//! waiting for their turn.

use crate::mandel::render::RowRenderer;
use crate::progress::Progress;
use crate::spmd::Spmd;

/// Bytes of counts one piece of a rank's rows aims for: few messages, each far above any eager
/// limit, and small enough that a piece is quickly rendered.
pub(super) const PIECE_BYTES: usize = 2 << 20;

/// Bytes the rows waiting on rank 0 for their turn may take, all ranks together.
pub(super) const WINDOW_BYTES: usize = 64 << 20;

/// What every schedule is given: the ranks, the rows' renderer, the image's height, and whether
/// rank 0 has a sink for the rows (as `render_image` takes them).
pub(super) struct Image<'a> {
    pub(super) spmd: &'a Spmd,
    pub(super) renderer: &'a dyn RowRenderer,
    pub(super) height: u32,
    pub(super) streaming: bool,
}

/// One rank's running figures, and where rank 0 reports the rows done.
#[derive(Default)]
pub(super) struct Tally<'p> {
    pub(super) seconds: f64,
    pub(super) work: u64,
    pub(super) computed: u64,
    pub(super) progress: Option<&'p mut Progress>,
}

impl Tally<'_> {
    /// Reports that `rows` rows of the image are done (rank 0).
    pub(super) fn done(&mut self, rows: u64) {
        if let Some(p) = self.progress.as_deref_mut() {
            p.set(rows);
        }
    }

    /// Renders `rows` into the buffers (resized to fit) and counts the time and the work.
    pub(super) fn render(
        &mut self,
        spmd: &Spmd,
        renderer: &dyn RowRenderer,
        rows: &[u32],
        counts: &mut Vec<u32>,
        smooth: &mut Vec<f32>,
    ) {
        let pixels = rows.len() * renderer.width();
        counts.resize(pixels, 0);
        let smooth = if renderer.smooth() {
            smooth.resize(pixels, 0.0);
            Some(&mut smooth[..])
        } else {
            None
        };
        let start = spmd.now();
        self.computed += renderer.render(rows, counts, smooth);
        self.seconds += spmd.now() - start;
        self.work += counts.iter().map(|&c| u64::from(c)).sum::<u64>();
    }
}
