//! The painters of one run: started together, stopped together, and every
//! one of them reaped.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use protocol::{FromPainter, Goodbye, ToPainter};
use tokio::sync::mpsc;

use crate::mode::PainterPlan;
use crate::painter::{self, Heard, Incoming, Painter};

/// How long painters have to say `Goodbye` and exit after `Shutdown`.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a painter that has said `Goodbye` has left to exit.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Running painters and the one channel all their messages arrive on.
#[derive(Debug)]
pub struct Pool {
    /// The painters, indexed by id.
    pub painters: Vec<Painter>,
    /// Everything heard from every painter, tagged with its index.
    pub incoming: mpsc::UnboundedReceiver<Incoming>,
}

/// What a painter left behind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Farewell {
    /// Its last words, if it said them.
    pub goodbye: Option<Goodbye>,
    /// How it exited, if that could be learnt.
    pub status: Option<ExitStatus>,
}

impl Pool {
    /// Starts one painter per plan; on any failure, stops those already started.
    ///
    /// # Errors
    /// As [`painter::spawn`].
    pub async fn spawn(binary: &Path, plans: &[PainterPlan], out: &Path, slice_strokes: u64) -> anyhow::Result<Self> {
        let (tx, incoming) = mpsc::unbounded_channel();
        let mut pool = Self { painters: Vec::with_capacity(plans.len()), incoming };
        for (index, plan) in plans.iter().enumerate() {
            match painter::spawn(binary, plan, out, slice_strokes, index, tx.clone()).await {
                Ok(painter) => pool.painters.push(painter),
                Err(error) => {
                    pool.kill().await;
                    return Err(error);
                }
            }
        }
        Ok(pool)
    }

    /// Asks every painter to stop, collects their `Goodbye`s, and reaps them
    /// all (killing any that do not exit in time).
    pub async fn shutdown(mut self) -> Vec<Farewell> {
        let mut farewells = vec![Farewell::default(); self.painters.len()];
        for painter in &self.painters {
            if let Err(error) = painter.send(ToPainter::Shutdown) {
                tracing::warn!("{error:#}");
            }
        }
        let mut running = self.painters.len();
        let deadline = tokio::time::Instant::now() + GOODBYE_TIMEOUT;
        while running > 0 {
            let Ok(Some(incoming)) = tokio::time::timeout_at(deadline, self.incoming.recv()).await else { break };
            let who = self.painters[incoming.painter].who();
            match incoming.heard {
                Heard::Message(FromPainter::Goodbye(goodbye)) => farewells[incoming.painter].goodbye = Some(goodbye),
                Heard::Message(other) => tracing::warn!("{who} said {} after Shutdown", other.name()),
                Heard::Garbled(error) => tracing::warn!("{who} sent a bad frame during shutdown: {error}"),
                Heard::Closed => {}
                Heard::Exited(_) => running -= 1,
            }
        }
        for (painter, farewell) in self.painters.iter_mut().zip(&mut farewells) {
            farewell.status = painter.reap(EXIT_GRACE).await;
            match farewell.status {
                Some(status) if status.success() => {}
                Some(status) => tracing::warn!("{} {}", painter.who(), painter::describe(status)),
                None => tracing::warn!("{}: exit status unknown", painter.who()),
            }
        }
        farewells
    }

    /// Kills every painter at once and reaps them: for errors and interrupts.
    pub async fn kill(&mut self) {
        for painter in &mut self.painters {
            painter.kill().await;
        }
    }
}
