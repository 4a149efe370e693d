//! The one place where rusket's native code runs work on several threads.
//! Tasks are claimed from a shared counter so that uneven tasks balance themselves,
//! and results always come back in task order, whatever the scheduling: same input,
//! same output.

use std::sync::atomic::{AtomicUsize, Ordering};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_task_order() {
        let v = map_dynamic(1000, 4, |t, _| t * 2);
        assert_eq!(v, (0..1000).map(|t| t * 2).collect::<Vec<_>>());
    }

    #[test]
    fn chunks_cover_everything_once() {
        let mut v = vec![0u32; 10_001];
        for_each_chunk_mut(&mut v, 100, 3, |_, c| c.iter_mut().for_each(|x| *x += 1));
        assert!(v.iter().all(|&x| x == 1));
    }
}
