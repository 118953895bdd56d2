//! Prints the time of one stroke for a range of seeds and depths: every
//! stroke should cost the same, or `--paint` would mean different work for
//! different paintings.
//! `cargo run --release -p atelier-painter --example stroke_cost`

#![allow(clippy::print_stdout)] // printing figures is what this example is for

use std::time::Instant;

use painter::canvas::Canvas;

fn main() {
    for seed in 0..8u64 {
        let seed = if seed == 0 { 0 } else { 0x9e37_79b9_u64 + seed };
        let mut canvas = Canvas::new(seed);
        let costs: Vec<String> = (0..6)
            .map(|_| {
                let start = Instant::now();
                canvas.paint(1000);
                format!("{:6.2}", start.elapsed().as_nanos() as f64 / 1000.0 / 1000.0)
            })
            .collect();
        println!("seed {seed:>12}: µs per stroke, by thousand strokes: {}", costs.join(" "));
    }
}
