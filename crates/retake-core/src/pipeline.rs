//! Source -> analysis -> window -> render -> sink, on threads joined by
//! bounded channels. Memory is bounded by the window and the queue depths,
//! never by the clip's length; frames reach the sink in clip order; a frame's
//! result does not depend on the number of threads.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::io::{FrameSink, FrameSource};
use crate::range::{frames_written, FrameRange};
use crate::window::{Item, Window};

/// An editing operation as the pipeline drives it.
pub trait Operation: Send + Sync {
    /// What `analyse` makes of one frame (a saliency map, flow, normals).
    type Analysis: Send + Sync + 'static;

    /// Frames needed on each side of the one being rendered.
    fn radius(&self) -> usize;

    /// Per-frame work, done once per frame whatever the window size.
    fn analyse(&self, frame: &Frame) -> Result<Self::Analysis>;

    /// [`Operation::analyse`] given the decoded frame itself: the pipeline
    /// holds no other reference to it when the operation does not render
    /// from source, so an operation that is done with the pixels early
    /// (reangle, once warped) can free them before the rest of its
    /// analysis instead of holding them to the end.
    fn analyse_owned(&self, frame: Arc<Frame>) -> Result<Self::Analysis> {
        self.analyse(&frame)
    }

    /// Render the centre frame of the window.
    fn render(&self, window: &Window<Self::Analysis>) -> Result<Arc<Frame>>;

    /// Whether `render` reads the pixels of its window's decoded frames.
    /// An operation whose analysis holds everything it renders from
    /// (reangle's warped frames) says no: the pipeline then keeps only
    /// each frame's number and size once it is analysed (its `data` is
    /// empty), so a window holds one picture per frame, not two.
    fn renders_from_source(&self) -> bool {
        true
    }

    /// Whether analysis and render are both heavy, with frame-sized
    /// scratch (reangle's warp and its fill): then at most `workers` of
    /// them run at once, not `workers` of each, so the peak holds one
    /// set of scratch per core instead of two; the cores are busy either
    /// way.
    fn shares_workers_between_stages(&self) -> bool {
        false
    }
}

/// Progress as frames reach the sink.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    pub last_index: i64,
}

/// How to run the pipeline.
#[derive(Default)]
pub struct PipelineOptions<'a> {
    /// Worker threads for analysis and for rendering (each); 0 = one per core.
    pub workers: usize,
    /// Only these frames are written; neighbours within the operation's
    /// radius are still read as context, so a shot rendered in chunks is
    /// identical to one rendered whole.
    pub frames: Option<FrameRange>,
    /// Called from the writing thread after each frame is written.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// Set to stop early; the run returns [`Error::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    pub frames_read: u64,
    pub frames_written: u64,
}

/// Frames queued between stages, per worker.
const QUEUE_PER_WORKER: usize = 1;

/// Most frames alive between decode and write for a window `radius` and
/// `workers` threads per stage: independent of the clip's length. A
/// frame holds its place until it is written, so the frames ahead of the
/// oldest unwritten one need places: its `radius` right-hand neighbours,
/// one more frame per further render, and one per analysis, with two to
/// spare for the decoder's hand-over and the writer. The `radius` frames
/// behind a window are already written and hold none, though the window
/// still keeps their analyses: so analyses alive are at most this plus
/// `radius`.
///
/// When the stages share the workers (`shared`, see
/// [`Operation::shares_workers_between_stages`]) a frame being analysed
/// takes a worker from the renders, so no place is kept per analysis:
/// `workers` renders at once need their frames and `radius` right-hand
/// neighbours, plus one for the decoder's hand-over. Each place saved is
/// an analysis not held (reangle's warped frame and depth, about 34 MB at
/// 1080p).
pub fn in_flight_bound(radius: usize, workers: usize, shared: bool) -> usize {
    if shared {
        radius + workers + 1
    } else {
        radius + 2 * workers + 2
    }
}

/// A count of permits shared by the analysis and render workers (see
/// [`Operation::shares_workers_between_stages`]).
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn new(n: usize) -> Self {
        Permits {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    /// Run `work`, once a permit is free when there are `permits`.
    fn limit<T>(permits: Option<&Permits>, work: impl FnOnce() -> T) -> T {
        match permits {
            Some(p) => p.with(work),
            None => work(),
        }
    }

    /// Run `work` once a permit is free.
    fn with<T>(&self, work: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        // Given back on every exit, a panic included.
        struct Release<'a>(&'a Permits);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        work()
    }
}

/// Run `op` over `source` into `sink`, then publish the sink's output. On
/// any error the sink is dropped unfinished, so nothing appears under the
/// output's final name.
pub fn run<O: Operation>(
    source: &mut dyn FrameSource,
    op: &O,
    sink: Box<dyn FrameSink>,
    opts: &PipelineOptions<'_>,
) -> Result<RunStats> {
    let workers = if opts.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.workers
    };
    let radius = op.radius();
    let info = source.info().clone();
    if let Some(r) = &opts.frames {
        r.check_within_clip(&info)?;
    }
    // Context frames before and after the requested range.
    let read_from = opts
        .frames
        .as_ref()
        .map(|r| (r.first() - radius as i64).max(info.first_frame));
    let read_to = opts
        .frames
        .as_ref()
        .and_then(|r| r.last())
        .map(|l| l + radius as i64);
    let total = frames_written(opts.frames.as_ref(), info.first_frame, info.frames);
    if let Some(from) = read_from {
        if from > info.first_frame {
            source.seek(from)?;
        }
    }

    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let abort = AtomicBool::new(false);
    let fail = |e: Error| {
        abort.store(true, Ordering::Relaxed);
        if let Ok(mut slot) = first_error.lock() {
            if slot.is_none() {
                *slot = Some(e);
            }
        }
    };
    let aborted = || abort.load(Ordering::Relaxed);
    let cancelled = || {
        opts.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let depth = workers * QUEUE_PER_WORKER;
    // A token per frame between decode and write (or skip): the hard bound
    // on frames alive, whatever order the workers finish in.
    // Enough for every stage to be busy: decode ahead, each analysis and
    // render worker, the window, the writer.
    let in_flight = in_flight_bound(radius, workers, op.shares_workers_between_stages());
    let (token_tx, token_rx) = bounded::<()>(in_flight);
    // A decoded frame that the analysis turns into something else (its
    // data is dropped there) waits for nothing in a queue: it is handed
    // to a free analysis worker straight from the decoder.
    let decoded_depth = if op.renders_from_source() { depth } else { 0 };
    let (decoded_tx, decoded_rx) = bounded::<(u64, Arc<Frame>)>(decoded_depth);
    let permits = op
        .shares_workers_between_stages()
        .then(|| Permits::new(workers));
    let permits = permits.as_ref();
    let (analysed_tx, analysed_rx) = bounded::<(u64, Arc<Item<O::Analysis>>)>(depth);
    let (job_tx, job_rx) = bounded::<(u64, Window<O::Analysis>)>(depth);
    let (done_tx, done_rx) = bounded::<(u64, Arc<Frame>)>(depth);
    let mut stats = RunStats::default();
    let mut sink = Some(sink);

    // A thread the system refuses (process limit) fails the run cleanly.
    let no_thread = |e: std::io::Error| fail(thread_error(&e));
    std::thread::scope(|s| {
        let spawn = || std::thread::Builder::new();
        // Decode.
        let decode = spawn().spawn_scoped(s, || {
            let tx = decoded_tx;
            let mut seq = 0u64;
            loop {
                if cancelled() {
                    fail(Error::Cancelled);
                    break;
                }
                if aborted() {
                    break;
                }
                match source.next_frame() {
                    Ok(Some(f)) => {
                        if read_to.is_some_and(|to| f.index > to) {
                            break;
                        }
                        if read_from.is_some_and(|from| f.index < from) {
                            continue;
                        }
                        if token_tx.send(()).is_err() || tx.send((seq, Arc::new(f))).is_err() {
                            break;
                        }
                        seq += 1;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        fail(e);
                        break;
                    }
                }
            }
            seq
        });
        let decode = decode.map_err(no_thread).ok();
        // Analyse.
        for _ in 0..workers {
            let rx = decoded_rx.clone();
            let tx = analysed_tx.clone();
            let (fail, aborted) = (&fail, &aborted);
            let started = spawn().spawn_scoped(s, move || {
                stage(rx, tx, aborted, fail, |frame: Arc<Frame>| {
                    if op.renders_from_source() {
                        let analysis = Permits::limit(permits, || op.analyse(&frame))?;
                        return Ok(Arc::new(Item { frame, analysis }));
                    }
                    // Only the frame's number and size are kept; its
                    // pixels go to the analysis, which may free them early.
                    let shape = Arc::new(Frame {
                        index: frame.index,
                        width: frame.width,
                        height: frame.height,
                        channels: frame.channels,
                        data: Vec::new(),
                    });
                    let analysis = Permits::limit(permits, || op.analyse_owned(frame))?;
                    Ok(Arc::new(Item {
                        frame: shape,
                        analysis,
                    }))
                })
            });
            if let Err(e) = started {
                no_thread(e);
            }
        }
        drop(decoded_rx);
        drop(analysed_tx);
        // Assemble windows in order.
        let frames = opts.frames.clone();
        let skip_rx = token_rx.clone();
        let started = spawn().spawn_scoped(s, move || {
            assemble(analysed_rx, job_tx, radius, frames.as_ref(), || {
                let _ = skip_rx.try_recv();
            })
        });
        if let Err(e) = started {
            no_thread(e);
        }
        // Render.
        for _ in 0..workers {
            let rx = job_rx.clone();
            let tx = done_tx.clone();
            let (fail, aborted) = (&fail, &aborted);
            // The cancel flag also stops a frame between its long steps.
            let flag = opts.cancel.clone();
            let started = spawn().spawn_scoped(s, move || {
                let render = || {
                    stage(rx, tx, aborted, fail, |window| {
                        Permits::limit(permits, || op.render(&window))
                    })
                };
                match flag {
                    Some(flag) => {
                        crate::cancel::with_check(move || flag.load(Ordering::Relaxed), render)
                    }
                    None => render(),
                }
            });
            if let Err(e) = started {
                no_thread(e);
            }
        }
        drop(job_rx);
        drop(done_tx);
        // Write in order, on this thread.
        let mut pending: BTreeMap<u64, Arc<Frame>> = BTreeMap::new();
        let mut next = 0u64;
        let mut write_failed = false;
        for (seq, frame) in done_rx.iter() {
            pending.insert(seq, frame);
            while let Some(frame) = pending.remove(&next) {
                let Some(sink) = sink.as_mut() else { break };
                if let Err(e) = sink.write(&frame) {
                    fail(e);
                    write_failed = true;
                    break;
                }
                next += 1;
                let _ = token_rx.try_recv();
                stats.frames_written += 1;
                if let Some(p) = opts.progress {
                    p(Progress {
                        done: stats.frames_written,
                        total,
                        last_index: frame.index,
                    });
                }
            }
            if write_failed {
                break;
            }
        }
        drop(done_rx);
        drop(token_rx);
        stats.frames_read = decode.and_then(|d| d.join().ok()).unwrap_or(0);
    });

    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    if stats.frames_written == 0 {
        return Err(Error::input(
            &info.path,
            match &opts.frames {
                Some(r) => format!("no frames in range {}", r.text()),
                None => "the clip has no frames".to_string(),
            },
        ));
    }
    match sink.take() {
        Some(s) => s.finish()?,
        None => return Err(Error::Internal("sink lost".into())),
    }
    Ok(stats)
}

/// Start rayon's shared pool now, so a system that refuses threads gives
/// an error here instead of a panic at the first parallel loop.
pub fn start_thread_pool() -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .build_global()
        .map_err(|e| thread_error(&e))
}

/// The error for a thread the system would not start (usually the
/// process limit, `ulimit -u`): what to change, not a panic.
fn thread_error(e: &dyn std::fmt::Display) -> Error {
    Error::parameter(
        "threads",
        format!(
            "the system refused to start a worker thread ({e}); use fewer {} or raise the \
             process limit (ulimit -u)",
            crate::params::mention("threads")
        ),
    )
}

/// One worker of a parallel stage: apply `work` to each numbered item until
/// the input ends, the output closes, or any stage has failed.
fn stage<I, O>(
    rx: Receiver<(u64, I)>,
    tx: Sender<(u64, O)>,
    aborted: &dyn Fn() -> bool,
    fail: &dyn Fn(Error),
    work: impl Fn(I) -> Result<O>,
) {
    for (seq, item) in rx.iter() {
        if aborted() {
            break;
        }
        match work(item) {
            Ok(out) => {
                if tx.send((seq, out)).is_err() {
                    break;
                }
            }
            Err(e) => {
                fail(e);
                break;
            }
        }
    }
}

/// Reorder analysed frames and hand out complete windows: frame `t` is
/// ready once `t + radius` has arrived (or the clip ended).
fn assemble<A: Send + Sync + 'static>(
    rx: Receiver<(u64, Arc<Item<A>>)>,
    tx: Sender<(u64, Window<A>)>,
    radius: usize,
    frames: Option<&FrameRange>,
    release: impl Fn(),
) {
    let mut pending: BTreeMap<u64, Arc<Item<A>>> = BTreeMap::new();
    let mut ring: VecDeque<Arc<Item<A>>> = VecDeque::with_capacity(2 * radius + 2);
    // Sequence number of ring[0], and of the next frame to render.
    let mut ring_start = 0u64;
    let mut next_in = 0u64;
    let mut next_render = 0u64;
    let mut out_seq = 0u64;

    let emit = |ring: &VecDeque<Arc<Item<A>>>, ring_start: u64, t: u64, out_seq: &mut u64| {
        let centre = (t - ring_start) as usize;
        let lo = centre.saturating_sub(radius);
        let hi = (centre + radius).min(ring.len() - 1);
        let item = &ring[centre];
        if frames.is_some_and(|r| !r.contains(item.frame.index)) {
            release();
            return true;
        }
        let items: Vec<_> = ring.range(lo..=hi).cloned().collect();
        let ok = tx.send((*out_seq, Window::new(items, centre - lo))).is_ok();
        *out_seq += 1;
        ok
    };

    for (seq, item) in rx.iter() {
        pending.insert(seq, item);
        while let Some(item) = pending.remove(&next_in) {
            ring.push_back(item);
            next_in += 1;
            // Frames whose right-hand context is now complete.
            while next_render + (radius as u64) < next_in {
                if !emit(&ring, ring_start, next_render, &mut out_seq) {
                    return;
                }
                next_render += 1;
                // Drop what no later window needs.
                while ring_start + (radius as u64) < next_render {
                    ring.pop_front();
                    ring_start += 1;
                }
            }
        }
    }
    // End of clip: the last frames have short right-hand windows.
    while next_render < next_in {
        if !emit(&ring, ring_start, next_render, &mut out_seq) {
            return;
        }
        next_render += 1;
        while ring_start + (radius as u64) < next_render && !ring.is_empty() {
            ring.pop_front();
            ring_start += 1;
        }
    }
}

/// Passes frames through unchanged: `retake convert`, and the baseline of
/// the pipeline benchmark.
pub struct Identity;

impl Operation for Identity {
    type Analysis = ();

    fn radius(&self) -> usize {
        0
    }

    fn analyse(&self, _frame: &Frame) -> Result<()> {
        Ok(())
    }

    fn render(&self, window: &Window<()>) -> Result<Arc<Frame>> {
        Ok(window.centre().frame.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clip::ClipInfo;
    use std::sync::atomic::AtomicUsize;

    struct Counting {
        n: u64,
        next: u64,
        info: ClipInfo,
        fail_at: Option<u64>,
    }

    fn info(n: u64) -> ClipInfo {
        ClipInfo::in_memory("memory://test", 4, 2, Some(n))
    }

    impl Counting {
        fn new(n: u64) -> Self {
            Counting {
                n,
                next: 0,
                info: info(n),
                fail_at: None,
            }
        }
    }

    impl FrameSource for Counting {
        fn info(&self) -> &ClipInfo {
            &self.info
        }
        fn next_frame(&mut self) -> Result<Option<Frame>> {
            if Some(self.next) == self.fail_at {
                return Err(Error::input("memory://test", "corrupt frame"));
            }
            if self.next >= self.n {
                return Ok(None);
            }
            let i = self.next as i64;
            self.next += 1;
            Ok(Some(Frame::filled(i, 4, 2, 3, i as f32)))
        }
    }

    #[derive(Default)]
    struct Collect {
        frames: Arc<Mutex<Vec<Frame>>>,
        finished: Arc<AtomicBool>,
    }

    impl FrameSink for Collect {
        fn write(&mut self, frame: &Frame) -> Result<()> {
            self.frames.lock().unwrap().push(frame.clone());
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<()> {
            self.finished.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    /// Live-object counter standing in for frame memory.
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Averages its window, with jittered work so workers finish out of order.
    struct Average {
        radius: usize,
        live: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
        shares: bool,
    }

    impl Operation for Average {
        type Analysis = Guard;
        fn radius(&self) -> usize {
            self.radius
        }
        fn analyse(&self, frame: &Frame) -> Result<Guard> {
            let now = self.live.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            if frame.index % 7 == 3 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            Ok(Guard(self.live.clone()))
        }
        fn render(&self, w: &Window<Guard>) -> Result<Arc<Frame>> {
            let c = &w.centre().frame;
            let mean = w.iter().map(|(_, it)| it.frame.data[0]).sum::<f32>() / w.len() as f32;
            Ok(Arc::new(Frame::filled(c.index, c.width, c.height, 3, mean)))
        }
        fn shares_workers_between_stages(&self) -> bool {
            self.shares
        }
    }

    fn average(radius: usize) -> Average {
        Average {
            radius,
            live: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
            shares: false,
        }
    }

    fn run_collect(
        n: u64,
        op: &Average,
        workers: usize,
        frames: Option<&str>,
    ) -> Result<Vec<Frame>> {
        let sink = Collect::default();
        let out = sink.frames.clone();
        let opts = PipelineOptions {
            workers,
            frames: frames.map(|f| FrameRange::parse(f).unwrap()),
            ..Default::default()
        };
        run(&mut Counting::new(n), op, Box::new(sink), &opts)?;
        let v = out.lock().unwrap().clone();
        Ok(v)
    }

    fn expected(n: i64, radius: i64, t: i64) -> f32 {
        let lo = (t - radius).max(0);
        let hi = (t + radius).min(n - 1);
        (lo..=hi).map(|i| i as f32).sum::<f32>() / (hi - lo + 1) as f32
    }

    #[test]
    fn frames_arrive_in_order_with_full_windows() {
        for workers in [1, 2, 4] {
            let out = run_collect(50, &average(3), workers, None).unwrap();
            assert_eq!(out.len(), 50);
            for (i, f) in out.iter().enumerate() {
                assert_eq!(f.index, i as i64);
                assert_eq!(f.data[0], expected(50, 3, i as i64), "frame {i}");
            }
        }
    }

    #[test]
    fn ranges_read_context_so_chunks_match_the_whole() {
        let whole = run_collect(40, &average(2), 2, None).unwrap();
        let a = run_collect(40, &average(2), 2, Some("0-19")).unwrap();
        let b = run_collect(40, &average(2), 2, Some("20-39")).unwrap();
        let chunks: Vec<_> = a.into_iter().chain(b).collect();
        assert_eq!(whole, chunks);
    }

    #[test]
    fn memory_is_bounded_by_window_not_clip_length() {
        let peaks: Vec<usize> = [100u64, 1000]
            .iter()
            .map(|&n| {
                let op = average(4);
                run_collect(n, &op, 2, None).unwrap();
                assert_eq!(op.live.load(Ordering::SeqCst), 0, "analyses leaked");
                op.peak.load(Ordering::SeqCst)
            })
            .collect();
        // Tokens, plus the window's already-rendered left half.
        let bound = in_flight_bound(4, 2, false) + 4 + 1;
        // The bound does not depend on the clip's length; both runs stay under it.
        assert!(
            peaks.iter().all(|&p| p <= bound),
            "peaks {peaks:?} over bound {bound}"
        );
    }

    #[test]
    fn stages_sharing_workers_hold_fewer_analyses_with_the_same_output() {
        let free = average(4);
        let shared = Average {
            shares: true,
            ..average(4)
        };
        let a = run_collect(300, &free, 2, None).unwrap();
        let b = run_collect(300, &shared, 2, None).unwrap();
        assert_eq!(a, b);
        assert_eq!(shared.live.load(Ordering::SeqCst), 0, "analyses leaked");
        let bound = in_flight_bound(4, 2, true) + 4 + 1;
        assert!(bound < in_flight_bound(4, 2, false) + 4 + 1);
        let peak = shared.peak.load(Ordering::SeqCst);
        assert!(peak <= bound, "peak {peak} over bound {bound}");
        // A window still fits: the bound never starves a render.
        assert!(in_flight_bound(4, 1, true) > 4);
    }

    /// Records how many analyses and renders run at once.
    struct Busy {
        shares: bool,
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Busy {
        fn new(shares: bool) -> Self {
            Busy {
                shares,
                now: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
            }
        }

        fn work<T>(&self, f: impl FnOnce() -> T) -> T {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(1));
            let out = f();
            self.now.fetch_sub(1, Ordering::SeqCst);
            out
        }
    }

    impl Operation for Busy {
        type Analysis = f32;
        fn radius(&self) -> usize {
            2
        }
        fn analyse(&self, frame: &Frame) -> Result<f32> {
            Ok(self.work(|| frame.data[0]))
        }
        fn render(&self, w: &Window<f32>) -> Result<Arc<Frame>> {
            let c = &w.centre().frame;
            let sum = self.work(|| w.iter().map(|(_, it)| it.analysis).sum::<f32>());
            Ok(Arc::new(Frame::filled(c.index, c.width, c.height, 3, sum)))
        }
        fn renders_from_source(&self) -> bool {
            false
        }
        fn shares_workers_between_stages(&self) -> bool {
            self.shares
        }
    }

    fn run_busy(op: &Busy, workers: usize) -> Vec<Frame> {
        let sink = Collect::default();
        let out = sink.frames.clone();
        let opts = PipelineOptions {
            workers,
            ..Default::default()
        };
        run(&mut Counting::new(40), op, Box::new(sink), &opts).unwrap();
        let v = out.lock().unwrap().clone();
        v
    }

    #[test]
    fn stages_that_share_workers_run_at_most_that_many_at_once_with_the_same_output() {
        let free = Busy::new(false);
        let shared = Busy::new(true);
        let a = run_busy(&free, 2);
        let b = run_busy(&shared, 2);
        assert_eq!(a, b);
        assert_eq!(a.len(), 40);
        assert!(shared.most.load(Ordering::SeqCst) <= 2, "{:?}", shared.most);
        // One worker: one thing at a time, nothing lost.
        let one = Busy::new(true);
        assert_eq!(run_busy(&one, 1), a);
        assert_eq!(one.most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn source_error_stops_the_run_and_skips_finish() {
        let sink = Collect::default();
        let finished = sink.finished.clone();
        let mut src = Counting::new(100);
        src.fail_at = Some(30);
        let err = run(
            &mut src,
            &average(1),
            Box::new(sink),
            &PipelineOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("corrupt frame"), "{err}");
        assert!(!finished.load(Ordering::SeqCst));
    }

    #[test]
    fn range_outside_clip_is_rejected() {
        let err = run_collect(10, &average(0), 1, Some("5-20")).unwrap_err();
        assert!(matches!(err, Error::Range { .. }), "{err}");
    }

    #[test]
    fn cancel_stops_early() {
        let cancel = Arc::new(AtomicBool::new(true));
        let opts = PipelineOptions {
            cancel: Some(cancel),
            ..Default::default()
        };
        let err = run(
            &mut Counting::new(10),
            &Identity,
            Box::new(Collect::default()),
            &opts,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled));
    }
}
