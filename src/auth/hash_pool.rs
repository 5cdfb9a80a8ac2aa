//! Dedicated threads for password hashing. bcrypt is pure CPU work of about a quarter of a
//! second; on the async workers it would stall every other request, and on tokio's shared
//! blocking pool it would compete with them as an equal. These threads run at a lower
//! scheduling priority (nice 10), so under full load the kernel gives the async workers
//! the CPU first: a burst of sign-ins slows other sign-ins, not token validation.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// How much lower than normal the hashing threads run (Linux nice value).
const NICENESS: i32 = 10;

#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
#[error("the hashing pool is gone")]
pub struct PoolGone;

impl HashPool {
    /// `threads` hashing threads; they end when the last handle is dropped.
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while taking the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread and waits for its result without blocking.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolGone> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| PoolGone)?;
        result.await.map_err(|_| PoolGone)
    }
}

/// Lowers this thread's priority. On Linux `nice` is per thread, addressed by thread id.
fn lower_priority() {
    let me = rustix::thread::gettid();
    // Never raise it: a process already started nicer keeps its own value.
    let current = rustix::process::getpriority_process(Some(me)).unwrap_or(0);
    if rustix::process::setpriority_process(Some(me), current.max(NICENESS)).is_err() {
        tracing::warn!("could not lower the priority of a password hashing thread");
    }
}

#[cfg(test)]
mod tests {
    use super::HashPool;

    #[tokio::test]
    async fn work_runs_on_a_named_low_priority_thread() {
        let pool = HashPool::new(1);
        let (name, nice) = pool
            .run(|| {
                let name = std::thread::current().name().map(str::to_owned);
                let me = rustix::thread::gettid();
                (name, rustix::process::getpriority_process(Some(me)))
            })
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("password-hash-0"));
        assert!(nice.unwrap() >= 10);
    }
}
