//! The one place where rusket's native code runs work on several threads.
//! Tasks are claimed from a shared counter so that uneven tasks balance themselves,
//! and results always come back in task order, whatever the scheduling: same input,
//! same output.
//!
//! Jobs of a fraction of a millisecond cannot pay for starting threads: [`share`] runs them on
//! the calling thread with standing helper threads, started once, that lend a hand when they
//! are idle and never keep the caller waiting.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The number of threads to use: `requested`, or every core when it is 0.
pub fn num_threads(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Calls `f(task, worker)` once for every task in `0..n_tasks` on up to `threads` workers.
/// `worker` is in `0..threads`, for per-worker scratch space.
pub fn run_dynamic<F>(n_tasks: usize, threads: usize, f: F)
where
    F: Fn(usize, usize) + Sync,
{
    let workers = num_threads(threads).min(n_tasks.max(1));
    if workers <= 1 {
        (0..n_tasks).for_each(|t| f(t, 0));
        return;
    }
    let next = AtomicUsize::new(0);
    let work = |w: usize| loop {
        let t = next.fetch_add(1, Ordering::Relaxed);
        if t >= n_tasks {
            break;
        }
        f(t, w);
    };
    // Worker 0 is the calling thread: one thread fewer to start and wait for.
    std::thread::scope(|s| {
        for w in 1..workers {
            let work = &work;
            s.spawn(move || work(w));
        }
        work(0);
    });
}

/// Like [`run_dynamic`], collecting `f(task, worker)` into a vector in task order.
pub fn map_dynamic<T, F>(n_tasks: usize, threads: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync,
{
    let workers = num_threads(threads).min(n_tasks.max(1));
    if workers <= 1 {
        return (0..n_tasks).map(|t| f(t, 0)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = |w: usize| {
        let mut out = Vec::new();
        loop {
            let t = next.fetch_add(1, Ordering::Relaxed);
            if t >= n_tasks {
                break;
            }
            out.push((t, f(t, w)));
        }
        out
    };
    // Worker 0 is the calling thread: one thread fewer to start and wait for.
    let parts: Vec<Vec<(usize, T)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers)
            .map(|w| {
                let work = &work;
                s.spawn(move || work(w))
            })
            .collect();
        let mine = work(0);
        std::iter::once(mine).chain(handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))).collect()
    });
    let mut slots: Vec<Option<T>> = (0..n_tasks).map(|_| None).collect();
    for (t, v) in parts.into_iter().flatten() {
        slots[t] = Some(v);
    }
    slots.into_iter().map(|v| v.expect("every task ran")).collect()
}

/// Splits `data` into consecutive chunks of `chunk` elements and calls `f(chunk_index, chunk)`
/// on up to `threads` workers.
pub fn for_each_chunk_mut<T, F>(data: &mut [T], chunk: usize, threads: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    let chunk = chunk.max(1);
    let chunks: Vec<&mut [T]> = data.chunks_mut(chunk).collect();
    let n = chunks.len();
    let cells: Vec<std::sync::Mutex<Option<&mut [T]>>> =
        chunks.into_iter().map(|c| std::sync::Mutex::new(Some(c))).collect();
    run_dynamic(n, threads, |t, _| {
        let c = cells[t].lock().unwrap().take().expect("each chunk once");
        f(t, c);
    });
}

/// A job of independent parts for [`share`]. A part may run twice (on a helper that was slow
/// to finish it, and again on the caller): `run` must give an equally good result each time.
pub trait Parts: Send + Sync + 'static {
    type Out: Send + 'static;
    /// The number of parts.
    fn count(&self) -> usize;
    fn run(&self, part: usize) -> Self::Out;
    /// True when the result of `part` can no longer matter (and never will again): it is then
    /// not run, or not waited for.
    fn needless(&self, _part: usize) -> bool {
        false
    }
}

/// Most helper threads: one user's scan is bound by memory bandwidth, which a few cores fill.
const MAX_HELPERS: usize = 3;

/// Runs every part of `job` and returns their results in part order (`None` for a part that
/// became [`Parts::needless`]). The calling thread takes parts from the front; with `threads`
/// above 1, idle helper threads take parts from the back. The caller never waits for a
/// helper to start, and waits for a part a helper holds only about as long as a part takes
/// it: then it runs the part itself (whichever result comes first is kept).
pub fn share<J: Parts>(job: &Arc<J>, threads: usize) -> Vec<Option<J::Out>> {
    let n = job.count();
    let shared = Arc::new(Shared {
        job: job.clone(),
        open: AtomicU64::new((n as u64) << 32),
        results: (0..n).map(|_| Mutex::new(None)).collect(),
        ready: (0..n).map(|_| AtomicBool::new(false)).collect(),
    });
    let helping = num_threads(threads) > 1 && n > 1;
    if helping {
        helpers().offer(shared.clone());
    }
    let start = Instant::now();
    let mut mine = 0u32;
    while let Some(part) = shared.claim(false) {
        shared.work(part);
        mine += 1;
    }
    // The parts the helpers took, from the back: wait for each about as long as the caller
    // took for one of its own (at least 20 µs), then run it here.
    let patience = (start.elapsed() / mine.max(1) * 2).max(Duration::from_micros(20));
    let taken = (shared.open.load(Ordering::Acquire) >> 32) as usize;
    for part in taken..n {
        let since = Instant::now();
        while !shared.ready[part].load(Ordering::Acquire) && !shared.job.needless(part) && since.elapsed() < patience {
            std::hint::spin_loop();
        }
        if !shared.ready[part].load(Ordering::Acquire) && !shared.job.needless(part) {
            shared.finish(part, shared.job.run(part));
        }
    }
    if helping {
        helpers().withdraw(&shared);
    }
    shared.results.iter().map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).take()).collect()
}

/// A job being shared, its parts claimed from both ends.
struct Shared<J: Parts> {
    job: Arc<J>,
    /// The parts nobody has claimed: `front..back`, as `front | back << 32`.
    open: AtomicU64,
    results: Vec<Mutex<Option<J::Out>>>,
    ready: Vec<AtomicBool>,
}

impl<J: Parts> Shared<J> {
    /// The next unclaimed part from the front (or the back), claimed.
    fn claim(&self, from_back: bool) -> Option<usize> {
        let mut open = self.open.load(Ordering::Acquire);
        loop {
            let (front, back) = (open & 0xFFFF_FFFF, open >> 32);
            if front >= back {
                return None;
            }
            let (next, part) = if from_back { (front | ((back - 1) << 32), back - 1) } else { ((front + 1) | (back << 32), front) };
            match self.open.compare_exchange_weak(open, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(part as usize),
                Err(now) => open = now,
            }
        }
    }

    /// Runs a claimed part unless it has become needless.
    fn work(&self, part: usize) {
        if !self.job.needless(part) {
            self.finish(part, self.job.run(part));
        }
    }

    /// Keeps the first result of `part`.
    fn finish(&self, part: usize, out: J::Out) {
        let mut slot = self.results[part].lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(out);
            self.ready[part].store(true, Ordering::Release);
        }
    }
}

/// What a helper sees of a shared job.
trait Lend: Send + Sync {
    /// Works on parts from the back until none is left.
    fn lend(&self);
}

impl<J: Parts> Lend for Shared<J> {
    fn lend(&self) {
        while let Some(part) = self.claim(true) {
            self.work(part);
        }
    }
}

/// The standing helper threads and the job on offer.
struct Helpers {
    offer: Mutex<Offer>,
    wake: Condvar,
}

struct Offer {
    /// Counts the jobs offered: a helper waits for it to change.
    count: u64,
    job: Option<Arc<dyn Lend>>,
}

/// The helpers, started on first use: one fewer than the cores, at most [`MAX_HELPERS`].
fn helpers() -> &'static Helpers {
    static HELPERS: OnceLock<&'static Helpers> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let helpers: &'static Helpers = Box::leak(Box::new(Helpers { offer: Mutex::new(Offer { count: 0, job: None }), wake: Condvar::new() }));
        for _ in 1..num_threads(0).min(MAX_HELPERS + 1) {
            // A helper that cannot start is no helper: the caller does the work.
            let _ = std::thread::Builder::new().name("rusket-helper".into()).spawn(move || helpers.serve());
        }
        helpers
    })
}

impl Helpers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Offer> {
        self.offer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offer(&self, job: Arc<dyn Lend>) {
        let mut offer = self.lock();
        offer.count += 1;
        offer.job = Some(job);
        drop(offer);
        self.wake.notify_all();
    }

    /// Takes `job` off offer (helpers already on it finish their parts).
    fn withdraw(&self, job: &Arc<impl Lend + 'static>) {
        let mut offer = self.lock();
        if offer.job.as_ref().is_some_and(|j| std::ptr::addr_eq(Arc::as_ptr(j), Arc::as_ptr(job))) {
            offer.job = None;
        }
    }

    /// A helper's life: sleep until a job is offered, lend a hand, sleep again. It does not
    /// spin between jobs: woken, it joins some 20 µs late, but on a busy machine a spinning
    /// helper takes turns with the caller (bench with another process keeping a core busy: p99
    /// 1–4 ms with a 200 µs spin, 0.7 ms without, as on the caller alone).
    fn serve(&self) {
        let mut seen = 0;
        loop {
            let mut offer = self.lock();
            while offer.count == seen {
                offer = self.wake.wait(offer).unwrap_or_else(|e| e.into_inner());
            }
            seen = offer.count;
            let job = offer.job.clone();
            drop(offer);
            if let Some(job) = job {
                // A part that panics here never becomes ready: the caller runs it again and
                // reports the panic.
                let _ = catch_unwind(AssertUnwindSafe(|| job.lend()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_task_order() {
        let v = map_dynamic(1000, 4, |t, _| t * 2);
        assert_eq!(v, (0..1000).map(|t| t * 2).collect::<Vec<_>>());
    }

    /// Parts that square their index, taking about 20 µs each on the caller (time for a
    /// helper to wake up and join); when a helper runs one, it is counted and, if asked, is
    /// slow (100 ms, thousands of times the caller's patience) or panics. Parts at or past `needless_from` are needless once part 0 ran.
    struct Squares {
        count: usize,
        helper_sleeps: bool,
        helper_panics: bool,
        needless_from: usize,
        zero_done: AtomicBool,
        helper_runs: AtomicUsize,
    }

    impl Parts for Squares {
        type Out = (usize, bool);
        fn count(&self) -> usize {
            self.count
        }
        fn run(&self, part: usize) -> (usize, bool) {
            let on_helper = std::thread::current().name() == Some("rusket-helper");
            if on_helper {
                self.helper_runs.fetch_add(1, Ordering::SeqCst);
                assert!(!self.helper_panics, "a helper's part failed");
                if self.helper_sleeps {
                    std::thread::sleep(Duration::from_millis(100));
                }
            } else {
                let start = Instant::now();
                while start.elapsed() < Duration::from_micros(20) {
                    std::hint::spin_loop();
                }
            }
            if part == 0 {
                self.zero_done.store(true, Ordering::SeqCst);
            }
            (part * part, on_helper)
        }
        fn needless(&self, part: usize) -> bool {
            part >= self.needless_from && self.zero_done.load(Ordering::SeqCst)
        }
    }

    fn squares(count: usize, helper_sleeps: bool, helper_panics: bool, needless_from: usize) -> Arc<Squares> {
        Arc::new(Squares { count, helper_sleeps, helper_panics, needless_from, zero_done: AtomicBool::new(false), helper_runs: AtomicUsize::new(0) })
    }

    /// Runs `job()` through [`share`] on 2 threads until a helper took part (at most 500 times,
    /// checking each result); with more than one core, one must have (the helpers are shared
    /// by the tests running at the same time, and may be busy for a while).
    fn until_helped(job: impl Fn() -> Arc<Squares>, check: impl Fn(&[Option<(usize, bool)>])) {
        let helped = (0..500).any(|_| {
            let job = job();
            check(&share(&job, 2));
            job.helper_runs.load(Ordering::SeqCst) > 0
        });
        assert!(helped || num_threads(0) == 1, "no helper ever took a part");
    }

    #[test]
    fn shared_parts_come_back_in_order() {
        let all = |out: &[Option<(usize, bool)>]| {
            assert_eq!(out.iter().map(|o| o.expect("every part ran").0).collect::<Vec<_>>(), (0..37).map(|p| p * p).collect::<Vec<_>>());
        };
        for threads in [1, 4] {
            all(&share(&squares(37, false, false, usize::MAX), threads));
        }
        until_helped(|| squares(37, false, false, usize::MAX), all);
    }

    #[test]
    fn the_caller_does_not_wait_for_a_slow_or_failing_helper() {
        // A helper's part does not finish in time, or panics: the caller runs it itself, and
        // its result is the one kept.
        for (sleeps, panics) in [(false, true), (true, false)] {
            until_helped(
                || squares(40, sleeps, panics, usize::MAX),
                |out| assert!(out.iter().enumerate().all(|(p, o)| *o == Some((p * p, false)))),
            );
        }
    }

    #[test]
    fn needless_parts_are_left_out() {
        // Parts 0..10, run by the caller from the front, always come back; those from 10 on are
        // needless once part 0 ran: the caller runs none of them, a helper may have run some.
        let check = |out: &[Option<(usize, bool)>]| {
            assert!(out[..10].iter().enumerate().all(|(p, o)| o.is_some_and(|o| o.0 == p * p)));
            assert!(out[10..].iter().all(|o| o.is_none_or(|o| o.1)));
        };
        check(&share(&squares(30, false, false, 10), 1));
        until_helped(|| squares(30, false, false, 10), check);
    }

    #[test]
    fn chunks_cover_everything_once() {
        let mut v = vec![0u32; 10_001];
        for_each_chunk_mut(&mut v, 100, 3, |_, c| c.iter_mut().for_each(|x| *x += 1));
        assert!(v.iter().all(|&x| x == 1));
    }
}
