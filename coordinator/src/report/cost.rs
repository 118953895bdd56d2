//! The cost of a task: what handing out and answering one painting cost a
//! run, beside the work the painting itself was.
//!
//! A painting of a few microseconds is a task so small that the machinery
//! around it — a message to the painter, messages back, the coordinator's
//! bookkeeping — is most of what happens. Chunks (`--chunk`) share that
//! cost among many paintings. Who then sets the pace is measured, not
//! assumed: the kernel's count of the coordinator's CPU time and of its
//! wait for a CPU, beside each painter's CPU time.
//! This module says both, with the run's own numbers, when the machinery
//! cost a painting more than its work.

use super::RunReport;
use crate::term::format::alike;
use crate::workload::Workload;

/// A sentence on the cost per painting, for a run whose machinery cost
/// more per painting than the painting's own work; `None` otherwise.
#[must_use]
pub fn sentence(run: &RunReport, workload: &Workload) -> Option<String> {
    let paintings = run.paintings.len();
    if paintings < 2 || run.wall_s <= 0.0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // a count of paintings
    let n = paintings as f64;
    // The machinery's share of the gap (`unexplained_s`: what is left once
    // the waits for a CPU, the drying, the saving, the start-up and the
    // network are accounted for), spread over the paintings: what each cost
    // besides its own work, on the run's critical path.
    let cost_us = run.gap.unexplained_s.max(0.0) / n * 1e6;
    // The work of one painting, as asked: its painting and its drying.
    let work_us = (workload.paint + workload.dry()).as_secs_f64() * f64::from(workload.coats) * 1e6;
    if cost_us <= work_us || cost_us < 0.05 {
        return None;
    }
    let how = if run.chunk <= 1 {
        "each handed out in a message of its own and answered in messages of its own (--chunk 1)".to_owned()
    } else if run.chunk_guided {
        format!("handed out in chunks of up to {} to a message, fewer as the queue emptied", run.chunk)
    } else {
        format!("handed out {} to a message and answered {} to a message (--chunk {})", run.chunk, run.chunk, run.chunk)
    };
    let lesson = if run.chunk <= 1 { " Chunks of many paintings per message share that cost." } else { "" };
    Some(format!(
        "The machinery cost {cost_us:.2} µs a painting (the run's time not spent on work (painting and drying, and waiting for a CPU while painting), saving or starting, spread over its paintings), \
         {how}, against {work_us:.2} µs of work: with tasks this small the cost of a task is most of the time.{}{lesson}",
        pace(run, n)
    ))
}

/// A side of the pipes is *busy* for a share of the run at least this large.
const BUSY: f64 = 0.8;

/// Beyond this share of the run, the start-up is what a run of tiny
/// tasks was.
const STARTUP_SHARE: f64 = 0.5;

/// Who set the pace once the painters were ready, by the kernel's count of
/// each process's CPU time: the coordinator, when it ran or its thread
/// waited for a CPU nearly all that time; the painters, when one of them
/// was busy nearly all of it; or neither, when each side spent much of it
/// waiting.
/// It does not say that more painters could not help: with more of them
/// the coordinator takes in more answers per wake-up, and its CPU time per
/// painting can fall.
fn pace(run: &RunReport, paintings: f64) -> String {
    // Judged over the run once its painters were ready; a run that was
    // mostly their start-up has no pace to speak of (the gap's
    // explanation names the start-up).
    let span = run.wall_s - run.startup_s;
    if run.startup_s > STARTUP_SHARE * run.wall_s || span <= 0.0 {
        return String::new();
    }
    // The coordinator's main thread over the hand-out, as the kernel
    // counted it: its CPU time and its wait, which together are never more
    // than that time. Where the kernel does not count threads, all its
    // threads' CPU time, with the same thread's wait, over the run.
    let (busy, waited, of_s, ran) = match run.coordinator_main {
        Some(main) if main.span_s > 0.0 => {
            let waited_words = if main.waited_s >= 0.05 * main.span_s {
                format!(" and waited {} for a CPU", alike(main.waited_s, main.span_s).0)
            } else {
                String::new()
            };
            let (ran, of) = alike(main.cpu_s, main.span_s);
            (
                main.cpu_s,
                main.waited_s,
                main.span_s,
                format!("the coordinator's main thread ran {ran} of {of}{waited_words}"),
            )
        }
        _ => {
            let waited = run.coordinator_run_delay_s;
            let waited_words = if waited >= 0.05 * span {
                format!(", its main thread waiting {} for a CPU", alike(waited, span).0)
            } else {
                String::new()
            };
            let (used, of) = alike(run.coordinator_cpu_s, span);
            (
                run.coordinator_cpu_s,
                waited,
                span,
                format!("the coordinator used {used} of CPU (all its threads) in {of}{waited_words}"),
            )
        }
    };
    // A painter of several threads is busy when all of them are: its CPU
    // time is counted against as many runs' worth of time.
    let painters =
        run.painters.iter().filter_map(|p| p.cpu_s.map(|cpu| cpu / f64::from(p.lanes.max(1)))).fold(0.0_f64, f64::max);
    let percent = |s: f64| format!("{:.0}%", (s / span * 100.0).min(100.0));
    // The coordinator's share of the time its figure was measured over.
    let share = |s: f64| format!("{:.0}%", (s / of_s * 100.0).min(100.0));
    let each = if run.painters.len() == 1 { "the painter was" } else { "the busiest painter was" };
    let coordinator_busy = busy + waited >= BUSY * of_s;
    let painters_busy = painters >= BUSY * span;
    // The coordinator's CPU time per painting is not the machinery's cost
    // above (that is wall time): it has a name of its own.
    let cpu_each = format!("all its threads' CPU time: {:.2} µs a painting", run.coordinator_cpu_s / paintings * 1e6);
    match (coordinator_busy, painters_busy) {
        (true, true) => format!(
            " Both sides set the pace, each busy nearly all the run: once the painters were ready, \
             {ran} ({cpu_each}), and {each} busy {} of it.",
            percent(painters)
        ),
        (true, false) => format!(
            " The coordinator set the pace: once its painters were ready, {ran} ({cpu_each}), \
             while {each} busy {} of it: every painting goes through the coordinator's one main thread.",
            percent(painters)
        ),
        (false, true) => format!(
            " The painters set the pace: once they were ready, {each} busy {} of the time, the coordinator's main thread {}.",
            percent(painters),
            share(busy)
        ),
        (false, false) => format!(
            " Neither side was busy all the run: once the painters were ready, the coordinator's main thread ran {} of the time, {each} busy {}; \
             each spent the rest waiting, for the other's messages or for a CPU.",
            share(busy),
            percent(painters)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::MainThread;
    use crate::report::sample::{sample_run, sample_workload};

    #[test]
    fn the_cost_of_a_task_is_named_only_when_it_exceeds_the_work() {
        let mut workload = sample_workload();
        workload.paint = std::time::Duration::ZERO;
        workload.file_wait = std::time::Duration::ZERO;
        workload.net_wait = std::time::Duration::ZERO;
        let mut run = sample_run();
        let one = run.paintings[0].clone();
        run.paintings = vec![one; 100_000];
        (run.wall_s, run.startup_s, run.ideal_s, run.lanes, run.chunk) = (0.205, 0.005, 0.0, 2, 1);
        run.gap.unexplained_s = 0.16;
        (run.coordinator_cpu_s, run.coordinator_run_delay_s, run.painters[0].cpu_s) = (0.15, 0.03, Some(0.05));
        let said = sentence(&run, &workload).expect("the machinery is all there is");
        assert!(said.starts_with("The machinery cost 1.60 µs a painting (the run's time not spent on work"), "{said}");
        assert!(said.contains("--chunk 1") && said.contains("Chunks of many paintings"), "{said}");
        run.chunk = 512;
        let said = sentence(&run, &workload).expect("still more than the work");
        assert!(said.contains("--chunk 512") && !said.contains("share that cost"), "{said}");
        // Judged over the 0.20 s after the start-up. Where the kernel does
        // not count the main thread alone, all the coordinator's threads.
        let paced = " The coordinator set the pace: once its painters were ready, the coordinator used 0.15s of CPU (all its \
                     threads) in 0.20s, its main thread waiting 0.03s for a CPU (all its threads' CPU time: 1.50 µs a painting), \
                     while the painter was busy 25% of it: every painting goes through the coordinator's one main thread.";
        assert!(said.ends_with(paced), "{said}");
        // Its main thread's CPU and its wait, which never add up to more
        // than the time.
        run.coordinator_main = Some(MainThread { span_s: 0.2, cpu_s: 0.14, waited_s: 0.03 });
        let said = sentence(&run, &workload).expect("the coordinator's");
        let paced = " The coordinator set the pace: once its painters were ready, the coordinator's main thread ran 0.14s of \
                     0.20s and waited 0.03s for a CPU (all its threads' CPU time: 1.50 µs a painting), while the painter was \
                     busy 25% of it: every painting goes through the coordinator's one main thread.";
        assert!(said.ends_with(paced), "{said}");
        // A wait for a CPU too short to matter is not told.
        run.coordinator_main = Some(MainThread { span_s: 0.2, cpu_s: 0.17, waited_s: 0.001 });
        run.coordinator_cpu_s = 0.17;
        let said = sentence(&run, &workload).expect("the coordinator's");
        assert!(
            said.contains("main thread ran 0.17s of 0.20s (all its threads' CPU time: 1.70 µs")
                && !said.contains("waited"),
            "{said}"
        );
        // Both busy nearly all the run: both are named.
        run.painters[0].cpu_s = Some(0.18);
        let said = sentence(&run, &workload).expect("both");
        let paced = " Both sides set the pace, each busy nearly all the run: once the painters were ready, the \
                     coordinator's main thread ran 0.17s of 0.20s (all its threads' CPU time: 1.70 µs a painting), and the \
                     painter was busy 90% of it.";
        assert!(said.ends_with(paced), "{said}");
        assert_eq!(said.matches("cost").count(), 2, "one figure is called the cost: {said}");
        // The painter busy all the run, the coordinator not: the painters' pace.
        run.coordinator_main = Some(MainThread { span_s: 0.2, cpu_s: 0.05, waited_s: 0.0 });
        run.painters[0].cpu_s = Some(0.18);
        let said = sentence(&run, &workload).expect("the painter's");
        let paced = " The painters set the pace: once they were ready, the painter was busy 90% of the time, the \
                     coordinator's main thread 25%.";
        assert!(said.ends_with(paced), "{said}");
        // A painter of two threads, one of them busy all the run: half busy.
        run.painters[0].lanes = 2;
        let said = sentence(&run, &workload).expect("neither's");
        let neither = " Neither side was busy all the run: once the painters were ready, the coordinator's main thread ran \
                       25% of the time,";
        assert!(said.contains(&format!("{neither} the painter was busy 45%;")), "{said}");
        run.painters[0].lanes = 1;
        // Neither busy: each waited for the other.
        run.painters[0].cpu_s = Some(0.05);
        let said = sentence(&run, &workload).expect("neither's");
        assert!(said.contains(&format!("{neither} the painter was busy 25%;")), "{said}");
        // A run that was mostly start-up has no pace to tell.
        run.startup_s = 0.11;
        let said = sentence(&run, &workload).expect("still the cost");
        assert!(said.ends_with("the cost of a task is most of the time."), "{said}");
        run.startup_s = 0.005;
        // Saving and the start-up are not the machinery's.
        let machinery = run.gap.unexplained_s;
        run.gap = crate::report::gap::Gap { saving_s: 0.15, startup_s: 0.005, unexplained_s: 0.00001, ..run.gap };
        assert_eq!(sentence(&run, &workload), None, "a ten-thousandth of a µs a painting is not worth a sentence");
        run.gap.unexplained_s = machinery;
        // Paintings of a second each: the machinery is nothing beside them.
        (run.wall_s, run.ideal_s) = (60_000.0, 50_000.0);
        workload.paint = std::time::Duration::from_secs(1);
        assert_eq!(sentence(&run, &workload), None);
    }
}
