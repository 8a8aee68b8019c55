//! Judging on every core, in input order: [`ordered`] maps work over a stream of items with a small pool of worker
//! threads and hands the results to a sink in the order of the items, whatever order the workers finish in.
//!
//! Memory stays bounded: at most a window of items (a few per worker) is read ahead of the oldest result not yet
//! handed on, so a slow item holds the reading back rather than letting finished results pile up. With one job
//! nothing is spawned: each item is worked and handed on in turn, on the calling thread.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

/// Where results go, in input order.
pub trait Sink<R> {
    /// Takes the next result; `Break` stops the run (the items not yet taken are dropped unworked).
    fn put(&mut self, result: R) -> ControlFlow<()>;

    /// Called when no further result is ready yet (the time to flush buffered output).
    fn idle(&mut self) {}
}

/// How many items may be read ahead of the oldest result not yet handed on, per worker.
const WINDOW_PER_JOB: usize = 4;

/// The read-ahead window: the reader waits until the item it holds is within the window of the next result due.
struct Window {
    /// The number of results handed on so far.
    handed: Mutex<usize>,
    moved: Condvar,
    stop: AtomicBool,
    size: usize,
}

impl Window {
    /// Waits until item `seq` may be read ahead; false when the run stopped.
    fn wait_for(&self, seq: usize) -> bool {
        let mut handed = self.handed.lock().unwrap_or_else(|p| p.into_inner());
        while seq >= *handed + self.size && !self.stop.load(Ordering::Relaxed) {
            handed = self.moved.wait(handed).unwrap_or_else(|p| p.into_inner());
        }
        !self.stop.load(Ordering::Relaxed)
    }

    fn advance(&self, handed: usize) {
        *self.handed.lock().unwrap_or_else(|p| p.into_inner()) = handed;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.moved.notify_all();
    }
}

/// Works `work` over `items` with `jobs` worker threads (1: sequentially, on this thread) and hands the results to
/// `sink` in the order of `items`.
pub fn ordered<I, T, R, F, S>(items: I, jobs: usize, work: F, sink: &mut S)
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    S: Sink<R>,
{
    if jobs <= 1 {
        for item in items {
            let r = work(item);
            if sink.put(r).is_break() {
                return;
            }
            sink.idle();
        }
        return;
    }
    let window = Window {
        handed: Mutex::new(0),
        moved: Condvar::new(),
        stop: AtomicBool::new(false),
        size: jobs.saturating_mul(WINDOW_PER_JOB),
    };
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, T)>(jobs);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        let window = &window;
        let work = &work;
        scope.spawn(move || {
            for (seq, item) in items.enumerate() {
                if !window.wait_for(seq) || job_tx.send((seq, item)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..jobs {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || loop {
                let next = job_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((seq, item)) = next else { break };
                if window.stop.load(Ordering::Relaxed) || done_tx.send((seq, work(item))).is_err() {
                    break;
                }
            });
        }
        // The workers hold the only handles: when they stop, the reader's sends fail and it stops too.
        drop(job_rx);
        drop(done_tx);
        let mut pending: BTreeMap<usize, R> = BTreeMap::new();
        let mut next = 0usize;
        'results: loop {
            let (seq, r) = match done_rx.try_recv() {
                Ok(m) => m,
                Err(mpsc::TryRecvError::Empty) => {
                    sink.idle();
                    match done_rx.recv() {
                        Ok(m) => m,
                        Err(_) => break,
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => break,
            };
            pending.insert(seq, r);
            while let Some(r) = pending.remove(&next) {
                next += 1;
                window.advance(next);
                if sink.put(r).is_break() {
                    window.stop();
                    break 'results;
                }
            }
        }
        window.stop();
        // Dropping the receiver makes any worker still sending stop.
        drop(done_rx);
    });
    sink.idle();
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<usize>, usize);

    impl Sink<usize> for Collect {
        fn put(&mut self, r: usize) -> ControlFlow<()> {
            self.0.push(r);
            if self.0.len() == self.1 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    /// Work that finishes out of order: later items are quicker.
    fn uneven(i: usize) -> usize {
        std::thread::sleep(std::time::Duration::from_micros(((i * 7919) % 13) as u64 * 50));
        i * 2
    }

    #[test]
    fn results_come_in_input_order_whatever_the_jobs() {
        for jobs in [1, 2, 3, 8] {
            let mut sink = Collect(Vec::new(), usize::MAX);
            ordered(0..500usize, jobs, uneven, &mut sink);
            assert_eq!(sink.0, (0..500).map(|i| i * 2).collect::<Vec<_>>(), "jobs {jobs}");
        }
    }

    #[test]
    fn a_sink_can_stop_the_run() {
        for jobs in [1, 4] {
            let mut sink = Collect(Vec::new(), 10);
            let worked = std::sync::atomic::AtomicUsize::new(0);
            ordered(
                0..100_000usize,
                jobs,
                |i| {
                    worked.fetch_add(1, Ordering::Relaxed);
                    uneven(i)
                },
                &mut sink,
            );
            assert_eq!(sink.0, (0..10).map(|i| i * 2).collect::<Vec<_>>());
            // The read-ahead window bounds the work done past the stop.
            assert!(
                worked.load(Ordering::Relaxed) <= 10 + jobs * (WINDOW_PER_JOB + 2),
                "jobs {jobs}"
            );
        }
    }

    #[test]
    fn read_ahead_is_bounded_by_the_window() {
        // The first item is slow; the reader may not run further ahead than the window.
        let read = std::sync::atomic::AtomicUsize::new(0);
        let items = (0..1000usize).inspect(|_| {
            read.fetch_add(1, Ordering::Relaxed);
        });
        let max_ahead = std::sync::atomic::AtomicUsize::new(0);
        struct Watch<'a>(
            &'a std::sync::atomic::AtomicUsize,
            &'a std::sync::atomic::AtomicUsize,
            usize,
        );
        impl Sink<usize> for Watch<'_> {
            fn put(&mut self, _: usize) -> ControlFlow<()> {
                self.2 += 1;
                let ahead = self.0.load(Ordering::Relaxed).saturating_sub(self.2);
                self.1.fetch_max(ahead, Ordering::Relaxed);
                ControlFlow::Continue(())
            }
        }
        let mut sink = Watch(&read, &max_ahead, 0);
        ordered(
            items,
            2,
            |i| {
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                i
            },
            &mut sink,
        );
        assert!(max_ahead.load(Ordering::Relaxed) <= 2 * WINDOW_PER_JOB + 1);
    }
}
