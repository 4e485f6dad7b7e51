//! The smaller suites: memory, multi-thread, message (versions 1 and 2) and
//! progress. Messages are recorded so tests can read what the plugin said.

use std::ffi::{c_char, c_double, c_int, c_uint, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use ofx_abi::*;

/// What the plugin said through the message suite.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The instance (or descriptor) handle it was about, as an address.
    pub effect: usize,
    /// `OfxMessageError`, `OfxMessageWarning`, ...
    pub kind: String,
    pub text: String,
    /// Set with `setPersistentMessage` (version 2).
    pub persistent: bool,
}

/// Everything the suites record.
#[derive(Default)]
pub struct Journal {
    pub messages: Mutex<Vec<Message>>,
    /// Persistent messages now showing, by instance address.
    pub persistent: Mutex<Vec<(usize, String)>>,
    pub progress: Mutex<Vec<String>>,
    pub allocations: AtomicUsize,
}

pub static JOURNAL: std::sync::LazyLock<Journal> = std::sync::LazyLock::new(Journal::default);

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// # Safety
/// Called by the C shim with NUL-terminated strings (or null).
pub(crate) unsafe extern "C" fn message_callback(
    handle: *mut c_void,
    kind: *const c_char,
    _id: *const c_char,
    body: *const c_char,
    persistent: c_int,
) -> OfxStatus {
    let m = Message {
        effect: handle as usize,
        kind: unsafe { text(kind) },
        text: unsafe { text(body) },
        persistent: persistent != 0,
    };
    if m.persistent {
        let mut p = lock(&JOURNAL.persistent);
        p.retain(|(e, _)| *e != m.effect);
        p.push((m.effect, m.text.clone()));
    }
    lock(&JOURNAL.messages).push(m);
    STAT_OK
}

unsafe extern "C" fn clear_persistent_message(handle: *mut c_void) -> OfxStatus {
    lock(&JOURNAL.persistent).retain(|(e, _)| *e != handle as usize);
    STAT_OK
}

extern "C" {
    fn retake_host_message(
        h: *mut c_void,
        kind: *const c_char,
        id: *const c_char,
        format: *const c_char,
        ...
    ) -> OfxStatus;
    fn retake_host_set_persistent_message(
        h: *mut c_void,
        kind: *const c_char,
        id: *const c_char,
        format: *const c_char,
        ...
    ) -> OfxStatus;
}

pub static MESSAGE_SUITE_V1: OfxMessageSuiteV1 = OfxMessageSuiteV1 {
    message: Some(retake_host_message),
};

pub static MESSAGE_SUITE_V2: OfxMessageSuiteV2 = OfxMessageSuiteV2 {
    message: Some(retake_host_message),
    set_persistent_message: Some(retake_host_set_persistent_message),
    clear_persistent_message: Some(clear_persistent_message),
};

// Memory: blocks carry their size in front so `free` can rebuild the layout.

const HEADER: usize = 16;

unsafe extern "C" fn memory_alloc(
    _handle: *mut c_void,
    bytes: usize,
    out: *mut *mut c_void,
) -> OfxStatus {
    let Ok(layout) = std::alloc::Layout::from_size_align(bytes + HEADER, HEADER) else {
        return STAT_ERR_MEMORY;
    };
    let p = unsafe { std::alloc::alloc(layout) };
    if p.is_null() {
        return STAT_ERR_MEMORY;
    }
    unsafe {
        (p as *mut usize).write(bytes);
        *out = p.add(HEADER).cast();
    }
    JOURNAL.allocations.fetch_add(1, Ordering::SeqCst);
    STAT_OK
}

unsafe extern "C" fn memory_free(data: *mut c_void) -> OfxStatus {
    if data.is_null() {
        return STAT_ERR_BAD_HANDLE;
    }
    unsafe {
        let p = (data as *mut u8).sub(HEADER);
        let bytes = (p as *const usize).read();
        if let Ok(layout) = std::alloc::Layout::from_size_align(bytes + HEADER, HEADER) {
            std::alloc::dealloc(p, layout);
        }
    }
    JOURNAL.allocations.fetch_sub(1, Ordering::SeqCst);
    STAT_OK
}

pub static MEMORY_SUITE: OfxMemorySuiteV1 = OfxMemorySuiteV1 {
    memory_alloc: Some(memory_alloc),
    memory_free: Some(memory_free),
};

// Multi-thread: real threads; mutexes are parking_lot-free std mutexes
// wrapped so that lock and unlock can be separate calls.

thread_local! {
    static THREAD_INDEX: std::cell::Cell<Option<c_uint>> = const { std::cell::Cell::new(None) };
}

struct PassPtr(*mut c_void);
// SAFETY: the custom argument is the plugin's to share between its threads.
unsafe impl Send for PassPtr {}
unsafe impl Sync for PassPtr {}

unsafe extern "C" fn multi_thread(
    f: OfxThreadFunctionV1,
    n: c_uint,
    arg: *mut c_void,
) -> OfxStatus {
    let n = n.max(1);
    let arg = PassPtr(arg);
    std::thread::scope(|s| {
        for i in 0..n {
            let arg = &arg;
            s.spawn(move || {
                THREAD_INDEX.with(|t| t.set(Some(i)));
                unsafe { f(i, n, arg.0) };
            });
        }
    });
    STAT_OK
}

unsafe extern "C" fn num_cpus(out: *mut c_uint) -> OfxStatus {
    unsafe { *out = std::thread::available_parallelism().map_or(1, |n| n.get()) as c_uint };
    STAT_OK
}

unsafe extern "C" fn thread_index(out: *mut c_uint) -> OfxStatus {
    unsafe { *out = THREAD_INDEX.with(|t| t.get()).unwrap_or(0) };
    STAT_OK
}

unsafe extern "C" fn is_spawned_thread() -> c_int {
    THREAD_INDEX.with(|t| t.get()).is_some() as c_int
}

/// A counting lock that can be released from a separate call.
struct HostMutex {
    count: Mutex<(Option<std::thread::ThreadId>, usize)>,
    freed: std::sync::Condvar,
}

unsafe extern "C" fn mutex_create(out: *mut OfxMutexHandle, _count: c_int) -> OfxStatus {
    let m = Box::new(HostMutex {
        count: Mutex::new((None, 0)),
        freed: std::sync::Condvar::new(),
    });
    unsafe { *out = Box::into_raw(m) as OfxMutexHandle };
    STAT_OK
}

unsafe extern "C" fn mutex_destroy(m: OfxMutexHandle) -> OfxStatus {
    if m.is_null() {
        return STAT_ERR_BAD_HANDLE;
    }
    drop(unsafe { Box::from_raw(m as *mut HostMutex) });
    STAT_OK
}

unsafe extern "C" fn mutex_lock(m: OfxMutexHandle) -> OfxStatus {
    let Some(m) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return STAT_ERR_BAD_HANDLE;
    };
    let me = std::thread::current().id();
    let mut g = lock(&m.count);
    while g.1 > 0 && g.0 != Some(me) {
        g = m.freed.wait(g).unwrap_or_else(|p| p.into_inner());
    }
    *g = (Some(me), g.1 + 1);
    STAT_OK
}

unsafe extern "C" fn mutex_unlock(m: OfxMutexHandle) -> OfxStatus {
    let Some(m) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return STAT_ERR_BAD_HANDLE;
    };
    let mut g = lock(&m.count);
    if g.1 == 0 {
        return STAT_ERR_UNKNOWN;
    }
    g.1 -= 1;
    if g.1 == 0 {
        g.0 = None;
        m.freed.notify_one();
    }
    STAT_OK
}

unsafe extern "C" fn mutex_try_lock(m: OfxMutexHandle) -> OfxStatus {
    let Some(h) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return STAT_ERR_BAD_HANDLE;
    };
    let me = std::thread::current().id();
    let mut g = lock(&h.count);
    if g.1 > 0 && g.0 != Some(me) {
        return STAT_FAILED;
    }
    *g = (Some(me), g.1 + 1);
    STAT_OK
}

pub static MULTI_THREAD_SUITE: OfxMultiThreadSuiteV1 = OfxMultiThreadSuiteV1 {
    multi_thread: Some(multi_thread),
    multi_thread_num_cpus: Some(num_cpus),
    multi_thread_index: Some(thread_index),
    multi_thread_is_spawned_thread: Some(is_spawned_thread),
    mutex_create: Some(mutex_create),
    mutex_destroy: Some(mutex_destroy),
    mutex_lock: Some(mutex_lock),
    mutex_unlock: Some(mutex_unlock),
    mutex_try_lock: Some(mutex_try_lock),
};

// Progress: recorded.

unsafe extern "C" fn progress_start(_e: *mut c_void, label: *const c_char) -> OfxStatus {
    lock(&JOURNAL.progress).push(format!("start {}", unsafe { text(label) }));
    STAT_OK
}

unsafe extern "C" fn progress_update(_e: *mut c_void, p: c_double) -> OfxStatus {
    lock(&JOURNAL.progress).push(format!("update {p}"));
    STAT_OK
}

unsafe extern "C" fn progress_end(_e: *mut c_void) -> OfxStatus {
    lock(&JOURNAL.progress).push("end".into());
    STAT_OK
}

pub static PROGRESS_SUITE: OfxProgressSuiteV1 = OfxProgressSuiteV1 {
    progress_start: Some(progress_start),
    progress_update: Some(progress_update),
    progress_end: Some(progress_end),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_blocks_round_trip() {
        let mut p: *mut c_void = std::ptr::null_mut();
        unsafe {
            assert_eq!(memory_alloc(std::ptr::null_mut(), 1000, &mut p), STAT_OK);
            std::ptr::write_bytes(p as *mut u8, 7, 1000);
            assert_eq!(memory_free(p), STAT_OK);
        }
    }

    unsafe extern "C" fn count(i: c_uint, n: c_uint, arg: *mut c_void) {
        let hits = unsafe { &*(arg as *const [AtomicUsize; 4]) };
        assert!(i < n);
        hits[i as usize].fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn every_thread_runs_once_and_mutexes_exclude() {
        let hits: [AtomicUsize; 4] = Default::default();
        unsafe {
            assert_eq!(
                multi_thread(count, 4, &hits as *const _ as *mut c_void),
                STAT_OK
            );
        }
        assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1));
        let mut m: OfxMutexHandle = std::ptr::null_mut();
        unsafe {
            mutex_create(&mut m, 0);
            assert_eq!(mutex_lock(m), STAT_OK);
            let other = std::thread::spawn({
                let m = m as usize;
                move || mutex_try_lock(m as OfxMutexHandle)
            })
            .join()
            .unwrap();
            assert_eq!(other, STAT_FAILED, "another thread took a held mutex");
            assert_eq!(mutex_unlock(m), STAT_OK);
            assert_eq!(mutex_destroy(m), STAT_OK);
        }
    }
}
