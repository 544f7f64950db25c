//! Group commit: callers that write at the same moment share one database round trip.
//!
//! Each caller hands in its item and waits for its own answer. One task per group takes
//! everything waiting (up to `max`), writes it with one call to `flush`, and answers each
//! caller. Under load the groups grow by themselves (the next one gathers while one is being
//! written); a caller alone waits for nothing but its own write. The task, not the caller,
//! runs the write, so a caller that stops waiting never cuts a group's write in half. On a
//! database where concurrent writers do not queue for one lock (`max` 1), callers write
//! directly and side by side.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

type Answer<O> = oneshot::Sender<Result<O, Arc<crate::Error>>>;
type FlushFut<O> = Pin<Box<dyn Future<Output = Result<Vec<O>, crate::Error>> + Send>>;
type Flush<I, O> = Arc<dyn Fn(Vec<I>) -> FlushFut<O> + Send + Sync>;

pub struct Group<I, O> {
    max: usize,
    flush: Flush<I, O>,
    /// Started on first use, inside the runtime.
    tx: OnceLock<mpsc::UnboundedSender<(I, Answer<O>)>>,
}

impl<I: Send + 'static, O: Send + 'static> Group<I, O> {
    /// `flush` writes a group and returns one answer per item, in order.
    pub fn new(max: usize, flush: impl Fn(Vec<I>) -> FlushFut<O> + Send + Sync + 'static) -> Self {
        Self { max: max.max(1), flush: Arc::new(flush), tx: OnceLock::new() }
    }

    /// Writes `item` with whatever else is waiting; a failed group fails every item in it.
    /// Groups of one are written by the caller, so such writes run side by side.
    pub async fn run(&self, item: I) -> Result<O, crate::Error> {
        if self.max == 1 {
            let mut out = (self.flush)(vec![item]).await?;
            return out.pop().ok_or_else(|| anyhow::anyhow!("a write group answered no item").into());
        }
        let (answer, rx) = oneshot::channel();
        let tx = self.tx.get_or_init(|| self.start());
        if tx.send((item, answer)).is_err() {
            return Err(anyhow::anyhow!("the write group has stopped").into());
        }
        match rx.await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(anyhow::anyhow!("a grouped write failed: {}", describe(&e)).into()),
            Err(_) => Err(anyhow::anyhow!("the write group dropped the write").into()),
        }
    }

    fn start(&self) -> mpsc::UnboundedSender<(I, Answer<O>)> {
        let (tx, mut rx) = mpsc::unbounded_channel::<(I, Answer<O>)>();
        let (max, flush) = (self.max, self.flush.clone());
        tokio::spawn(async move {
            let mut waiting = Vec::with_capacity(max);
            while rx.recv_many(&mut waiting, max).await > 0 {
                let (items, answers): (Vec<I>, Vec<Answer<O>>) = waiting.drain(..).unzip();
                let n = items.len();
                match flush(items).await {
                    Ok(outs) if outs.len() == n => {
                        for (a, o) in answers.into_iter().zip(outs) {
                            let _ = a.send(Ok(o));
                        }
                    }
                    Ok(_) => {
                        let e = Arc::new(crate::Error::from(anyhow::anyhow!("a write group answered the wrong number of items")));
                        answers.into_iter().for_each(|a| drop(a.send(Err(e.clone()))));
                    }
                    Err(e) => {
                        let e = Arc::new(e);
                        answers.into_iter().for_each(|a| drop(a.send(Err(e.clone()))));
                    }
                }
            }
        });
        tx
    }
}

/// The cause of a group's failure, for each of its callers.
fn describe(e: &crate::Error) -> String {
    match e {
        crate::Error::Internal(cause) => format!("{cause:#}"),
        other => other.to_string(),
    }
}
