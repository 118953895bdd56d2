//! The key to the picture: what each colour, mark and line means.

use std::fmt::Write as _;

use super::markup::{block, text};
use super::{CPU, IDEAL, INK, SAVE_MARK, palette, unfinished_mark};

/// What the picture holds, so that the key says what each thing means.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys {
    /// Coats per painting.
    pub(super) coats: u32,
    /// Whether some picture was saved.
    pub(super) saves: bool,
    /// Whether something was begun and never finished.
    pub(super) unfinished: bool,
    /// Whether painting blocks show their waits for a core.
    pub(super) states: bool,
    /// Whether there are rows per core.
    pub(super) cores: bool,
    /// Whether some coat dried for any time at all.
    pub(super) dries: bool,
}

/// About how wide a character of 13 px text is, with room to spare: keys
/// laid out by it do not run into each other.
const CHAR: f64 = 7.4;

/// A key: how wide it is, and how to draw it at (x, top).
type Key = (f64, Box<dyn Fn(&mut String, f64, f64)>);

/// Where a key's text sits, for a key whose top is `top`.
fn base(top: f64) -> f64 {
    top + 12.5
}

/// How wide a key is whose label is `label`, after `before` pixels of mark.
#[allow(clippy::cast_precision_loss)] // a short label
fn wide(before: f64, label: &str) -> f64 {
    before + CHAR * label.chars().count() as f64
}

/// The key to the picture, on as many lines as `width` needs; returns
/// the y below it.
pub(super) fn legend(out: &mut String, y: f64, width: f64, keys_of: Keys) -> f64 {
    let Keys { coats, saves, unfinished, states, cores, dries } = keys_of;
    let mut keys: Vec<Key> = vec![painting_key(coats, states)];
    if states {
        keys.push(swatch("hatched: ready to paint, waiting for a core another held", |out, x, top| {
            block(out, x, top, 28.0, 16.0, &palette::painting(1).hex(), "legend");
            block(out, x, top, 28.0, 16.0, "url(#waiting)", "legend");
        }));
    }
    if cores {
        keys.extend(core_keys());
    }
    if dries {
        keys.push(swatch_at(170.0, "drying: disk wait", |out, x, top| {
            block(out, x, top, 28.0, 16.0, &palette::FILE_WAIT.hex(), "legend");
        }));
        keys.push(swatch_at(136.0, "network wait", |out, x, top| {
            block(out, x, top, 28.0, 16.0, &palette::NET_WAIT.hex(), "legend");
        }));
    }
    if saves {
        // Where coats dry, the picture is made while the last one dries
        // and written once it is dry: two marks.
        let saving = if dries {
            "saving the picture: made while its last coat dries, written once dry (often two marks)"
        } else {
            "saving the picture"
        };
        keys.push(swatch(saving, |out, x, top| {
            block(out, x, top + 16.0 - SAVE_MARK, 28.0, SAVE_MARK, &palette::SAVE.hex(), "legend");
        }));
    }
    if unfinished {
        const BEGUN: &str = "begun, never finished: its painter failed or was stopped";
        keys.push((
            wide(36.0, BEGUN),
            Box::new(|out, x, top| {
                unfinished_mark(out, x + 8.0, top - 3.0, None);
                text(out, x + 22.0, base(top), BEGUN, "");
            }),
        ));
    }
    keys.extend(end_keys());
    keys.push(cpu_key());
    let mut top = y + 8.0;
    let mut x = 20.0;
    for (key_width, draw) in keys {
        if x > 20.0 && x + key_width > width - 20.0 {
            x = 20.0;
            top += 24.0;
        }
        draw(out, x, top);
        x += key_width;
    }
    top + 24.0
}

/// A key of a 28 px swatch, drawn by `mark`, and its label.
fn swatch(label: &'static str, mark: fn(&mut String, f64, f64)) -> Key {
    swatch_at(wide(40.0, label), label, mark)
}

/// The same, `width` wide.
fn swatch_at(width: f64, label: &'static str, mark: fn(&mut String, f64, f64)) -> Key {
    (
        width,
        Box::new(move |out, x, top| {
            mark(out, x, top);
            text(out, x + 34.0, base(top), label, "");
        }),
    )
}

/// Painting: three blocks, numbered as the lanes number them.
fn painting_key(coats: u32, states: bool) -> Key {
    let painting = if coats > 1 {
        format!("painting n, coat c/{coats}: the CPU is busy")
    } else {
        "painting n: the CPU is busy".to_owned()
    };
    // With states, the solid part is only when the thread ran.
    let painting = if states {
        painting.replace("the CPU is busy", "running on its core (a gap: off it, waiting for none)")
    } else {
        painting
    };
    (
        wide(58.0, &painting),
        Box::new(move |out, x, top| {
            for i in 0..3u32 {
                let colour = palette::painting(i + 1);
                let left = x + 18.0 * f64::from(i);
                block(out, left, top, 16.0, 16.0, &colour.hex(), "legend");
                let ink = colour.ink().hex();
                let attributes = format!(r#"fill="{ink}" font-size="12" font-weight="bold" text-anchor="middle""#);
                text(out, left + 8.0, base(top), &(i + 1).to_string(), &attributes);
            }
            text(out, x + 58.0, base(top), &painting, "");
        }),
    )
}

/// The core rows: who held a core.
fn core_keys() -> Vec<Key> {
    const CORES: &str = "core rows, who held the core (turns shorter than a strip drawn as strips in proportion): a painter (its painting's colour);";
    vec![
        (wide(20.0, CORES), Box::new(|out, x, top| text(out, x, base(top), CORES, ""))),
        swatch("another program (or the coordinator)", |out, x, top| {
            block(out, x, top, 28.0, 16.0, super::cores::OTHER, "legend")
        }),
        swatch("idle: no painter ran or waited", |out, x, top| {
            let _ = writeln!(
                out,
                r##"<rect class="legend" x="{x:.1}" y="{top:.1}" width="28" height="16" fill="#ffffff" stroke="#cccccc" stroke-dasharray="2,2"/>"##
            );
        }),
    ]
}

/// The measured end and the ideal end.
fn end_keys() -> Vec<Key> {
    [(116.0, INK, "", "measured end"), (92.0, IDEAL, r#" stroke-dasharray="4,3""#, "ideal end")]
        .into_iter()
        .map(|(key_width, colour, dashes, label)| -> Key {
            (
                key_width,
                Box::new(move |out, x, top| {
                    let _ = writeln!(
                        out,
                        r#"<line x1="{x}" y1="{top}" x2="{x}" y2="{}" stroke="{colour}" stroke-width="2"{dashes}/>"#,
                        top + 16.0
                    );
                    text(out, x + 6.0, base(top), label, "");
                }),
            )
        })
        .collect()
}

/// The CPU band under each painter.
fn cpu_key() -> Key {
    const CPU_USE: &str =
        "CPU use: the band full when all the painter's cores are busy; its figure as top shows it (100% is one core)";
    (
        wide(40.0, CPU_USE),
        Box::new(|out, x, top| {
            let _ = writeln!(
                out,
                r#"<polyline points="{x},{b} {},{b} {},{t} {},{t}" fill="none" stroke="{CPU}" stroke-width="1.5"/>"#,
                x + 8.0,
                x + 8.0,
                x + 26.0,
                b = top + 16.0,
                t = top + 2.0
            );
            text(out, x + 32.0, base(top), CPU_USE, "");
        }),
    )
}
