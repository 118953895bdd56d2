//! Turning `--paint 400ms` into strokes, once per invocation.
//!
//! One painter, pinned like the first painter of every mode, measures how
//! long a stroke takes on its core. Every mode of a `compare` then paints
//! the same number of strokes: identical work, so differences in wall time
//! come from scheduling alone. The coordinator itself never paints.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use protocol::{FromPainter, Scheduler, ToPainter, contract};

use crate::mode::PainterPlan;
use crate::pool::Pool;
use crate::pool::painter::{Heard, Launch};
use crate::workload::{Calibration, Workload};

/// How long the calibrating painter paints to measure.
const SAMPLE: Duration = Duration::from_millis(240);

/// The paintings whose pictures the stroke is measured on: the first few
/// (a painter measures on at most four).
const SEEDS: usize = 4;

/// Measures a stroke and sizes the paintings. With `--paint 0ms` there is
/// nothing to measure and no painter is started.
///
/// # Errors
/// If the calibrating painter cannot be started or does not answer.
pub async fn calibrate(binary: &Path, workload: &Workload) -> anyhow::Result<Calibration> {
    let core = workload.cores.as_ref().and_then(|cores| cores.first().copied());
    if workload.paint.is_zero() && workload.strokes.is_none() {
        return Ok(Calibration { stroke_ns: 0.0, strokes: 0, core });
    }
    let plan =
        PainterPlan { id: 0, scheduler: Scheduler::Blocking, lanes: 1, cores: core.into_iter().collect(), host: None };
    // The calibrating painter saves nothing; it only needs a folder to be given.
    let launch = Launch { binary: binary.to_path_buf(), out: workload.out.clone(), slice_strokes: 1, hosts: None };
    let mut pool = Pool::spawn(launch, &[plan]).await.context("cannot calibrate")?;
    let seeds: Vec<u64> = workload.jobs(0).iter().take(SEEDS).map(|job| job.seed).collect();
    let answer = measure(&mut pool, seeds).await;
    match answer {
        Ok(stroke_ns) => {
            tracing::debug!(stroke_ns, core, "calibrated");
            pool.shutdown().await;
            if let Some(strokes) = workload.strokes {
                return Ok(Calibration { stroke_ns, strokes, core });
            }
            let strokes = (workload.paint.as_nanos() as f64 / stroke_ns).round();
            if strokes > f64::from(u32::MAX) {
                bail!(
                    "--paint {} is more strokes than a painting can hold",
                    humantime::format_duration(workload.paint)
                );
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just above
            Ok(Calibration { stroke_ns, strokes: (strokes as u32).max(1), core })
        }
        Err(error) => {
            pool.kill().await;
            Err(error)
        }
    }
}

async fn measure(pool: &mut Pool, seeds: Vec<u64>) -> anyhow::Result<f64> {
    let painter = &pool.painters[0];
    painter.send(ToPainter::Calibrate { sample: SAMPLE, seeds })?;
    let who = painter.who();
    let incoming = tokio::time::timeout(SAMPLE * 20, pool.incoming.recv())
        .await
        .with_context(|| format!("{who} did not finish calibrating"))?
        .with_context(|| format!("{who} vanished while calibrating"))?;
    match incoming.heard {
        Heard::Message(FromPainter::Calibrated { stroke_ns, strokes }) => {
            contract::check_calibrated(stroke_ns, strokes, SAMPLE)
                .with_context(|| format!("{who} broke the protocol"))?;
            Ok(stroke_ns)
        }
        Heard::Message(other) => bail!("{who} answered calibration with {}", other.name()),
        Heard::Garbled(error) => Err(anyhow::Error::new(error).context(format!("{who} sent a bad frame"))),
        Heard::Closed | Heard::Exited(_) => bail!("{who} ended while calibrating{}", pool.painters[0].stderr_tail()),
    }
}
