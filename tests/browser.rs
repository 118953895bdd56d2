//! The `--svg` picture as a real browser draws it: Debian's `chromium`,
//! headless, takes a screenshot, and the test reads its pixels. Each
//! painting's block is drawn in its colour, and the dashed ideal line
//! never shows on top of a block.
//!
//! It is ignored unless asked for with `--include-ignored`, as `.ci/run`
//! does, having installed `chromium`; asked for without it, it fails.

use std::path::Path;
use std::process::Command;

use crate::support::{Finished, out_dir};
use crate::visual::compared;

/// `chromium`, which a test that asks for it needs.
fn chromium() -> &'static str {
    let found = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "chromium is missing: install Debian's `chromium` package");
    "chromium"
}

/// An RGB screenshot of `svg`, `width` × `height` pixels.
struct Screenshot {
    width: usize,
    pixels: Vec<[u8; 3]>,
}

impl Screenshot {
    fn take(browser: &str, svg: &Path, width: u32, height: u32) -> Self {
        let png = svg.with_extension("png");
        let mut command = Command::new(browser);
        command
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1"])
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg(svg);
        let output = command.output().expect("chromium runs");
        let taken = Finished::of(format!("{command:?}"), &output);
        taken.check(png.is_file(), "no screenshot");
        let file = std::io::BufReader::new(std::fs::File::open(&png).expect("the screenshot"));
        let mut reader = png::Decoder::new(file).read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut buffer).expect("a frame");
        let channels = info.color_type.samples();
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let pixels = buffer[..info.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
        Self { width: info.width as usize, pixels }
    }

    fn at(&self, x: f64, y: f64) -> [u8; 3] {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (x, y) = (x.floor() as usize, y.floor() as usize);
        self.pixels[y * self.width + x]
    }
}

/// `#rrggbb` as RGB.
fn rgb(hex: &str) -> [u8; 3] {
    let channel = |i: usize| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).expect("a hex colour");
    [channel(0), channel(1), channel(2)]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 6)
}

#[test]
#[ignore = "needs Debian's chromium"]
fn a_browser_draws_every_block_in_its_colour_and_the_ideal_line_behind_them() {
    let browser = chromium();
    let svg = &compared().svg;
    let out = out_dir("browser");
    let path = out.join("timeline.svg");
    std::fs::write(&path, svg).expect("write the picture");
    let document = roxmltree::Document::parse(svg).expect("XML");
    let root = document.root_element();
    let number = |node: roxmltree::Node<'_, '_>, name: &str| -> f64 {
        node.attribute(name).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} on {node:?}"))
    };
    let (width, height) = (number(root, "width"), number(root, "height"));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let shot = Screenshot::take(browser, &path, width as u32, height as u32);

    let blocks: Vec<_> = root.descendants().filter(|n| n.attribute("class") == Some("paint")).collect();
    assert!(blocks.len() >= 15, "a block per painting and mode");
    // Where a painter waited for its core, the block is hatched over: its
    // colour shows where it ran.
    let waits: Vec<(f64, f64, f64)> = root
        .descendants()
        .filter(|n| n.attribute("class") == Some("waiting"))
        .map(|n| (number(n, "x"), number(n, "x") + number(n, "width"), number(n, "y")))
        .collect();
    let mut sampled = 0;
    for block in &blocks {
        let (x, y, w) = (number(*block, "x"), number(*block, "y"), number(*block, "width"));
        let fill = rgb(block.attribute("fill").expect("a fill"));
        // Near the top, clear of the label in the middle, and of any wait
        // drawn over the block (a pixel's margin either side).
        let hatched =
            |at: f64| waits.iter().any(|&(from, to, top)| (top - y).abs() < 1.0 && from - 1.0 <= at && at <= to + 1.0);
        // Three pixels in from either edge, where nothing is blended.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let inside = (w - 6.0).max(0.0) as u32;
        let Some(at) = (0..=inside).map(|dx| x + w.min(6.0) / 2.0 + f64::from(dx)).find(|&at| !hatched(at)) else {
            continue;
        };
        let seen = shot.at(at, y + 3.0);
        assert!(close(seen, fill), "a block filled {fill:?} shows {seen:?} at ({at}, {y})");
        sampled += 1;
    }
    assert!(sampled >= 10, "too few blocks with a stretch where their painter ran: {sampled}");
    // Wherever the ideal line crosses a block, the block is on top.
    for ideal in root.descendants().filter(|n| n.attribute("class") == Some("ideal")) {
        let x = number(ideal, "x1");
        let panel = ideal.parent().expect("a panel");
        let blocks =
            panel.descendants().filter(|b| matches!(b.attribute("class"), Some("paint" | "file-wait" | "net-wait")));
        let crossed = blocks.filter(|b| {
            let left = number(*b, "x");
            left + 2.0 < x && x < left + number(*b, "width") - 2.0
        });
        for block in crossed {
            let top = number(block, "y");
            // A wait hatched over the block there hides its colour.
            if waits.iter().any(|&(from, to, y)| (y - top).abs() < 1.0 && from - 1.0 <= x && x <= to + 1.0) {
                continue;
            }
            let fill = rgb(block.attribute("fill").expect("a fill"));
            let seen = shot.at(x, top + 3.0);
            assert!(close(seen, fill), "the ideal line shows through a block at x {x}: {seen:?}");
        }
    }
    let _ = std::fs::remove_dir_all(out);
}
