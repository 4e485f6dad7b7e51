//! Hand the memory of a frame buffer's unread parts back to the system.
//!
//! Once a frame is rendered, its warped picture and depth are read only
//! by its neighbours' renders, around where their holes map to (bands at
//! the frame's edges for an orbit): the rest of the buffer is dead weight
//! for as long as the window holds the frame. Its pages are returned to
//! the kernel in place (`MADV_DONTNEED`: the buffer stays allocated and
//! its released pages read as zeros), so no compact copy is made and the
//! removal engine still sees a whole frame.

/// Size of a memory page, asked once.
fn page_size() -> usize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf only reads a system constant.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            return size as usize;
        }
    }
    4096
}

/// The byte ranges (offsets into `buffer`) of whole pages that hold no
/// pixel `keep` marks; a pixel is `per_pixel` elements of `buffer`.
fn unread_pages<T>(
    buffer: &[T],
    per_pixel: usize,
    keep: &[bool],
    page: usize,
) -> Vec<(usize, usize)> {
    let size = std::mem::size_of::<T>() * per_pixel;
    let bytes = std::mem::size_of_val(buffer);
    if size == 0 || page == 0 || keep.len() * size != bytes {
        return Vec::new();
    }
    let base = buffer.as_ptr() as usize;
    // The first whole page inside the buffer, as an offset from its start.
    let first = base.next_multiple_of(page) - base;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = first;
    while start + page <= bytes {
        let end = start + page;
        let pixels = start / size..end.div_ceil(size);
        if !keep[pixels].iter().any(|k| *k) {
            match runs.last_mut() {
                Some(run) if run.1 == start => run.1 = end,
                _ => runs.push((start, end)),
            }
        }
        start = end;
    }
    runs
}

/// Return to the kernel the pages of `buffer` that hold only pixels
/// `keep` leaves unmarked (`per_pixel` elements each, `keep` one flag
/// per pixel); returns the bytes released. The caller promises that no
/// one reads those pixels again: they read as zeros from now on.
/// Elsewhere than Linux nothing is released.
///
/// # Safety
/// The released pixels change under `buffer`'s shared borrow: nothing may
/// read them again (now or on another thread) unless a zero is what it
/// expects, and `T` must be a plain number type for which all-zero bytes
/// are a valid value.
pub unsafe fn release_unread<T: Copy>(buffer: &[T], per_pixel: usize, keep: &[bool]) -> usize {
    let runs = unread_pages(buffer, per_pixel, keep, page_size());
    let mut released = 0;
    for (start, end) in runs {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: [start, end) is page-aligned and lies inside
            // `buffer`'s allocation, which stays allocated (the kernel
            // only drops the pages' contents: they read as zeros, a valid
            // value of the plain number types this is used on); the caller
            // guarantees that nothing reads those pixels any more.
            let rc = unsafe {
                libc::madvise(
                    (buffer.as_ptr() as *mut u8).add(start).cast(),
                    end - start,
                    libc::MADV_DONTNEED,
                )
            };
            if rc == 0 {
                released += end - start;
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (start, end);
    }
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_pages_without_a_kept_pixel_are_released() {
        // 3 floats a pixel, 1000 pixels: 12000 bytes over 3-4 pages.
        let buffer = vec![1.0f32; 3000];
        let page = 4096;
        let mut keep = vec![false; 1000];
        let all = unread_pages(&buffer, 3, &keep, page);
        let bytes: usize = all.iter().map(|(a, b)| b - a).sum();
        assert!(bytes >= page, "{all:?}");
        for (a, b) in &all {
            assert!(*a < *b && *b <= 12000);
            assert_eq!((buffer.as_ptr() as usize + a) % page, 0);
        }
        // A kept pixel keeps the page (or two) its bytes lie in.
        keep[500] = true;
        let some = unread_pages(&buffer, 3, &keep, page);
        for (a, b) in &some {
            assert!(!(500 * 12 + 12 > *a && 500 * 12 < *b), "{some:?}");
        }
        keep.fill(true);
        assert!(unread_pages(&buffer, 3, &keep, page).is_empty());
        // A mask of the wrong size releases nothing.
        assert!(unread_pages(&buffer, 3, &keep[..10], page).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn released_pixels_read_as_zeros_and_kept_ones_are_intact() {
        let n = 64 * 1024;
        let buffer: Vec<f32> = (0..n * 3).map(|i| 1.0 + i as f32).collect();
        let keep: Vec<bool> = (0..n).map(|i| i % 7000 < 100).collect();
        // SAFETY: f32 zeros are valid and the test reads the released
        // pixels only to check they are zeros.
        let released = unsafe { release_unread(&buffer, 3, &keep) };
        assert!(released > n * 12 / 2, "{released}");
        for (i, k) in keep.iter().enumerate() {
            if *k {
                for c in 0..3 {
                    assert_eq!(buffer[i * 3 + c], 1.0 + (i * 3 + c) as f32);
                }
            }
        }
        assert!(buffer.contains(&0.0));
    }
}
