//! The colours of the paintings, shared by the picture and the terminal,
//! so that painting 3 is the same colour in both, and the ink of a label
//! on each, chosen so that it can be read.
//!
//! Every colour lies on the 6×6×6 cube of the 256-colour terminal palette
//! (levels 0, 95, 135, 175, 215, 255), so the terminal shows exactly the
//! colour the picture does, without asking for 24-bit colour.
//!
//! A label's ink is black or white, whichever stands out more from its
//! block by WCAG 2's contrast ratio; a test checks that every block reaches
//! the 4.5:1 that WCAG AA asks of text.

/// A colour, as red, green and blue from 0 to 255.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The paintings' colours, in the order paintings 1, 2, 3… take them.
pub const PAINTINGS: [Rgb; 8] = [
    Rgb(0, 95, 175),    // blue
    Rgb(255, 135, 0),   // orange
    Rgb(95, 175, 95),   // green
    Rgb(215, 95, 95),   // red
    Rgb(175, 135, 215), // violet
    Rgb(0, 175, 175),   // teal
    Rgb(255, 215, 95),  // yellow
    Rgb(255, 175, 215), // pink
];

/// Drying on the slow disk.
pub const FILE_WAIT: Rgb = Rgb(215, 215, 215);
/// Drying on the slow network.
pub const NET_WAIT: Rgb = Rgb(158, 158, 158);
/// Saving a finished picture.
pub const SAVE: Rgb = Rgb(38, 38, 38);
/// Black ink.
pub const BLACK: Rgb = Rgb(0, 0, 0);
/// White ink.
pub const WHITE: Rgb = Rgb(255, 255, 255);

/// Painting `n`'s colour (paintings count from 1).
#[must_use]
pub fn painting(n: u32) -> Rgb {
    PAINTINGS[(n as usize).saturating_sub(1) % PAINTINGS.len()]
}

impl Rgb {
    /// `#rrggbb`, for SVG.
    #[must_use]
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// The colour's number in the 256-colour terminal palette. Exact for
    /// a colour on the cube, the nearest level of each channel otherwise.
    #[must_use]
    pub fn ansi256(self) -> u8 {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        let level = |c: u8| LEVELS.iter().enumerate().min_by_key(|(_, l)| l.abs_diff(c)).map_or(0, |(i, _)| i as u8);
        16 + 36 * level(self.0) + 6 * level(self.1) + level(self.2)
    }

    /// Relative luminance, as WCAG 2 defines it: 0 for black, 1 for white.
    #[must_use]
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The contrast ratio of two colours, from 1 (the same) to 21 (black on white).
    #[must_use]
    pub fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The ink for a label on this colour: black or white, whichever
    /// contrasts more.
    #[must_use]
    pub fn ink(self) -> Self {
        if self.contrast(BLACK) >= self.contrast(WHITE) { BLACK } else { WHITE }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_reaches_wcag_aa_on_its_block() {
        for colour in PAINTINGS.iter().chain(&[FILE_WAIT, NET_WAIT, SAVE]) {
            let ratio = colour.contrast(colour.ink());
            assert!(ratio >= 4.5, "{} with {} ink: {ratio:.2}:1", colour.hex(), colour.ink().hex());
        }
    }

    #[test]
    fn contrast_is_measured_as_wcag_does() {
        assert!((BLACK.contrast(WHITE) - 21.0).abs() < 1e-9);
        assert!((WHITE.contrast(WHITE) - 1.0).abs() < 1e-9);
        // WCAG's own example pair: #777777 on white is just under 4.5:1.
        let grey = Rgb(0x77, 0x77, 0x77).contrast(WHITE);
        assert!((4.47..4.49).contains(&grey), "{grey}");
    }

    #[test]
    fn the_terminal_shows_the_pictures_colours_exactly() {
        for colour in PAINTINGS {
            let index = colour.ansi256() - 16;
            let level = |i: u8| [0, 95, 135, 175, 215, 255][usize::from(i)];
            assert_eq!(Rgb(level(index / 36), level(index / 6 % 6), level(index % 6)), colour);
        }
        assert_eq!(Rgb(255, 135, 0).ansi256(), 208);
        assert_eq!(painting(1), painting(9));
        assert_ne!(painting(1), painting(2));
    }
}
