//! One plain sentence per run that says why it took as long as it did,
//! from the numbers of that run — what a teacher would say at the board —
//! and then where the time beyond the prediction went, largest cause
//! first, from the run's own gap (`gap.rs`). The text report and the SVG
//! caption both print it.

use crate::mode::Mode;
use crate::os::sampler::CpuUse;
use crate::report::RunReport;
use crate::report::gap::{self, Facts};
use crate::term::format::{alike, fine, given, secs};
use crate::workload::Calibration;
use crate::workload::Workload;

/// What one coat of paint is — strokes, and the time they take — and the
/// flags that paint the same pictures again, in any mode and invocation.
#[must_use]
pub fn paint_line(workload: &Workload, calibration: &Calibration) -> String {
    let mut line = match workload.strokes {
        Some(strokes) => format!("paint {strokes} strokes a coat (--strokes)"),
        None => format!("paint {} a coat", given(workload.paint)),
    };
    if calibration.strokes > 0 {
        if workload.strokes.is_some() {
            line += &format!(
                ", about {} at {:.1} µs a stroke",
                secs(calibration.paint().as_secs_f64()),
                calibration.stroke_ns / 1000.0
            );
        } else {
            line += &format!(" = {} strokes of {:.1} µs", calibration.strokes, calibration.stroke_ns / 1000.0);
        }
        if let Some(core) = calibration.core {
            line += &format!(" (measured on core {core})");
        }
        line += &format!("; {} paints these pictures again", again(workload, calibration));
    }
    line
}

/// The flags that paint a run's pictures again, in any mode and any
/// invocation: `--strokes 9400 --seed 1 --coats 1`.
#[must_use]
pub fn again(workload: &Workload, calibration: &Calibration) -> String {
    format!("--strokes {} --seed {} --coats {}", calibration.strokes, workload.seed, workload.coats)
}

/// Below this ideal wall time, a ratio against it means nothing.
const MEANINGFUL_IDEAL_S: f64 = 0.001;

/// The efficiency as a percentage, or `n/a` when the ideal is about zero.
#[must_use]
pub fn efficiency(run: &RunReport) -> String {
    if run.ideal_s < MEANINGFUL_IDEAL_S { "n/a".to_owned() } else { format!("{:.1}%", run.efficiency * 100.0) }
}

/// Explains `run`, with the `facts` its gap was computed from and what the
/// sampler saw of other programs (`cpu`). Every clause is chosen by the numbers it speaks of, so
/// that none is said where it does not hold: nothing about painting when
/// nothing was painted, no more CPU than the cores allow, and a bound on
/// painting alone never passed off as a bound on the whole run.
#[must_use]
pub fn sentence(
    run: &RunReport,
    workload: &Workload,
    calibration: &Calibration,
    facts: &Facts,
    cpu: &CpuUse,
) -> String {
    let mut text = Shape::of(run, workload, calibration).how();
    if run.ideal_s < MEANINGFUL_IDEAL_S {
        text += &format!(
            " Measured {}: with nothing to paint or wait for, all of it is overhead (the messages to and from the painters).",
            secs(run.wall_s)
        );
        return text;
    }
    text += &format!(
        " Measured {}; predicted {}, and {} is the ideal for the work as it was painted ({}).",
        secs(run.wall_s),
        secs(run.predicted_s),
        secs(run.ideal_s),
        efficiency(run)
    );
    text += &causes(run, facts, cpu);
    text += &network(run);
    text
}

/// What a run's mode made of its work, in the numbers its first sentence
/// speaks of.
struct Shape<'a> {
    run: &'a RunReport,
    n: u32,
    coats: u32,
    /// One coat's painting and drying, seconds.
    paint: f64,
    dry: f64,
    /// Every coat's, added up.
    total_paint: f64,
    total_dry: f64,
    painted: bool,
    dried: bool,
    /// Lanes and cores.
    w: usize,
    c: usize,
    /// ` × 2 coats`, or nothing for one.
    per: String,
    /// `painters`, or `threads`.
    who: &'static str,
    /// `on 1 core`, `on 2 cores`.
    on_cores: String,
    /// The ideal's speedup over sequential, where the ideal is long enough
    /// to compare.
    against_sequential: Option<f64>,
    /// Paintings on the busiest lane, one after another.
    rounds: usize,
    /// Whether some lanes have a painting more than others.
    uneven: bool,
    /// ` 3 painters share 2 cores: …`, where they do.
    shared: String,
}

impl<'a> Shape<'a> {
    #[allow(clippy::cast_precision_loss)]
    fn of(run: &'a RunReport, workload: &Workload, calibration: &Calibration) -> Self {
        let n = workload.paintings;
        let coats = workload.coats;
        let paint = calibration.paint().as_secs_f64();
        let dry = workload.dry().as_secs_f64();
        let units = f64::from(n * coats);
        let (total_paint, total_dry) = (units * paint, units * dry);
        let painted = total_paint > 0.0;
        let (w, c) = (run.lanes, run.core_count);
        let who = if run.mode == Mode::Threads { "threads" } else { "painters" };
        // The prediction (no overhead, the calibrated stroke) against
        // sequential's, which is every painting and drying end to end: both
        // from the same numbers, so that the ratio is the model's and not the
        // machine's.
        let against_sequential = if run.predicted_s >= MEANINGFUL_IDEAL_S {
            Some((total_paint + total_dry) / run.predicted_s)
        } else {
            None
        };
        let shared = if w > c && painted {
            format!(
                " {w} {who} share {c} {}: painting cannot go faster than {c}×.",
                if c == 1 { "core" } else { "cores" }
            )
        } else {
            String::new()
        };
        Self {
            run,
            n,
            coats,
            paint,
            dry,
            total_paint,
            total_dry,
            painted,
            dried: total_dry > 0.0,
            w,
            c,
            per: if coats == 1 { String::new() } else { format!(" × {coats} coats") },
            who,
            on_cores: if c == 1 { "on 1 core".to_owned() } else { format!("on {c} cores") },
            against_sequential,
            rounds: (n as usize).div_ceil(w.max(1)),
            uneven: w < n as usize && !(n as usize).is_multiple_of(w.max(1)),
            shared,
        }
    }

    /// The first sentences: how the mode ran the work.
    fn how(&self) -> String {
        match self.run.mode {
            Mode::Sequential => self.sequential(),
            Mode::Async => self.concurrent(),
            Mode::Parallel | Mode::Hybrid | Mode::Threads if self.w == 1 => self.alone(),
            Mode::Parallel => self.parallel(),
            Mode::Hybrid => self.hybrid(),
            Mode::Threads => self.threads(),
        }
    }

    /// Blocking lanes paint and dry each painting in turn, so the rounds
    /// bound the whole run.
    fn blocking_bound(&self) -> String {
        let Self { n, w, who, rounds, .. } = *self;
        let mut why = String::new();
        if self.uneven
            && let Some(x) = self.against_sequential
        {
            why += &format!(
                " {n} paintings on {w} {who}: one of them does {rounds}, one after the other, so even with no overhead this is only {x:.2}× as fast as sequential, not {w}×."
            );
        }
        why + &self.shared
    }

    fn sequential(&self) -> String {
        let Self { n, ref per, total_paint, total_dry, .. } = *self;
        let (paint, dry) = alike(self.paint, self.dry);
        let each = if self.dried {
            format!("({paint} painting + {dry} drying)")
        } else {
            format!("{paint} painting, with nothing to dry")
        };
        format!(
            "One painter, one thing at a time: {n} paintings{per} × {each} = {} end to end; nothing overlapped.",
            secs(total_paint + total_dry)
        )
    }

    fn concurrent(&self) -> String {
        let Self { run, total_paint, total_dry, painted, dried, .. } = *self;
        match () {
            () if painted && dried => format!(
                "One process on one core: each painting dried while the next was painted, so of the {} of drying only {} shows; the {} of painting did not shrink — one CPU paints one stroke at a time.",
                secs(total_dry),
                secs((run.ideal_s - total_paint).max(0.0)),
                secs(total_paint)
            ),
            () if dried => format!(
                "One process with nothing to paint: its paintings dried at the same time, so the {} of drying took {} — waiting needs no CPU, and one process can wait for many things at once.",
                secs(total_dry),
                secs(run.ideal_s)
            ),
            () if painted => format!(
                "One process on one core with nothing to wait for: concurrency cannot speed up {} of pure CPU work.",
                secs(total_paint)
            ),
            () => "One process on one core, with nothing to paint or wait for.".to_owned(),
        }
    }

    /// One painter or thread alone: nothing ran at the same time as it.
    fn alone(&self) -> String {
        let Self { run, painted, dried, ref on_cores, .. } = *self;
        let who = match run.mode {
            Mode::Threads => "One process with 1 thread",
            Mode::Hybrid => "1 async painter",
            _ => "1 painter process",
        };
        let how = match (painted, dried, run.mode) {
            (true, true, Mode::Hybrid) => {
                " painted while its paintings dried, hiding drying behind painting, as async does"
            }
            (true, true, _) => " painted its paintings one after another, idle while each dried",
            (true, false, _) => " painted its paintings one after another",
            (false, true, Mode::Hybrid) => ", with nothing to paint, let its paintings dry at the same time",
            (false, true, _) => ", with nothing to paint, waited for each painting to dry in turn",
            (false, false, _) => "",
        };
        if how.is_empty() {
            format!("{who} {on_cores}, with nothing to paint or wait for.")
        } else {
            format!("{who} {on_cores}{how}: with one lane, nothing runs in parallel.")
        }
    }

    /// Painters sharing a core took turns on it: only on different cores
    /// did they paint at the same time.
    fn parallel(&self) -> String {
        let Self { w, c, painted, dried, ref on_cores, .. } = *self;
        let idle = if dried { ", each idle while its own paintings dried" } else { "" };
        match () {
            () if painted && c == 1 => format!(
                "{w} painter processes {on_cores} took turns on it: the operating system switched between them (concurrency, not parallelism), so only one of them painted at any moment{idle}.{}",
                self.blocking_bound()
            ),
            () if painted && w > c => format!(
                "{w} painter processes {on_cores}: painters on different cores painted at the same time, and those sharing a core took turns on it{idle}.{}",
                self.blocking_bound()
            ),
            () if painted => {
                format!("{w} painter processes {on_cores} painted at the same time{idle}.{}", self.blocking_bound())
            }
            () => format!(
                "{w} painter processes with nothing to paint{}.{}",
                if dried {
                    ", each waiting for its own paintings to dry, at the same time as the others"
                } else {
                    " or wait for"
                },
                self.blocking_bound()
            ),
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn hybrid(&self) -> String {
        let Self { run, n, coats, paint, total_paint, total_dry, painted, dried, w, c, rounds, ref on_cores, .. } =
            *self;
        if !painted {
            return if dried {
                format!(
                    "{w} async painters with nothing to paint: every painting dried at the same time as the others, so the {} of drying took {}.",
                    secs(total_dry),
                    secs(run.ideal_s)
                )
            } else {
                format!("{w} async painters, with nothing to paint or wait for.")
            };
        }
        let mut text =
            format!("{w} async painters {on_cores}: parallelism divided the {} of painting", secs(total_paint));
        text += &if dried {
            // What shows of the drying in the ideal run: the time the
            // painter with the most to paint spent not painting. Where
            // painters share cores, that time is also their turns.
            let busiest = rounds as f64 * f64::from(coats) * paint;
            if w <= c {
                format!(
                    ", and each painted while its paintings dried, hiding drying behind painting: of the {} of drying only {} shows.",
                    secs(total_dry),
                    secs((run.ideal_s - busiest).max(0.0))
                )
            } else {
                ", and each painted while its paintings dried, hiding drying behind painting.".to_owned()
            }
        } else {
            "; with nothing to dry, async adds nothing here.".to_owned()
        };
        if self.uneven {
            text += &format!(
                " {n} paintings on {w} painters: one of them paints {rounds}, so painting alone is at most {:.2}× as fast as on one painter, not {w}×",
                f64::from(n) / rounds as f64
            );
            text += &match self.against_sequential {
                Some(x) if dried => {
                    format!(
                        "; with the drying hidden as well, with no overhead the run is {x:.2}× as fast as sequential."
                    )
                }
                _ => ".".to_owned(),
            };
        }
        text + &self.shared
    }

    fn threads(&self) -> String {
        let Self { w, c, painted, dried, ref on_cores, .. } = *self;
        match () {
            () if painted && c == 1 => format!(
                "One process with {w} threads {on_cores}: its threads took turns on it (concurrency, not parallelism), so `top` shows this one painter at up to 100% CPU.{}",
                self.blocking_bound()
            ),
            () if painted => format!(
                "One process with {w} threads {on_cores}: Rust threads on different cores run in parallel, so `top` shows this one painter at up to {}% CPU.{}",
                w.min(c.max(1)) * 100,
                self.blocking_bound()
            ),
            () => format!(
                "One process with {w} threads and nothing to paint{}.{}",
                if dried {
                    ": each thread waited for its own paintings to dry, at the same time as the others"
                } else {
                    " or wait for"
                },
                self.blocking_bound()
            ),
        }
    }
}

/// With `--hosts`, what each host cost: its launcher's start-up, its round
/// trip, and its paintings' way home.
fn network(run: &RunReport) -> String {
    let Some(hosts) = &run.network else { return String::new() };
    let said: Vec<String> = hosts
        .iter()
        .map(|h| {
            let started = match h.painters {
                1 => format!("1 painter started in {}", fine(h.startup_s)),
                n => format!("{n} painters started in {} in all", fine(h.startup_s)),
            };
            let mut words = if h.launcher == "local" {
                format!("this machine: {started}")
            } else {
                format!("{} over {}: {started}", h.host, h.launcher)
            };
            if let Some(round_trip) = h.round_trip_s {
                words += &format!(", round trip {}", fine(round_trip));
            }
            if h.paintings > 0 {
                words += &format!(
                    ", {} {} came home in {} in all (longest {})",
                    h.paintings,
                    if h.paintings == 1 { "painting" } else { "paintings" },
                    fine(h.homecoming_s),
                    fine(h.homecoming_max_s)
                );
            }
            words
        })
        .collect();
    if said.is_empty() { String::new() } else { format!(" By host: {}.", said.join("; ")) }
}

/// The two or three largest causes of `wall_s − predicted_s`, in words.
fn causes(run: &RunReport, facts: &Facts, cpu: &CpuUse) -> String {
    let gap = run.gap;
    let mut causes = [
        (gap.paint_speed_s, Cause::PaintSpeed),
        (gap.contention_s, Cause::Contention),
        (gap.drying_s, Cause::Drying),
        (gap.saving_s, Cause::Saving),
        (gap.startup_s, Cause::Startup),
        (gap.network_s, Cause::Network),
        (gap.unexplained_s, Cause::Unexplained),
    ];
    causes.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let floor = super::gap::floor(run.wall_s);
    let listed: Vec<&(f64, Cause)> = causes.iter().filter(|(s, _)| s.abs() >= floor).collect();
    let mut said: Vec<String> = listed.iter().map(|&&(s, cause)| cause.say(s, run, facts, cpu)).collect();
    let difference = run.wall_s - run.predicted_s;
    // The causes told add up to the gap: what the small ones left over
    // make is said when it is over 1% of the wall time.
    let rest = difference - listed.iter().map(|(s, _)| s).sum::<f64>();
    if !said.is_empty() && rest.abs() > super::gap::NEGLIGIBLE_SHARE * run.wall_s {
        let rest = if rest >= 0.0 { format!("+{}", secs(rest)) } else { format!("−{}", secs(-rest)) };
        said.push(format!(
            "smaller causes, each under {} (the larger of 1% of the run and 2ms), together ({rest})",
            fine(floor)
        ));
    }
    let lead = if difference >= 0.0 {
        format!("The {} beyond the prediction", secs(difference))
    } else {
        format!("The {} under the prediction", secs(-difference))
    };
    match said.as_slice() {
        [] => format!(" {lead} is within what clocks and schedulers blur; no cause stands out."),
        [only] => format!(" {lead}, one cause: {only}."),
        [first, rest @ ..] => format!(" {lead}, largest cause first: {first}; {}.", rest.join("; ")),
    }
}

/// The causes of the gap, as `gap.rs` computes them.
#[derive(Debug, Clone, Copy)]
enum Cause {
    PaintSpeed,
    Contention,
    Drying,
    Saving,
    Startup,
    Network,
    Unexplained,
}

/// What a negative share of a cause that can only cost time means: the
/// model, with that delay, happened to share the paintings out better.
const REORDERED: &str = ", which in the model happened to share the paintings out better";

impl Cause {
    /// This cause's share `s` of the wall time, in words.
    fn say(self, s: f64, run: &RunReport, facts: &Facts, cpu: &CpuUse) -> String {
        let added = if s >= 0.0 { format!("+{}", secs(s)) } else { format!("−{}", secs(-s)) };
        match self {
            Self::PaintSpeed => format!(
                "painting used {} CPU than calibrated: a stroke cost {} than when it was measured ({added})",
                if s >= 0.0 { "more" } else { "less" },
                if s >= 0.0 { "more" } else { "less" }
            ),
            Self::Contention => contention(run, facts, cpu, s, &added),
            Self::Drying => format!(
                "the waits for drying lasted {} in all, {} asked{} ({added})",
                secs(facts.dried_s),
                if facts.dried_s >= facts.asked_dry_s {
                    format!("{} more than the {}", fine(facts.dried_s - facts.asked_dry_s), secs(facts.asked_dry_s))
                } else {
                    format!("{} less than the {}", fine(facts.asked_dry_s - facts.dried_s), secs(facts.asked_dry_s))
                },
                match (s >= 0.0, facts.dried_s >= facts.asked_dry_s) {
                    (true, true) => ": their threads woke late, or noticed a coat dry between strokes",
                    (true, false) => ", which in the model happened to share the paintings out worse",
                    (false, true) => REORDERED,
                    (false, false) => "",
                }
            ),
            Self::Saving => format!(
                "saving {} {} (colours, checksum, PNG, file) took {}{} ({added})",
                thousands(facts.pictures),
                if facts.pictures == 1 { "picture" } else { "pictures" },
                secs(facts.saving_s),
                if s < 0.0 { REORDERED } else { "" }
            ),
            Self::Startup => {
                let words = startup_words(facts);
                let words = if words.is_empty() { "starting the painters".to_owned() } else { words };
                format!("{words}{} ({added})", if s < 0.0 { REORDERED } else { "" })
            }
            Self::Network => {
                let (paintings, took) =
                    facts.homecomings.iter().flatten().fold((0usize, 0.0), |(n, total), &t| (n + 1, total + t));
                let home = format!(
                    "{} {} from other hosts took {} in all on their way home",
                    thousands(paintings),
                    if paintings == 1 { "painting" } else { "paintings" },
                    fine(took),
                );
                // Host by host, what starting there cost beyond a local spawn.
                let beyond: Vec<String> = run
                    .network
                    .iter()
                    .flatten()
                    .filter(|h| h.beyond_local_s > 0.0)
                    .map(|h| format!("{} {}", h.host, fine(h.beyond_local_s)))
                    .collect();
                let words = if beyond.is_empty() {
                    home
                } else {
                    format!("starting painters on other hosts took more than here ({}), and {home}", beyond.join(", "))
                };
                format!("{words}{} ({added})", if s < 0.0 { REORDERED } else { "" })
            }
            Self::Unexplained if s >= 0.0 && !run.failures.is_empty() => format!(
                "the run's {} {} and what was painted again, and the machinery itself{} ({added})",
                run.failures.len(),
                if run.failures.len() == 1 { "failure" } else { "failures" },
                coordinator_waited(run)
            ),
            Self::Unexplained if s >= 0.0 => format!(
                "the machinery itself: messages, wake-ups, the coordinator's own work{} ({added})",
                coordinator_waited(run)
            ),
            Self::Unexplained => format!("the run was quicker than the model of it ({added})"),
        }
    }
}

/// The coordinator's own wait for a CPU, when it is worth saying.
fn coordinator_waited(run: &RunReport) -> String {
    let waited = run.coordinator_run_delay_s;
    if waited >= super::gap::floor(run.wall_s) {
        format!(", the coordinator's thread having waited {} for a CPU", secs(waited))
    } else {
        String::new()
    }
}

/// Who waited for a CPU, for which core, and who held it if the sampler
/// saw another program busy there; `s` is what the waits added to the
/// run (the model's sharing of cores taken out, where painters share
/// them).
fn contention(run: &RunReport, facts: &Facts, cpu: &CpuUse, s: f64, added: &str) -> String {
    // Where painters outnumber their cores, the prediction already has
    // them take turns evenly: what is told is the waiting beyond that.
    let shared = run.lanes > run.core_count;
    if s < 0.0 {
        return if shared {
            format!("painters waited for a core less than taking turns evenly would have made them ({added})")
        } else {
            format!("painters' waits for a core{REORDERED} ({added})")
        };
    }
    // A wait held up the run's end only where it delayed the painting
    // that ended it: waits elsewhere can be long and cost nothing. In all,
    // as the waits told below add up (from the threads' states), where
    // they are told; else as the painters timed them while painting.
    let waited: f64 = if run.cores.is_empty() { facts.waited_s.iter().sum() } else { super::waits::total_s(run) };
    let only = if waited > s + super::gap::floor(run.wall_s) {
        format!("; of {} of waiting in all, only what held up the painting that ended the run adds time", secs(waited))
    } else {
        String::new()
    };
    let beyond = if shared { " longer than taking turns evenly would have made them" } else { "" };
    // With the threads' states, every wait and who held the core is told
    // after the causes, sibling or other program, each on its own.
    if !run.cores.is_empty() {
        return format!("painters waited for a core{beyond}, each wait told below{only} ({added})");
    }
    let most = facts.waited_s.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((index, waited_s)) = most.filter(|&(_, w)| w > 0.0) else {
        return format!("painters waited for a core{beyond}{only} ({added})");
    };
    let Some(painter) = run.painters.get(index) else {
        return format!("painters waited {} for a core{beyond}{only} ({added})", secs(waited_s));
    };
    let label = format!("{}{}", painter.host_prefix(), crate::mode::painter_name(painter.id));
    // The sampler looks at this machine's processes: on another host's
    // core it cannot say who else was there.
    let holder = painter.core.filter(|_| !painter.remote).and_then(|core| cpu.others.iter().find(|o| o.core == core));
    let on = if painter.remote { format!(" of {}", painter.host) } else { String::new() };
    let said = match (painter.core, holder) {
        (Some(core), Some(other)) => format!(
            "{label} waited {} for core {core}{beyond}, which {} was using",
            secs(waited_s),
            crate::report::cores::other_program(&other.name, other.pid)
        ),
        (Some(core), None) => {
            format!("{label} waited {} for core {core}{on}{beyond}, which other threads held", secs(waited_s))
        }
        (None, _) => format!("{label} waited {} for a CPU{beyond}", secs(waited_s)),
    };
    format!("{said}{only} ({added})")
}

/// `2000` as `2,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The start-up in words, for the explanation: how many painters, how
/// they were started, and how long it took.
#[must_use]
pub fn startup_words(facts: &Facts) -> String {
    let planned = facts.planned.min(facts.starts.len());
    let replacements = facts.starts.len() - planned;
    let groups = by_launcher(&facts.starts[..planned]);
    let handout = secs(facts.first_handout_s);
    let how = match gap::at_once(&facts.starts[..planned]) {
        k if k <= 1 => "one after another".to_owned(),
        k if k == planned => "all at once".to_owned(),
        k => format!("up to {k} at once"),
    };
    let mut words = match (planned, groups.as_slice()) {
        (0, _) => String::new(),
        (1, [(launcher, _)]) => {
            format!("starting the painter{launcher} took {handout} before the first painting was handed out")
        }
        (n, [(launcher, times)]) => format!(
            "starting {n} painters{launcher}, {how}, took {handout} before the first painting was handed out ({} each)",
            range(times)
        ),
        (n, groups) => {
            let each: Vec<String> = groups
                .iter()
                .map(|(how, times)| match times.len() {
                    1 => format!("1{how}, {}", range(times)),
                    k => format!("{k}{how}, {} each", range(times)),
                })
                .collect();
            format!(
                "starting {n} painters, {how}, took {handout} before the first painting was handed out ({})",
                each.join("; ")
            )
        }
    };
    if replacements > 0 {
        let took: f64 = facts.starts[planned..].iter().map(crate::pool::Start::took_s).sum();
        let what = if replacements == 1 {
            format!("a replacement painter's start took {}, while nothing was handed out", secs(took))
        } else {
            format!(
                "{replacements} replacement painters' starts took {} in all, while nothing was handed out",
                secs(took)
            )
        };
        words = if words.is_empty() { what } else { format!("{words}, and {what}") };
    }
    words
}

/// `starts` by how they were started, in order of first appearance: ` over
/// ssh` (or nothing, on this machine) and the time each took.
fn by_launcher(starts: &[crate::pool::Start]) -> Vec<(String, Vec<f64>)> {
    let mut by: Vec<(String, Vec<f64>)> = Vec::new();
    for start in starts {
        let how = if start.remote.is_some() { format!(" over {}", start.launcher) } else { " here".to_owned() };
        match by.iter_mut().find(|(h, _)| *h == how) {
            Some((_, times)) => times.push(start.took_s()),
            None => by.push((how, vec![start.took_s()])),
        }
    }
    // Painters on this machine alone need no word on how they were started.
    if let [(how, _)] = by.as_mut_slice()
        && how == " here"
    {
        how.clear();
    }
    by
}

/// Times as a range, `0.29–0.33s`, or one time when they round alike.
fn range(times: &[f64]) -> String {
    let (low, high) = times.iter().fold((f64::MAX, 0.0_f64), |(l, h), &t| (l.min(t), h.max(t)));
    if times.is_empty() || secs(low) == secs(high) {
        secs(high)
    } else {
        format!("{}–{}", secs(low).trim_end_matches('s'), secs(high))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::os::sampler::Other;
    use crate::pool::Start;
    use crate::report::gap::Gap;

    /// The sentence for a run with no facts gathered and no other program seen.
    fn say(run: &RunReport, workload: &Workload, calibration: &Calibration) -> String {
        sentence(run, workload, calibration, &Facts::default(), &CpuUse::default())
    }

    fn workload(paintings: u32, paint_ms: u64, dry_ms: u64) -> Workload {
        Workload {
            paintings,
            paint: Duration::from_millis(paint_ms),
            file_wait: Duration::from_millis(dry_ms / 2),
            net_wait: Duration::from_millis(dry_ms / 2),
            workers: 2,
            cores: Some(vec![0, 1]),
            ..crate::report::sample::sample_workload()
        }
    }

    fn run(mode: Mode, lanes: usize, cores: usize, wall_s: f64, ideal_s: f64) -> RunReport {
        RunReport {
            mode,
            processes: lanes,
            lanes,
            core_count: cores,
            cores: Vec::new(),
            state_source: None,
            wall_s,
            predicted_s: ideal_s,
            ideal_s,
            efficiency: ideal_s / wall_s,
            gap: Gap { unexplained_s: wall_s - ideal_s, ..Gap::default() },
            speedup: None,
            cpu_s: 0.0,
            startup_s: 0.0,
            network: None,
            painters: Vec::new(),
            paintings: Vec::new(),
            timeline: crate::report::lanes::Lanes::default(),
            ideal_segments: Vec::new(),
            chunk: 1,
            chunk_guided: false,
            explanation: String::new(),
            failures: Vec::new(),
            lost: Vec::new(),
            coordinator_cpu_s: 0.0,
            coordinator_run_delay_s: 0.0,
            coordinator_main: None,
            coordinator_cpu_samples: Vec::new(),
        }
    }

    /// 400 ms of painting: 4000 strokes of 100 µs.
    const CALIBRATION: Calibration = Calibration { stroke_ns: 100_000.0, strokes: 4000, core: Some(0) };

    #[test]
    fn parallel_says_why_three_paintings_on_two_cores_are_not_3x() {
        let text = say(&run(Mode::Parallel, 2, 2, 2.45, 2.4), &workload(3, 400, 800), &CALIBRATION);
        assert!(text.contains("one of them does 2") && text.contains("1.50×") && text.contains("not 2×"), "{text}");
        assert!(text.contains("(98.0%)"), "{text}");
    }

    #[test]
    fn async_says_how_much_drying_still_shows() {
        let text = say(&run(Mode::Async, 1, 1, 2.0, 2.0), &workload(3, 400, 800), &CALIBRATION);
        assert!(text.contains("of the 2.40s of drying only 0.80s shows"), "{text}");
        assert!(text.contains("the 1.20s of painting did not shrink"), "{text}");
    }

    #[test]
    fn more_lanes_than_cores_is_said() {
        let text = say(&run(Mode::Parallel, 3, 2, 2.1, 2.0), &workload(3, 400, 0), &CALIBRATION);
        assert!(text.contains("3 painters share 2 cores") && !text.contains("dried"), "{text}");
    }

    #[test]
    fn overhead_and_an_unmeasurable_ideal_are_said() {
        let slow = say(&run(Mode::Sequential, 1, 1, 4.0, 3.0), &workload(1, 400, 0), &CALIBRATION);
        assert!(slow.contains("The 1.00s beyond the prediction, one cause: the machinery itself"), "{slow}");
        let zero = Calibration { stroke_ns: 0.0, strokes: 0, core: None };
        let instant = say(&run(Mode::Hybrid, 2, 2, 0.01, 0.0), &workload(3, 0, 0), &zero);
        assert!(instant.contains("all of it is overhead"), "{instant}");
        assert_eq!(efficiency(&run(Mode::Hybrid, 2, 2, 0.01, 0.0)), "n/a");
    }

    #[test]
    fn more_threads_than_cores_promise_no_more_cpu_than_the_cores() {
        let text = say(&run(Mode::Threads, 4, 2, 1.3, 1.2), &workload(4, 400, 800), &CALIBRATION);
        assert!(text.contains("up to 200% CPU") && !text.contains("400%"), "{text}");
        assert!(text.contains("4 threads share 2 cores"), "{text}");
    }

    #[test]
    fn with_nothing_to_paint_nothing_is_said_of_painting() {
        let zero = Calibration { stroke_ns: 0.0, strokes: 0, core: None };
        for mode in Mode::ALL {
            let lanes = if matches!(mode, Mode::Sequential | Mode::Async) { 1 } else { 2 };
            let text = say(&run(mode, lanes, lanes, 0.9, 0.8), &workload(3, 0, 800), &zero);
            for painting_claim in
                ["stroke", "% CPU", "one CPU", "painted at the same time", "divided", "cannot go faster"]
            {
                assert!(!text.contains(painting_claim), "{mode:?}: {text}");
            }
        }
        let text = say(&run(Mode::Async, 1, 1, 0.85, 0.8), &workload(3, 0, 800), &zero);
        assert!(text.contains("the 2.40s of drying took 0.80s"), "{text}");
    }

    #[test]
    fn hybrid_bounds_painting_alone_and_says_what_the_whole_run_can_reach() {
        // Painting: 2 rounds of 0.4 s; the ideal ends at 1.6 s against a sequential 3.6 s.
        let text = say(&run(Mode::Hybrid, 2, 2, 1.65, 1.6), &workload(3, 400, 800), &CALIBRATION);
        assert!(text.contains("painting alone is at most 1.50× as fast as on one painter"), "{text}");
        assert!(text.contains("with no overhead the run is 2.25× as fast as sequential"), "{text}");
        // What was hidden is what the drying did not add: 2.40s of it, 0.80s at the end.
        assert!(text.contains("hiding drying behind painting: of the 2.40s of drying only 0.80s shows."), "{text}");
        // Nothing to dry: no drying in the words, and one unit for the rest.
        let text = say(&run(Mode::Sequential, 1, 1, 1.25, 1.2), &workload(3, 400, 0), &CALIBRATION);
        assert!(text.contains("3 paintings × 0.40s painting, with nothing to dry = 1.20s"), "{text}");
        assert!(!text.contains("ms"), "{text}");
        assert_eq!(alike(0.4, 0.0005), ("0.40s".to_owned(), "0.00s".to_owned()));
    }

    #[test]
    fn the_largest_causes_are_said_with_their_numbers() {
        let mut contended = run(Mode::Parallel, 2, 2, 1.0, 0.6);
        contended.predicted_s = 0.55;
        contended.gap = Gap { paint_speed_s: 0.05, contention_s: 0.38, unexplained_s: 0.02, ..Gap::default() };
        let mut painter = crate::report::sample::sample_run().painters.remove(0);
        painter.id = 1;
        painter.core = Some(1);
        contended.painters = vec![painter.clone(), painter];
        let facts = Facts { waited_s: vec![0.0, 0.46], ..Facts::default() };
        let cpu =
            CpuUse { others: vec![Other { core: 1, name: "busy".into(), pid: 4242, cpu_s: 1.0 }], ..CpuUse::default() };
        let text = sentence(&contended, &workload(3, 300, 0), &CALIBRATION, &facts, &cpu);
        assert!(
            text.contains("The 0.45s beyond the prediction, largest cause first: painter-1 waited 0.46s for core 1, which another program (busy, pid 4242) was using; of 0.46s of waiting in all, only what held up the painting that ended the run adds time (+0.38s); painting used more CPU"),
            "{text}"
        );
        assert!(text.contains("(+0.02s)."), "the third cause is said too: {text}");

        let mut saving = run(Mode::Sequential, 1, 1, 4.0, 2.0);
        saving.gap = Gap { saving_s: 1.9, unexplained_s: 0.1, ..Gap::default() };
        let facts = Facts { pictures: 2000, saving_s: 1.95, ..Facts::default() };
        let text = sentence(&saving, &workload(2000, 1, 0), &CALIBRATION, &facts, &CpuUse::default());
        assert!(
            text.contains(
                "largest cause first: saving 2,000 pictures (colours, checksum, PNG, file) took 1.95s (+1.90s)"
            ),
            "{text}"
        );
    }

    #[test]
    fn long_waits_that_cost_little_are_explained_and_turns_are_not_jargon() {
        // Three painters taking turns on core 0, whose waits are told after
        // the causes: 1.80 s of waiting, 0.30 s of it beyond even turns.
        let mut turns = crate::report::sample::three_taking_turns();
        (turns.predicted_s, turns.wall_s) = (0.9, 1.2);
        turns.gap = Gap { contention_s: 0.3, ..Gap::default() };
        let facts = Facts { waited_s: vec![0.6, 0.6, 0.6], ..Facts::default() };
        let text = sentence(&turns, &workload(3, 300, 0), &CALIBRATION, &facts, &CpuUse::default());
        assert!(
            text.contains("one cause: painters waited for a core longer than taking turns evenly would have made them, each wait told below; of 1.80s of waiting in all, only what held up the painting that ended the run adds time (+0.30s)."),
            "{text}"
        );
        assert!(!text.contains("model's even sharing"), "{text}");
        // One painter alone on its core: no turns to speak of.
        let mut alone = run(Mode::Sequential, 1, 1, 1.3, 1.2);
        alone.cores = turns.cores.clone();
        alone.predicted_s = 1.2;
        alone.gap = Gap { contention_s: 0.1, ..Gap::default() };
        let facts = Facts { waited_s: vec![0.1], ..Facts::default() };
        let text = sentence(&alone, &workload(3, 400, 0), &CALIBRATION, &facts, &CpuUse::default());
        assert!(text.contains("one cause: painters waited for a core, each wait told below (+0.10s)."), "{text}");
    }

    /// A run of `mode` with these gap shares, explained with `facts`.
    fn explain_gap(mode: Mode, lanes: usize, gap: Gap, facts: &Facts) -> String {
        let mut run = run(mode, lanes, lanes, 1.0, 0.6);
        run.gap = gap;
        run.predicted_s = 1.0
            - (gap.paint_speed_s + gap.contention_s + gap.drying_s + gap.saving_s + gap.startup_s)
            - gap.network_s
            - gap.unexplained_s;
        sentence(&run, &workload(3, 200, 0), &CALIBRATION, facts, &CpuUse::default())
    }

    fn start(spawned_ms: u64, ready_ms: u64, remote: Option<&str>) -> Start {
        Start {
            local_s: None,
            spawned_ns: spawned_ms * 1_000_000,
            ready_ns: ready_ms * 1_000_000,
            remote: remote.map(str::to_owned),
            launcher: if remote.is_some() { "ssh" } else { "local" }.to_owned(),
            round_trip_s: remote.map(|_| 0.0004),
        }
    }

    fn startup_facts(starts: Vec<Start>, planned: usize, first_handout_s: f64) -> Facts {
        Facts { starts, planned, first_handout_s, ..Facts::default() }
    }

    #[test]
    fn the_start_up_is_said_for_one_painter_for_many_and_for_a_replacement() {
        let gap = Gap { startup_s: 0.3, ..Gap::default() };
        let one = explain_gap(Mode::Sequential, 1, gap, &startup_facts(vec![start(0, 300, None)], 1, 0.3));
        assert!(
            one.contains(
                "one cause: starting the painter took 0.30s before the first painting was handed out (+0.30s)."
            ),
            "{one}"
        );
        let two = startup_facts(vec![start(0, 300, Some("h1")), start(300, 620, Some("h2"))], 2, 0.62);
        let text = explain_gap(Mode::Parallel, 2, Gap { startup_s: 0.62, ..Gap::default() }, &two);
        assert!(
            text.contains("starting 2 painters over ssh, one after another, took 0.62s before the first painting was handed out (0.30–0.32s each) (+0.62s)"),
            "{text}"
        );
        // A replacement, started while the run went on, and failures.
        let replaced = startup_facts(vec![start(0, 5, None), start(900, 1400, None)], 1, 0.005);
        let mut run = run(Mode::Sequential, 1, 1, 2.0, 1.0);
        run.gap = Gap { startup_s: 0.5, unexplained_s: 0.3, ..Gap::default() };
        run.predicted_s = 1.2;
        run.failures = vec![crate::dispatch::Failure {
            kind: crate::dispatch::FailureKind::Killed { signal: 9 },
            what: "painter-0 (pid 1) was killed by SIGKILL".into(),
            held: vec![2],
            retried: vec![2],
        }];
        let text = sentence(&run, &workload(3, 200, 0), &CALIBRATION, &replaced, &CpuUse::default());
        assert!(
            text.contains("largest cause first: starting the painter took 0.01s before the first painting was handed out, and a replacement painter's start took 0.50s, while nothing was handed out (+0.50s); the run's 1 failure and what was painted again"),
            "{text}"
        );
    }

    #[test]
    fn a_cause_that_can_only_cost_time_is_said_truly_when_its_share_is_negative() {
        // The model, given a delay, may share the paintings out better: the
        // delay was real, the saving was the model's order.
        let facts = startup_facts(vec![start(0, 100, None), start(100, 200, None)], 2, 0.2);
        let gap = Gap { startup_s: -0.05, saving_s: -0.04, contention_s: -0.03, ..Gap::default() };
        let text = explain_gap(Mode::Parallel, 2, gap, &facts);
        assert!(
            text.contains("starting 2 painters, one after another, took 0.20s before the first painting was handed out (0.10s each), which in the model happened to share the paintings out better (−0.05s)"),
            "{text}"
        );
        // Painters here and over ssh, in one run.
        let mixed =
            startup_facts(vec![start(0, 3, None), start(3, 300, Some("h1")), start(300, 640, Some("h1"))], 3, 0.64);
        assert!(
            startup_words(&mixed).starts_with("starting 3 painters, one after another, took 0.64s before the first painting was handed out (1 here, 0.00s; 2 over ssh, 0.30–0.34s each)"),
            "{}",
            startup_words(&mixed)
        );
        assert!(
            text.contains("took 0.00s, which in the model happened to share the paintings out better (−0.04s)"),
            "{text}"
        );
        assert!(
            text.contains(
                "painters' waits for a core, which in the model happened to share the paintings out better (−0.03s)"
            ),
            "{text}"
        );
        assert!(text.contains("The 0.12s under the prediction"), "{text}");
        // Less CPU than calibrated.
        let text = explain_gap(Mode::Sequential, 1, Gap { paint_speed_s: -0.1, ..Gap::default() }, &Facts::default());
        assert!(
            text.contains(
                "painting used less CPU than calibrated: a stroke cost less than when it was measured (−0.10s)"
            ),
            "{text}"
        );
    }

    #[test]
    fn drying_that_lasted_longer_than_asked_is_said_with_both_figures() {
        let late = Facts { asked_dry_s: 2.4, dried_s: 3.9, ..Facts::default() };
        let text = explain_gap(Mode::Threads, 2, Gap { drying_s: 1.1, ..Gap::default() }, &late);
        assert!(
            text.contains("one cause: the waits for drying lasted 3.90s in all, 1.50s more than the 2.40s asked: their threads woke late, or noticed a coat dry between strokes (+1.10s)."),
            "{text}"
        );
        // A late wait the model could put to use, and shorter waits.
        let text = explain_gap(Mode::Threads, 2, Gap { drying_s: -0.1, ..Gap::default() }, &late);
        assert!(text.contains("1.50s more than the 2.40s asked, which in the model happened to share the paintings out better (−0.10s)"), "{text}");
        let early = Facts { asked_dry_s: 2.4, dried_s: 2.395, ..Facts::default() };
        let text = explain_gap(Mode::Threads, 2, Gap { drying_s: -0.1, ..Gap::default() }, &early);
        assert!(text.contains("lasted 2.40s in all, 5.0ms less than the 2.40s asked (−0.10s)"), "{text}");
        let text = explain_gap(Mode::Threads, 2, Gap { drying_s: 0.1, ..Gap::default() }, &early);
        assert!(
            text.contains(
                "less than the 2.40s asked, which in the model happened to share the paintings out worse (+0.10s)"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_coat_of_a_millisecond_is_not_said_to_take_no_time() {
        let short = Calibration { stroke_ns: 100_000.0, strokes: 10, core: Some(0) };
        let text = say(&run(Mode::Sequential, 1, 1, 8.5, 2.0), &workload(2000, 1, 0), &short);
        assert!(
            text.starts_with(
                "One painter, one thing at a time: 2000 paintings × 1.0ms painting, with nothing to dry = 2.00s end to end"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_coordinators_own_wait_for_a_cpu_is_said_with_the_machinery() {
        let mut run = run(Mode::Sequential, 1, 1, 8.0, 6.4);
        run.coordinator_run_delay_s = 0.9;
        let text = say(&run, &workload(3, 400, 0), &CALIBRATION);
        assert!(
            text.contains("one cause: the machinery itself: messages, wake-ups, the coordinator's own work, the coordinator's thread having waited 0.90s for a CPU (+1.60s)."),
            "{text}"
        );
        run.coordinator_run_delay_s = 0.001;
        assert!(!say(&run, &workload(3, 400, 0), &CALIBRATION).contains("having waited"));
    }

    #[test]
    fn causes_too_small_to_tell_are_not_said() {
        let text = explain_gap(
            Mode::Hybrid,
            2,
            Gap { startup_s: 0.001, unexplained_s: 0.0005, ..Gap::default() },
            &Facts::default(),
        );
        assert!(text.contains("no cause stands out") && !text.contains("starting"), "{text}");
    }

    #[test]
    fn with_hosts_the_network_is_said_host_by_host() {
        let facts = Facts {
            homecomings: vec![vec![0.004, 0.006], vec![0.01]],
            ..startup_facts(vec![start(0, 300, Some("h1")), start(300, 640, Some("h2"))], 2, 0.64)
        };
        let gap = Gap { startup_s: 0.64, network_s: 0.02, ..Gap::default() };
        let mut run = run(Mode::Parallel, 2, 2, 2.0, 1.0);
        run.gap = gap;
        run.predicted_s = 2.0 - 0.66;
        run.network = Some(facts.by_host(&gap));
        let text = sentence(&run, &workload(3, 200, 0), &CALIBRATION, &facts, &CpuUse::default());
        assert!(text.contains("; 3 paintings from other hosts took 20ms in all on their way home (+0.02s)."), "{text}");
        assert!(
            text.ends_with(" By host: h1 over ssh: 1 painter started in 0.30s, round trip 0.4ms, 2 paintings came home in 10ms in all (longest 6.0ms); h2 over ssh: 1 painter started in 0.34s, round trip 0.4ms, 1 painting came home in 10ms in all (longest 10ms)."),
            "{text}"
        );
        // A remote painter's wait for its core: this machine's programs are
        // not named for another host's core.
        let mut painter = crate::report::sample::sample_run().painters.remove(0);
        (painter.remote, painter.host, painter.core) = (true, "h1".into(), Some(0));
        run.painters = vec![painter];
        run.gap = Gap { contention_s: 0.4, ..gap };
        let waited = Facts { waited_s: vec![0.46], ..facts.clone() };
        let cpu =
            CpuUse { others: vec![Other { core: 0, name: "busy".into(), pid: 4242, cpu_s: 1.0 }], ..CpuUse::default() };
        let text = sentence(&run, &workload(3, 200, 0), &CALIBRATION, &waited, &cpu);
        assert!(
            text.contains("h1/painter-0 waited 0.46s for core 0 of h1, which other threads held; of 0.46s of waiting in all, only what held up the painting that ended the run adds time (+0.40s)"),
            "{text}"
        );
        assert!(!text.contains("busy"), "{text}");
        // This machine among the hosts: no round trip, no way home.
        let local = startup_facts(vec![start(0, 3, None)], 1, 0.003);
        let mut run = run.clone();
        run.network = Some(local.by_host(&Gap::default()));
        let text = sentence(&run, &workload(3, 200, 0), &CALIBRATION, &local, &CpuUse::default());
        assert!(text.ends_with(" By host: this machine: 1 painter started in 3.0ms."), "{text}");
    }

    #[test]
    fn one_painter_alone_is_not_said_to_paint_at_the_same_time_as_others() {
        let zero = Calibration { stroke_ns: 0.0, strokes: 0, core: None };
        for mode in [Mode::Parallel, Mode::Hybrid, Mode::Threads] {
            for (calibration, dry_ms) in [(CALIBRATION, 800), (CALIBRATION, 0), (zero, 800), (zero, 0)] {
                let text = say(&run(mode, 1, 1, 2.0, 1.9), &workload(3, 400, dry_ms), &calibration);
                for claim in
                    ["at the same time as the others", "divided", "painters", "threads", "processes", "each painted"]
                {
                    assert!(!text.contains(claim), "{mode:?}, {dry_ms} ms: {text}");
                }
                assert!(text.starts_with("1 ") || text.starts_with("One process with 1 thread "), "{text}");
            }
        }
        let text = say(&run(Mode::Parallel, 1, 1, 2.0, 1.9), &workload(3, 400, 800), &CALIBRATION);
        assert!(text.starts_with("1 painter process on 1 core painted its paintings one after another, idle while each dried: with one lane, nothing runs in parallel."), "{text}");
    }
}
