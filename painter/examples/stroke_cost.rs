//! Prints the time of one stroke for a range of seeds: every seed should
//! cost the same, or `--paint` would mean different work for different
//! paintings. `cargo run --release -p atelier-painter --example stroke_cost`

use std::time::Instant;

use painter::canvas::Canvas;

fn main() {
    for seed in 0..12u64 {
        let seed = if seed == 0 { 0 } else { 0x9e37_79b9_u64 + seed };
        let mut canvas = Canvas::new(seed);
        canvas.paint(320);
        let start = Instant::now();
        canvas.paint(4000);
        let ns = start.elapsed().as_nanos() as f64 / 4000.0;
        eprintln!("seed {seed:>12}: {:.2} µs per stroke", ns / 1000.0);
    }
}
