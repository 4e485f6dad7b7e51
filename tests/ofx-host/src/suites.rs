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
    kOfxStatOK
}

unsafe extern "C" fn clear_persistent_message(handle: *mut c_void) -> OfxStatus {
    lock(&JOURNAL.persistent).retain(|(e, _)| *e != handle as usize);
    kOfxStatOK
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
    setPersistentMessage: Some(retake_host_set_persistent_message),
    clearPersistentMessage: Some(clear_persistent_message),
};

// Memory: blocks carry their size in front so `free` can rebuild the layout.

const HEADER: usize = 16;

unsafe extern "C" fn memory_alloc(
    _handle: *mut c_void,
    bytes: usize,
    out: *mut *mut c_void,
) -> OfxStatus {
    let Ok(layout) = std::alloc::Layout::from_size_align(bytes + HEADER, HEADER) else {
        return kOfxStatErrMemory;
    };
    let p = unsafe { std::alloc::alloc(layout) };
    if p.is_null() {
        return kOfxStatErrMemory;
    }
    unsafe {
        (p as *mut usize).write(bytes);
        *out = p.add(HEADER).cast();
    }
    JOURNAL.allocations.fetch_add(1, Ordering::SeqCst);
    kOfxStatOK
}

unsafe extern "C" fn memory_free(data: *mut c_void) -> OfxStatus {
    if data.is_null() {
        return kOfxStatErrBadHandle;
    }
    unsafe {
        let p = (data as *mut u8).sub(HEADER);
        let bytes = (p as *const usize).read();
        if let Ok(layout) = std::alloc::Layout::from_size_align(bytes + HEADER, HEADER) {
            std::alloc::dealloc(p, layout);
        }
    }
    JOURNAL.allocations.fetch_sub(1, Ordering::SeqCst);
    kOfxStatOK
}

pub static MEMORY_SUITE: OfxMemorySuiteV1 = OfxMemorySuiteV1 {
    memoryAlloc: Some(memory_alloc),
    memoryFree: Some(memory_free),
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
    let Some(f) = f else {
        return kOfxStatErrBadHandle;
    };
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
    kOfxStatOK
}

unsafe extern "C" fn num_cpus(out: *mut c_uint) -> OfxStatus {
    unsafe { *out = std::thread::available_parallelism().map_or(1, |n| n.get()) as c_uint };
    kOfxStatOK
}

unsafe extern "C" fn thread_index(out: *mut c_uint) -> OfxStatus {
    unsafe { *out = THREAD_INDEX.with(|t| t.get()).unwrap_or(0) };
    kOfxStatOK
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
    kOfxStatOK
}

unsafe extern "C" fn mutex_destroy(m: OfxMutexHandle) -> OfxStatus {
    if m.is_null() {
        return kOfxStatErrBadHandle;
    }
    drop(unsafe { Box::from_raw(m as *mut HostMutex) });
    kOfxStatOK
}

unsafe extern "C" fn mutex_lock(m: OfxMutexHandle) -> OfxStatus {
    let Some(m) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return kOfxStatErrBadHandle;
    };
    let me = std::thread::current().id();
    let mut g = lock(&m.count);
    while g.1 > 0 && g.0 != Some(me) {
        g = m.freed.wait(g).unwrap_or_else(|p| p.into_inner());
    }
    *g = (Some(me), g.1 + 1);
    kOfxStatOK
}

unsafe extern "C" fn mutex_unlock(m: OfxMutexHandle) -> OfxStatus {
    let Some(m) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return kOfxStatErrBadHandle;
    };
    let mut g = lock(&m.count);
    if g.1 == 0 {
        return kOfxStatErrUnknown;
    }
    g.1 -= 1;
    if g.1 == 0 {
        g.0 = None;
        m.freed.notify_one();
    }
    kOfxStatOK
}

unsafe extern "C" fn mutex_try_lock(m: OfxMutexHandle) -> OfxStatus {
    let Some(h) = (unsafe { (m as *const HostMutex).as_ref() }) else {
        return kOfxStatErrBadHandle;
    };
    let me = std::thread::current().id();
    let mut g = lock(&h.count);
    if g.1 > 0 && g.0 != Some(me) {
        return kOfxStatFailed;
    }
    *g = (Some(me), g.1 + 1);
    kOfxStatOK
}

pub static MULTI_THREAD_SUITE: OfxMultiThreadSuiteV1 = OfxMultiThreadSuiteV1 {
    multiThread: Some(multi_thread),
    multiThreadNumCPUs: Some(num_cpus),
    multiThreadIndex: Some(thread_index),
    multiThreadIsSpawnedThread: Some(is_spawned_thread),
    mutexCreate: Some(mutex_create),
    mutexDestroy: Some(mutex_destroy),
    mutexLock: Some(mutex_lock),
    mutexUnLock: Some(mutex_unlock),
    mutexTryLock: Some(mutex_try_lock),
};

// Progress: recorded.

unsafe extern "C" fn progress_start(_e: *mut c_void, label: *const c_char) -> OfxStatus {
    lock(&JOURNAL.progress).push(format!("start {}", unsafe { text(label) }));
    kOfxStatOK
}

unsafe extern "C" fn progress_update(_e: *mut c_void, p: c_double) -> OfxStatus {
    lock(&JOURNAL.progress).push(format!("update {p}"));
    kOfxStatOK
}

unsafe extern "C" fn progress_end(_e: *mut c_void) -> OfxStatus {
    lock(&JOURNAL.progress).push("end".into());
    kOfxStatOK
}

pub static PROGRESS_SUITE: OfxProgressSuiteV1 = OfxProgressSuiteV1 {
    progressStart: Some(progress_start),
    progressUpdate: Some(progress_update),
    progressEnd: Some(progress_end),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_blocks_round_trip() {
        let mut p: *mut c_void = std::ptr::null_mut();
        unsafe {
            assert_eq!(memory_alloc(std::ptr::null_mut(), 1000, &mut p), kOfxStatOK);
            std::ptr::write_bytes(p as *mut u8, 7, 1000);
            assert_eq!(memory_free(p), kOfxStatOK);
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
                multi_thread(Some(count), 4, &hits as *const _ as *mut c_void),
                kOfxStatOK
            );
        }
        assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == 1));
        let mut m: OfxMutexHandle = std::ptr::null_mut();
        unsafe {
            mutex_create(&mut m, 0);
            assert_eq!(mutex_lock(m), kOfxStatOK);
            let other = std::thread::spawn({
                let m = m as usize;
                move || mutex_try_lock(m as OfxMutexHandle)
            })
            .join()
            .unwrap();
            assert_eq!(other, kOfxStatFailed, "another thread took a held mutex");
            assert_eq!(mutex_unlock(m), kOfxStatOK);
            assert_eq!(mutex_destroy(m), kOfxStatOK);
        }
    }
}
