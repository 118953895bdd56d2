//! The painters of one run: started together, stopped together, and every
//! one of them reaped.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use protocol::{FromPainter, Goodbye, ToPainter};
use tokio::sync::mpsc;

use crate::mode::PainterPlan;
use crate::painter::{self, Incoming, Painter};

/// How long painters have to say `Goodbye` after `Shutdown`.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a painter has to exit after its `Goodbye`.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Running painters and the one channel all their messages arrive on.
#[derive(Debug)]
pub struct Pool {
    /// The painters, indexed by id.
    pub painters: Vec<Painter>,
    /// Every painter's messages, tagged with its index.
    pub incoming: mpsc::UnboundedReceiver<Incoming>,
}

/// What a painter left behind.
#[derive(Debug, Clone, Copy)]
pub struct Farewell {
    /// Its last words, if it said them.
    pub goodbye: Option<Goodbye>,
    /// How it exited.
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

    /// Asks every painter to stop, collects their `Goodbye`s, and reaps them.
    pub async fn shutdown(mut self) -> Vec<Farewell> {
        let mut farewells = vec![Farewell { goodbye: None, status: None }; self.painters.len()];
        let mut open = self.painters.len();
        for painter in &mut self.painters {
            if let Err(error) = painter.send(ToPainter::Shutdown).await {
                tracing::warn!("{error:#}");
            }
        }
        let deadline = tokio::time::Instant::now() + GOODBYE_TIMEOUT;
        while open > 0 {
            let Ok(Some(incoming)) = tokio::time::timeout_at(deadline, self.incoming.recv()).await else {
                break;
            };
            match incoming.message {
                Ok(Some(FromPainter::Goodbye(goodbye))) => farewells[incoming.painter].goodbye = Some(goodbye),
                Ok(Some(other)) => {
                    tracing::warn!(painter = incoming.painter, "unexpected {} during shutdown", other.name())
                }
                Ok(None) => open -= 1,
                Err(error) => {
                    tracing::warn!(painter = incoming.painter, "bad frame during shutdown: {error}");
                    open -= 1;
                }
            }
        }
        for (painter, farewell) in self.painters.iter_mut().zip(&mut farewells) {
            match painter.reap(EXIT_GRACE).await {
                Ok(status) => {
                    if !status.success() {
                        tracing::warn!(
                            painter = painter.hello.painter_id,
                            "{} {}",
                            painter.name(),
                            painter::describe(status)
                        );
                    }
                    farewell.status = Some(status);
                }
                Err(error) => {
                    tracing::warn!(painter = painter.hello.painter_id, "cannot reap: {error}")
                }
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
