//! Judging on every core, in input order: [`ordered`] maps work over a stream of items with a small pool of worker
//! threads and hands the results to a sink in the order of the items, whatever order the workers finish in.
//!
//! There is no dispatcher: each worker takes the next item from the shared stream, works it, and files the result;
//! whoever files the result that is next due hands it, and every result after it that is ready, to the sink. The
//! calling thread is one of the workers, so one job spawns nothing and works the items in turn. Locks are held
//! only to take an item and to file a result, so workers rarely wait on each other.
//!
//! Memory stays bounded: a worker does not start an item more than a window (a few items per worker) ahead of
//! the oldest result not yet handed on, so a slow item holds the others back rather than letting finished results
//! pile up.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Where results go, in input order.
pub trait Sink<R> {
    /// Takes the next result; `Break` stops the run (the items not yet taken are dropped unworked).
    fn put(&mut self, result: R) -> ControlFlow<()>;

    /// Called when no further result is ready yet (the time to flush buffered output).
    fn idle(&mut self) {}
}

/// A sink that keeps every result, in order.
impl<R> Sink<R> for Vec<R> {
    fn put(&mut self, result: R) -> ControlFlow<()> {
        self.push(result);
        ControlFlow::Continue(())
    }
}

/// Threads that workers may borrow to split a big item of their own (an input with many tokens) over several
/// threads, at most `free` at a time: a run never has more than its workers plus these.
pub struct Helpers {
    free: AtomicUsize,
}

impl Helpers {
    /// `n` threads to lend.
    pub fn new(n: usize) -> Helpers {
        Helpers {
            free: AtomicUsize::new(n),
        }
    }

    /// Borrows up to `want` threads (none when all are lent); give them back with [`Helpers::give_back`].
    pub fn borrow(&self, want: usize) -> usize {
        let mut got = 0;
        let _ = self.free.fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| {
            got = free.min(want);
            Some(free - got)
        });
        got
    }

    /// Returns `n` borrowed threads.
    pub fn give_back(&self, n: usize) {
        self.free.fetch_add(n, Ordering::AcqRel);
    }
}

/// How many items may be started ahead of the oldest result not yet handed on, per worker.
const WINDOW_PER_JOB: usize = 4;

/// The results filed and not yet handed on, and the sink.
struct Filed<'s, R, S> {
    pending: BTreeMap<usize, R>,
    /// The number of results handed on so far (the sequence number of the next one due).
    next: usize,
    sink: &'s mut S,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Works `work` over `items` with `jobs` threads (the calling thread and `jobs - 1` more) and hands the results to
/// `sink` in the order of `items`.
pub fn ordered<I, T, R, F, S>(items: I, jobs: usize, work: F, sink: &mut S)
where
    I: Iterator<Item = T> + Send,
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
    S: Sink<R> + Send,
{
    let jobs = jobs.max(1);
    let window = jobs.saturating_mul(WINDOW_PER_JOB);
    let source = Mutex::new(items.enumerate());
    let filed = Mutex::new(Filed {
        pending: BTreeMap::new(),
        next: 0,
        sink,
    });
    let handed = Condvar::new();
    let stop = AtomicBool::new(false);
    let worker = || loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Some((seq, item)) = lock(&source).next() else { break };
        if seq >= window {
            let mut f = lock(&filed);
            while seq >= f.next + window && !stop.load(Ordering::Relaxed) {
                f = handed.wait(f).unwrap_or_else(|p| p.into_inner());
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let result = work(item);
        let mut f = lock(&filed);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        f.pending.insert(seq, result);
        let mut moved = false;
        while let Some(r) = {
            let next = f.next;
            f.pending.remove(&next)
        } {
            f.next += 1;
            moved = true;
            if f.sink.put(r).is_break() {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        if moved {
            f.sink.idle();
            drop(f);
            // Only other workers wait on `handed`; alone, a notification would be a wasted futex call per item.
            if jobs > 1 {
                handed.notify_all();
            }
        }
    };
    if jobs == 1 {
        worker();
        return;
    }
    std::thread::scope(|scope| {
        for _ in 1..jobs {
            scope.spawn(worker);
        }
        worker();
    });
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
    fn helpers_are_lent_at_most_as_many_as_there_are() {
        let h = Helpers::new(3);
        assert_eq!(h.borrow(2), 2);
        assert_eq!(h.borrow(5), 1);
        assert_eq!(h.borrow(1), 0);
        h.give_back(3);
        assert_eq!(h.borrow(8), 3);
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
            let worked = &worked;
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
