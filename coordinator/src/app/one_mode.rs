//! One mode of a run: lay out its painters, predict its ideal, start the
//! painters, feed them, stop them, and build its report.

use std::path::Path;
use std::sync::Arc;

use crate::dispatch::{self, Interrupted, Outcome, Policy};
use crate::hosts::Cluster;
use crate::mode::{Mode, PainterPlan};
use crate::model::{assign, schedule};
use crate::os::sampler::Sampler;
use crate::os::signals::Interrupts;
use crate::pool::painter::Launch;
use crate::pool::{PainterLife, Pool};
use crate::progress::Progress;
use crate::report::{self, Measured, RunReport};
use crate::workload::{Calibration, Workload};

/// What every mode of an invocation shares.
#[derive(Debug, Clone, Copy)]
pub struct Stage<'a> {
    /// The painter binary on this machine.
    pub binary: &'a Path,
    /// The checked workload.
    pub workload: &'a Workload,
    /// What a stroke costs.
    pub calibration: &'a Calibration,
    /// The hosts, with `--hosts`.
    pub cluster: Option<&'a Arc<Cluster>>,
}

impl Stage<'_> {
    /// The painters of `mode`, and the same as the ideal model sees them
    /// (a host's core is not another host's: each gets a number of its own).
    #[must_use]
    pub fn plans(&self, mode: Mode) -> (Vec<PainterPlan>, Vec<PainterPlan>) {
        match self.cluster {
            Some(cluster) => {
                let plans = cluster.layout(mode);
                let modelled = Cluster::model_plans(&plans);
                (plans, modelled)
            }
            None => {
                let plans = mode.layout(self.workload.workers, self.workload.cores.as_deref());
                (plans.clone(), plans)
            }
        }
    }

    /// One mode: spawn its painters, run the jobs, stop the painters, report.
    ///
    /// # Errors
    /// An [`Interrupted`] for a stop signal, or what kept the mode from starting.
    pub async fn run(
        &self,
        mode: Mode,
        interrupts: &mut Interrupts,
        progress: &mut Progress,
    ) -> anyhow::Result<RunReport> {
        let workload = self.workload;
        let out = workload.output_folder(mode.name())?;
        // What an earlier run left here would read as this run's paintings.
        crate::workload::clear_paintings(&out);
        let (plans, modelled) = self.plans(mode);
        // The calibrated painting time: zero for `--paint 0ms`, which calibrates to 0 strokes.
        let model =
            schedule::Model::new(&modelled, workload.work(self.calibration.paint()), workload.allowed_cores.len());
        // The prediction, on a thread of its own: a Ctrl-C is answered even
        // while a hundred thousand paintings are simulated.
        let predicting = model.clone();
        let ideal = schedule::interruptible(
            move |stop| schedule::simulate(&predicting, &schedule::Feed::default(), stop),
            interrupts,
        )
        .await
        .map_err(|signal| Interrupted::before_start(signal, workload.paintings))?;
        let policy = self.policy(&plans, &model, ideal.longest_painting());
        let launch = Launch {
            binary: self.binary.to_path_buf(),
            out,
            slice_strokes: self.calibration.strokes_in(workload.slice),
            hosts: self.cluster.cloned(),
        };
        let jobs = dispatch::Jobs::new(workload.jobs(self.calibration.strokes));
        // Dropping a half-started pool on a signal kills the painters it has.
        let mut pool = tokio::select! {
            pool = Pool::spawn(launch, &plans) => pool?,
            signal = interrupts.recv() => return Err(Interrupted::before_start(signal, workload.paintings).into()),
        };
        // A remote painter's pid is another machine's: nothing to sample here.
        let pids: Vec<u32> = pool.painters.iter().map(|p| if p.remote.is_some() { 0 } else { p.pid() }).collect();
        let sampler = Sampler::start(&pids);
        let mut outcome = match dispatch::run(&mut pool, jobs, policy, interrupts, progress).await {
            Ok(outcome) => outcome,
            Err(interrupted) => {
                pool.stop(interrupts).await;
                return Err(interrupted.into());
            }
        };
        // Replacements started meanwhile are this run's too.
        let joined: Vec<u32> = pool.painters.iter().filter(|p| p.remote.is_none()).map(|p| p.pid()).collect();
        let cpu = sampler.stop(&joined).await;
        let mut lives = pool.shutdown().await;
        refine_clocks(&mut outcome, &mut lives);
        let starts: Vec<_> = lives.iter().map(|life| life.start.clone()).collect();
        // Where the time went: the model fed with what happened, step by step,
        // on a thread of its own like the prediction.
        let facts = report::gap::Facts::gather(&outcome, &model, &starts, plans.len());
        let steps = schedule::interruptible(move |stop| report::gap::steps(&model, facts, stop), interrupts)
            .await
            .map_err(|signal| Interrupted::after_all(signal, &outcome))?;
        Ok(report::build(Measured {
            mode,
            lives,
            planned: plans.len(),
            outcome,
            predicted: ideal,
            steps,
            cpu,
            workload,
            calibration: self.calibration,
            chunk: policy.chunk,
            chunk_guided: policy.guided,
        }))
    }

    /// How the dispatcher hands out paintings to `plans`, in a mode of
    /// `model` whose ideal paints one painting in `longest` at most.
    fn policy(&self, plans: &[PainterPlan], model: &schedule::Model, longest: std::time::Duration) -> Policy {
        // Chosen here, chunks are guided: as large as Python's `Pool.map`
        // sends while much is left, smaller as the queue empties. Painters
        // on other hosts are handed their paintings one at a time (their
        // answers are made local one message at a time).
        let guided = self.cluster.is_none() && self.workload.chunk.is_none() && model.ahead > 0;
        let chunk = if self.cluster.is_some() {
            1
        } else if guided {
            let lanes = plans.iter().map(|plan| plan.lanes).sum();
            assign::guided(self.workload.paintings, lanes, model.ahead)
        } else {
            self.workload.chunk.unwrap_or_else(|| assign::chunk(model.ahead))
        };
        Policy {
            ahead: model.ahead,
            chunk,
            guided,
            retries: self.workload.retries,
            timeout: self.workload.timeout(longest),
            longest,
        }
    }
}

/// A remote painter's times, refined with the offset interpolated between
/// its clock's two estimates: its events and its threads' states, those
/// heard during the run and those heard after it.
fn refine_clocks(outcome: &mut Outcome, lives: &mut [PainterLife]) {
    let clocks: Vec<_> = lives.iter().map(|life| life.farewell.clock).collect();
    outcome.refine(&clocks);
    for farewell in lives.iter_mut().map(|life| &mut life.farewell) {
        if let Some(clock) = farewell.clock {
            farewell.states.iter_mut().for_each(|states| clock.refine_states(states));
        }
    }
}
