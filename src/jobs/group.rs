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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A group whose flush records the size of every group it wrote and fails any group that
    /// holds a negative number.
    type Sizes = Arc<Mutex<Vec<usize>>>;

    fn recording() -> (Sizes, Arc<Group<i64, i64>>) {
        let sizes = Arc::new(Mutex::new(vec![]));
        let seen = sizes.clone();
        let group = Group::new(8, move |items: Vec<i64>| {
            let seen = seen.clone();
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                seen.lock().unwrap().push(items.len());
                if items.iter().any(|i| *i < 0) {
                    return Err(anyhow::anyhow!("refused {items:?}").into());
                }
                Ok(items.iter().map(|i| i * 10).collect())
            }) as FlushFut<i64>
        });
        (sizes, Arc::new(group))
    }

    #[tokio::test]
    async fn writers_at_the_same_moment_share_groups_and_each_gets_its_own_answer() {
        let (sizes, group) = recording();
        let calls: Vec<_> = (0..20)
            .map(|i| {
                tokio::spawn({
                    let g = group.clone();
                    async move { g.run(i).await.unwrap() }
                })
            })
            .collect();
        for (i, c) in calls.into_iter().enumerate() {
            assert_eq!(c.await.unwrap(), i as i64 * 10);
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.len() < 20 && sizes.iter().all(|n| *n <= 8), "grouped at most 8 at a time: {sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_group_fails_each_of_its_writers_with_the_cause() {
        let (sizes, group) = recording();
        // 1 is written alone; -1 and 5 gather meanwhile and go together.
        let first = tokio::spawn({
            let g = group.clone();
            async move { g.run(1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let (bad, good) = tokio::join!(group.run(-1), group.run(5));
        assert_eq!(first.await.unwrap().unwrap(), 10);
        for e in [bad.unwrap_err(), good.unwrap_err()] {
            assert!(format!("{e:?}").contains("refused [-1, 5]"), "{e:?}");
        }
        assert_eq!(group.run(2).await.unwrap(), 20, "the group goes on after a failure");
        assert_eq!(*sizes.lock().unwrap(), vec![1, 2, 1]);
    }

    #[tokio::test]
    async fn a_writer_that_stops_waiting_does_not_stop_the_write() {
        let (sizes, group) = recording();
        let g = group.clone();
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(1), g.run(3)).await;
        assert!(gave_up.is_err());
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        assert_eq!(*sizes.lock().unwrap(), vec![1], "the abandoned write was still made");
    }
}
