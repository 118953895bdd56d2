//! The few pieces of SVG markup the picture is made of, and text made
//! safe to put in it.

use std::fmt::Write as _;

/// A plain rectangle.
pub(super) fn block(out: &mut String, x: f64, y: f64, width: f64, height: f64, fill: &str, class: &str) {
    let _ = writeln!(
        out,
        r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{height:.1}" fill="{fill}"/>"#
    );
}

/// A line of text; `attributes` are added as they are.
pub(super) fn text(out: &mut String, x: f64, y: f64, content: &str, attributes: &str) {
    let space = if attributes.is_empty() { "" } else { " " };
    let _ = writeln!(out, r#"<text x="{x:.1}" y="{y:.1}"{space}{attributes}>{}</text>"#, escape(content));
}

/// Text made safe for XML.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Words in lines of at most `width` characters.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += word;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Words in lines of at most `width` characters, as [`wrap`], with `keep`
/// (a command, say) never broken where it fits a line.
pub(super) fn wrap_keeping(text: &str, keep: &str, width: usize) -> Vec<String> {
    // A stand-in for the spaces inside `keep`, which no text holds.
    const JOINED: char = '\u{e001}';
    if keep.is_empty() || keep.chars().count() > width {
        return wrap(text, width);
    }
    let joined = text.replacen(keep, &keep.replace(' ', &JOINED.to_string()), 1);
    wrap(&joined, width).into_iter().map(|line| line.replace(JOINED, " ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape(r#"a<b & "c"'"#), "a&lt;b &amp; &quot;c&quot;&apos;");
    }

    #[test]
    fn words_wrap_at_the_width() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert!(wrap("", 7).is_empty());
        // A command stays whole on a line of its own.
        assert_eq!(wrap_keeping("again: --strokes 7307 x", "--strokes 7307", 16), vec!["again:", "--strokes 7307 x"]);
        assert_eq!(wrap("again: --strokes 7307 x", 16), vec!["again: --strokes", "7307 x"]);
    }
}
