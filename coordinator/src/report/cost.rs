//! The cost of a task: what handing out and answering one painting cost a
//! run, beside the work the painting itself was.
//!
//! A painting of a few microseconds is a task so small that the machinery
//! around it — a message to the painter, messages back, the coordinator's
//! bookkeeping — is most of what happens. Then more painters do not help:
//! the one coordinator hands out every painting, and its time per painting
//! bounds the run. Chunks (`--chunk`) share that cost among many paintings.
//! This module says so, with the run's own numbers, when it is the case.

use super::RunReport;
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
    } else {
        format!("handed out {} to a message and answered {} to a message (--chunk {})", run.chunk, run.chunk, run.chunk)
    };
    let lesson = if run.chunk <= 1 { "; chunks of many paintings per message share that cost" } else { "" };
    Some(format!(
        "Each painting cost the machinery {cost_us:.2} µs, {how}, against {work_us:.2} µs of work: \
         with tasks this small the cost of a task is most of the time, and one coordinator hands out every painting{lesson}."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        (run.wall_s, run.startup_s, run.ideal_s, run.lanes, run.chunk) = (0.165, 0.005, 0.0, 2, 1);
        run.gap.unexplained_s = 0.16;
        let said = sentence(&run, &workload).expect("the machinery is all there is");
        assert!(said.starts_with("Each painting cost the machinery 1.60 µs"), "{said}");
        assert!(said.contains("--chunk 1") && said.contains("chunks of many paintings"), "{said}");
        run.chunk = 512;
        let said = sentence(&run, &workload).expect("still more than the work");
        assert!(said.contains("--chunk 512") && !said.contains("share that cost"), "{said}");
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
