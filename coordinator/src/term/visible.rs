//! Text from a painter, made safe to print.
//!
//! A painter's stderr, the reasons it gives, the paths it names: all of it is
//! input from another program, soon from another machine. Printed raw, an
//! escape sequence in it would reach the user's terminal — set its title, its
//! colours, even its clipboard (OSC 52). So every such string passes through
//! [`visible`] before it is printed or kept: control characters and the
//! invisible characters that reorder text are shown as escapes (`\x1b`), and
//! a very long line is cut.

use std::fmt::Write;

/// The longest painter-supplied text kept, in characters.
pub const LINE: usize = 240;

/// `text` with every control character shown as an escape, and cut to at
/// most `max` characters (ending in `…` when cut).
#[must_use]
pub fn visible(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut shown = 0;
    // Where to cut, leaving room for the `…`, should the rest not fit.
    let mut cut = None;
    for c in text.chars() {
        let piece = escape(c);
        let width = piece.as_ref().map_or(1, |p| p.chars().count());
        if shown + width > max.saturating_sub(1) && cut.is_none() {
            cut = Some(out.len());
        }
        if shown + width > max {
            out.truncate(cut.unwrap_or(0));
            out.push('…');
            return out;
        }
        match piece {
            Some(p) => out.push_str(&p),
            None => out.push(c),
        }
        shown += width;
    }
    out
}

/// How `c` is shown, if not as itself.
fn escape(c: char) -> Option<String> {
    let hidden = c.is_control()
        // Characters that reorder or hide the text around them.
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
    if !hidden {
        return None;
    }
    let mut shown = String::new();
    match c {
        '\t' => shown.push(' '),
        c if u32::from(c) < 0x80 => {
            let _ = write!(shown, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        let title = visible("\u{1b}]0;pwned\u{7}\u{1b}[31mred", 100);
        assert_eq!(title, "\\x1b]0;pwned\\x07\\x1b[31mred");
        assert!(!title.chars().any(char::is_control));
        // C1 controls (a one-character CSI) and text-reordering marks too.
        assert_eq!(visible("a\u{9b}31mb\u{202e}c", 100), "a\\u{9b}31mb\\u{202e}c");
        assert_eq!(visible("tab\there\r\n", 100), "tab here\\x0d\\x0a");
    }

    #[test]
    fn plain_text_is_left_alone() {
        assert_eq!(
            visible("painting #3: No space left on device (os error 28)", 100),
            "painting #3: No space left on device (os error 28)"
        );
        assert_eq!(visible("café ünïcode 画", 100), "café ünïcode 画");
    }

    #[test]
    fn long_lines_are_cut_with_a_mark() {
        let long = "x".repeat(1000);
        let cut = visible(&long, 50);
        assert_eq!(cut.chars().count(), 50);
        assert!(cut.ends_with('…'));
        assert_eq!(visible(&"y".repeat(50), 50), "y".repeat(50));
        // An escape is never cut in half.
        let escapes = visible(&"\u{1b}".repeat(100), 10);
        assert_eq!(escapes, "\\x1b\\x1b…");
    }
}
