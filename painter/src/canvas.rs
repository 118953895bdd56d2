//! The painting itself: an escape-time fractal, painted a stroke at a time.
//!
//! This is the CPU work of atelier, and it is real: every stroke advances
//! one row of the picture by [`ITERATIONS_PER_STROKE`] iterations of
//! `z ← z² + c` per pixel. Strokes go round the rows again and again, so a
//! painting with more strokes is the same picture in finer detail.
//!
//! Two properties matter more than the picture:
//!
//! - **every stroke costs the same**, whatever the seed and however deep the
//!   painting already is: an orbit that escapes starts over and keeps being
//!   computed (only its escape time is kept), so no seed paints faster and
//!   `--paint 400ms` means the same work for every painting;
//! - **it is deterministic**: the same `(seed, strokes)` gives the same
//!   pixels, in every mode and on every lane, which the checksum shows
//!   (it counts the strokes too: a picture can be finished before its last
//!   stroke, and the same pixels from more strokes are other work).

/// Canvas width in pixels.
pub const WIDTH: usize = 240;
/// Canvas height in pixels; also the number of strokes in one pass.
pub const HEIGHT: usize = 160;
/// Iterations per pixel in one stroke.
pub const ITERATIONS_PER_STROKE: u32 = 32;

/// Where in the complex plane a seed looks, and which fractal it paints.
#[derive(Debug, Clone, Copy)]
struct View {
    center: (f64, f64),
    /// Width of the view in the complex plane.
    span: f64,
    /// `Some(c)` paints the Julia set of `c`; `None`, the Mandelbrot set.
    julia: Option<(f64, f64)>,
}

/// Places worth looking at; a seed picks one and nudges it.
const VIEWS: [View; 8] = [
    View { center: (-0.6, 0.0), span: 3.2, julia: None },
    View { center: (-0.745, 0.113), span: 0.03, julia: None },
    View { center: (-1.25, 0.02), span: 0.17, julia: None },
    View { center: (0.28, 0.008), span: 0.02, julia: None },
    View { center: (0.0, 0.0), span: 3.2, julia: Some((-0.8, 0.156)) },
    View { center: (0.0, 0.0), span: 3.0, julia: Some((0.285, 0.01)) },
    View { center: (0.0, 0.0), span: 3.2, julia: Some((-0.4, 0.6)) },
    View { center: (0.0, 0.0), span: 2.8, julia: Some((-0.70176, -0.3842)) },
];

/// One pixel's state: where its orbit is, for how many iterations it
/// stayed bounded, and whether it still is.
#[derive(Debug, Clone, Copy)]
struct Pixel {
    zr: f64,
    zi: f64,
    bounded: u32,
    alive: bool,
}

impl Default for Pixel {
    fn default() -> Self {
        Self { zr: 0.0, zi: 0.0, bounded: 0, alive: true }
    }
}

/// A painting in progress.
#[derive(Debug, Clone)]
pub struct Canvas {
    view: View,
    /// Per-painting palette phase, from the seed.
    hue: f64,
    pixels: Vec<Pixel>,
    /// The row the next stroke paints.
    next_row: usize,
    strokes: u64,
}

impl Canvas {
    /// A blank canvas for the painting chosen by `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut rng = SplitMix64(seed);
        #[allow(clippy::cast_possible_truncation)] // the modulus makes it small
        let mut view = VIEWS[(rng.next() % VIEWS.len() as u64) as usize];
        // Nudge the view a little so that seeds sharing a place still differ.
        let nudge = view.span * 0.05;
        view.center.0 += rng.unit() * nudge;
        view.center.1 += rng.unit() * nudge;
        if let Some((cr, ci)) = &mut view.julia {
            *cr += rng.unit() * 0.01;
            *ci += rng.unit() * 0.01;
        }
        let mut canvas =
            Self { view, hue: rng.unit(), pixels: vec![Pixel::default(); WIDTH * HEIGHT], next_row: 0, strokes: 0 };
        if view.julia.is_some() {
            // A Julia orbit starts at the pixel; a Mandelbrot orbit at 0.
            for (i, pixel) in canvas.pixels.iter_mut().enumerate() {
                let (zr, zi) = Self::point(&view, i % WIDTH, i / WIDTH);
                *pixel = Pixel { zr, zi, ..Pixel::default() };
            }
        }
        canvas
    }

    /// The complex number at pixel `(x, y)`.
    #[allow(clippy::cast_precision_loss)] // canvas coordinates are small
    fn point(view: &View, x: usize, y: usize) -> (f64, f64) {
        let scale = view.span / WIDTH as f64;
        (
            view.center.0 + (x as f64 - WIDTH as f64 / 2.0) * scale,
            view.center.1 + (y as f64 - HEIGHT as f64 / 2.0) * scale,
        )
    }

    /// Paints `strokes` strokes.
    pub fn paint(&mut self, strokes: u64) {
        for _ in 0..strokes {
            self.stroke();
        }
    }

    /// One stroke: the next row, [`ITERATIONS_PER_STROKE`] iterations deeper.
    fn stroke(&mut self) {
        let y = self.next_row;
        let view = self.view;
        let row = &mut self.pixels[y * WIDTH..(y + 1) * WIDTH];
        for (x, pixel) in row.iter_mut().enumerate() {
            let here = Self::point(&view, x, y);
            // Mandelbrot: c is the pixel, orbits start at 0. Julia: c is
            // fixed, orbits start at the pixel.
            let (c, start) = match view.julia {
                Some(c) => (c, here),
                None => (here, (0.0, 0.0)),
            };
            let Pixel { mut zr, mut zi, mut bounded, mut alive } = *pixel;
            for _ in 0..ITERATIONS_PER_STROKE {
                let (zr2, zi2) = (zr * zr, zi * zi);
                let inside = zr2 + zi2 <= 4.0;
                alive &= inside;
                bounded += u32::from(alive);
                // An orbit that escapes starts over rather than stopping, so
                // every iteration of every pixel does the same dependent
                // arithmetic: an escaped pixel must not be cheaper (it would
                // be about 5× cheaper otherwise, and seeds would differ).
                // The choice is arithmetic, not a branch: restarts come at
                // random, and a mispredicted branch costs more than the sums.
                let (nr, ni) = (zr2 - zi2 + c.0, 2.0 * zr * zi + c.1);
                let keep = f64::from(u8::from(inside));
                zr = nr * keep + start.0 * (1.0 - keep);
                zi = ni * keep + start.1 * (1.0 - keep);
            }
            *pixel = Pixel { zr, zi, bounded, alive };
        }
        self.next_row = (y + 1) % HEIGHT;
        self.strokes += 1;
    }

    /// Strokes painted so far.
    #[must_use]
    pub fn strokes(&self) -> u64 {
        self.strokes
    }

    /// The picture as 8-bit RGB, row by row.
    ///
    /// A colour costs three cosines, and a picture has tens of thousands of
    /// pixels but only as many escape times as iterations painted: each
    /// escape time's colour is worked out once, in a table, when there are
    /// fewer of them than pixels. The table holds what [`Canvas::colour`]
    /// gives, so the picture is the same either way.
    #[must_use]
    pub fn rgb(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WIDTH * HEIGHT * 3);
        let passes = self.strokes / HEIGHT as u64;
        let extra = (self.strokes % HEIGHT as u64) as usize;
        let escaped = self.pixels.iter().filter(|p| !p.alive).map(|p| p.bounded as usize);
        let table: Vec<[u8; 3]> = match escaped.max() {
            Some(most) if most < self.pixels.len() => {
                (0..=most as u64).map(|bounded| self.colour(Some(bounded), u64::MAX)).collect()
            }
            _ => Vec::new(),
        };
        for (i, pixel) in self.pixels.iter().enumerate() {
            let row = i / WIDTH;
            let strokes_here = passes + u64::from(row < extra);
            let depth = strokes_here * u64::from(ITERATIONS_PER_STROKE);
            let colour = match (pixel.alive, table.get(pixel.bounded as usize)) {
                (false, Some(colour)) if depth > 0 => *colour,
                (alive, _) => self.colour((!alive).then_some(u64::from(pixel.bounded)), depth),
            };
            out.extend_from_slice(&colour);
        }
        out
    }

    /// A pixel's colour: deep blue for unpainted and for points that never
    /// escaped, a smooth cosine palette for the rest.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn colour(&self, escaped_at: Option<u64>, depth: u64) -> [u8; 3] {
        let Some(bounded) = escaped_at.filter(|_| depth > 0) else {
            return [12, 14, 40];
        };
        let t = (bounded as f64).sqrt() * 0.09 + self.hue;
        let channel = |phase: f64| {
            let v = 0.5 + 0.5 * (std::f64::consts::TAU * (t + phase)).cos();
            (v * 255.0).round() as u8
        };
        [channel(0.0), channel(0.33), channel(0.67)]
    }

    /// The checksum of this canvas: see [`checksum`].
    #[must_use]
    pub fn checksum(&self) -> u64 {
        checksum(&self.rgb(), self.strokes)
    }
}

/// FNV-1a over a picture's pixels `rgb`, then over the `strokes` that
/// painted it: the same work gives the same checksum. A picture can be
/// finished before its last stroke (every orbit decided, more depth adds no
/// colour), so the same pixels reached by more strokes are other work, and
/// get another checksum.
#[must_use]
pub fn checksum(rgb: &[u8], strokes: u64) -> u64 {
    fnv1a_from(fnv1a(rgb), &strokes.to_le_bytes())
}

/// 64-bit FNV-1a taken eight bytes at a time (then the last few bytes one
/// at a time): tiny, and plenty to tell pictures apart. A byte at a time it
/// took 0.18 ms for one picture, a tenth of a painting's delivery.
#[must_use]
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a of `bytes`, going on from `hash`.
fn fnv1a_from(hash: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    let hash = words.fold(hash, |hash, word| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        (hash ^ u64::from_le_bytes(eight)).wrapping_mul(PRIME)
    });
    tail.iter().fold(hash, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

/// A small, well-known generator: enough to turn a seed into a view.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [-1, 1).
    #[allow(clippy::cast_precision_loss)]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_strokes_same_picture() {
        let mut a = Canvas::new(7);
        let mut b = Canvas::new(7);
        a.paint(500);
        // Painted in slices, as the async scheduler does: the same picture.
        for _ in 0..5 {
            b.paint(100);
        }
        assert_eq!(a.checksum(), b.checksum());
    }

    #[test]
    fn seeds_and_strokes_change_the_picture() {
        let mut a = Canvas::new(1);
        let mut b = Canvas::new(2);
        a.paint(300);
        b.paint(300);
        assert_ne!(a.checksum(), b.checksum());
        let before = a.checksum();
        a.paint(160);
        assert_ne!(a.checksum(), before);
    }

    /// The demo's paintings 1 and 3 reach their last colours early: at
    /// 5,513 and 7,595 strokes their pixels are the same, their work is
    /// not, and neither are their checksums.
    #[test]
    fn the_checksum_counts_the_strokes_as_well_as_the_pixels() {
        for job in [1u64, 3] {
            let seed = 1u64.wrapping_mul(0x9e37_79b9).wrapping_add(job);
            let (mut fewer, mut more) = (Canvas::new(seed), Canvas::new(seed));
            fewer.paint(5513);
            more.paint(7595);
            assert_eq!(fewer.rgb(), more.rgb(), "painting {job}: the same picture");
            assert_ne!(fewer.checksum(), more.checksum(), "painting {job}: other work");
        }
    }

    #[test]
    fn the_picture_has_the_canvas_size() {
        assert_eq!(Canvas::new(0).rgb().len(), WIDTH * HEIGHT * 3);
    }

    #[test]
    fn the_colour_table_gives_each_pixel_its_own_colour() {
        for (seed, strokes) in [(3, 0), (3, 100), (11, 1000), (5, 3000)] {
            let mut canvas = Canvas::new(seed);
            canvas.paint(strokes);
            let passes = canvas.strokes / HEIGHT as u64;
            let extra = (canvas.strokes % HEIGHT as u64) as usize;
            let direct: Vec<u8> = canvas
                .pixels
                .iter()
                .enumerate()
                .flat_map(|(i, p)| {
                    let depth = (passes + u64::from(i / WIDTH < extra)) * u64::from(ITERATIONS_PER_STROKE);
                    canvas.colour((!p.alive).then_some(u64::from(p.bounded)), depth)
                })
                .collect();
            assert!(canvas.rgb() == direct, "seed {seed}, {strokes} strokes");
        }
    }
}
