//! The solver's warp: the second picture and its trust map pulled onto the
//! first along the current flow, once per warp and level. A third of the
//! solver's loops outside the sweeps went to it, mostly waiting on its
//! scattered reads one pixel at a time; eight pixels at once (AVX2 gathers)
//! do the same arithmetic per pixel, so the same bits (the tests check it).

use super::Flow;
use crate::sample::Taps;

/// `b` and the trust `ka * kb` (`kb` read where `b` is, zero where the flow
/// leaves the picture) at `p + flow(p)` for every pixel of a `w x h`
/// picture, into `warped` and `trust`.
pub(super) fn pull(
    (b, kb, ka): (&[f32], &[f32], &[f32]),
    flow: &Flow,
    warped: &mut [f32],
    trust: &mut [f32],
) {
    let n = flow.width * flow.height;
    assert!(b.len() >= n && kb.len() >= n && ka.len() >= n);
    assert!(flow.u.len() >= n && flow.v.len() >= n && warped.len() >= n && trust.len() >= n);
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && n > 0 && n < i32::MAX as usize {
        // SAFETY: the CPU has AVX2, the slices hold every pixel (checked
        // above), and every index fits an i32.
        return unsafe { pull_avx2((b, kb, ka), flow, warped, trust) };
    }
    for y in 0..flow.height {
        pull_run((b, kb, ka), flow, warped, trust, y, 0);
    }
}

/// [`pull`] for pixels `x0..` of row `y`, one at a time.
fn pull_run(
    (b, kb, ka): (&[f32], &[f32], &[f32]),
    flow: &Flow,
    warped: &mut [f32],
    trust: &mut [f32],
    y: usize,
    x0: usize,
) {
    let (w, h) = (flow.width, flow.height);
    let (xmax, ymax) = ((w - 1) as f32, (h - 1) as f32);
    for x in x0..w {
        let i = y * w + x;
        let tx = x as f32 + flow.u[i];
        let ty = y as f32 + flow.v[i];
        let taps = Taps::new(w, h, tx, ty);
        warped[i] = taps.read(b);
        let inside = tx >= 0.0 && ty >= 0.0 && tx <= xmax && ty <= ymax;
        trust[i] = if inside { ka[i] * taps.read(kb) } else { 0.0 };
    }
}

/// [`pull`] eight pixels at a time, the row's last few one at a time.
///
/// # Safety
/// The CPU has AVX2; `b`, `kb`, `ka`, the flow's fields, `warped` and
/// `trust` hold at least `w * h` values, and `w * h` fits an i32.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn pull_avx2(
    (b, kb, ka): (&[f32], &[f32], &[f32]),
    flow: &Flow,
    warped: &mut [f32],
    trust: &mut [f32],
) {
    use std::arch::x86_64::*;
    let (w, h) = (flow.width, flow.height);
    let zero = _mm256_setzero_ps();
    let (xmax, ymax) = (
        _mm256_set1_ps((w - 1) as f32),
        _mm256_set1_ps((h - 1) as f32),
    );
    let (wlast, hlast) = (
        _mm256_set1_epi32(w as i32 - 1),
        _mm256_set1_epi32(h as i32 - 1),
    );
    let width = _mm256_set1_epi32(w as i32);
    let one = _mm256_set1_epi32(1);
    let lanes = _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
    let magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let infinity = _mm256_set1_ps(f32::INFINITY);
    // Taps::new per coordinate: clamped into 0..=max as `f32::clamp` does
    // (a value below 0 becomes 0, above max becomes max, -0.0 stays), 0
    // when not finite; the cell's first index by truncation and the
    // fraction.
    let clamp = |t: __m256, max: __m256| {
        let finite = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(t, magnitude), infinity);
        let c = _mm256_min_ps(max, _mm256_max_ps(zero, t));
        _mm256_and_ps(finite, c)
    };
    let lerp = |data: &[f32], i00: __m256i, i01: __m256i, i10: __m256i, i11: __m256i, fx, fy| {
        let p = data.as_ptr();
        // SAFETY: every index is a pixel's, clamped into the picture,
        // and `data` holds every pixel.
        let (d00, d01, d10, d11) = unsafe {
            (
                _mm256_i32gather_ps::<4>(p, i00),
                _mm256_i32gather_ps::<4>(p, i01),
                _mm256_i32gather_ps::<4>(p, i10),
                _mm256_i32gather_ps::<4>(p, i11),
            )
        };
        let top = _mm256_add_ps(d00, _mm256_mul_ps(_mm256_sub_ps(d01, d00), fx));
        let bottom = _mm256_add_ps(d10, _mm256_mul_ps(_mm256_sub_ps(d11, d10), fx));
        _mm256_add_ps(top, _mm256_mul_ps(_mm256_sub_ps(bottom, top), fy))
    };
    for y in 0..h {
        let yf = _mm256_set1_ps(y as f32);
        let mut x = 0;
        while x + 8 <= w {
            let i = y * w + x;
            // SAFETY: pixels `i..i + 8` are in row `y`, and the flow's
            // fields hold every pixel.
            let (u, v) = unsafe {
                (
                    _mm256_loadu_ps(flow.u.as_ptr().add(i)),
                    _mm256_loadu_ps(flow.v.as_ptr().add(i)),
                )
            };
            let tx = _mm256_add_ps(_mm256_add_ps(_mm256_set1_ps(x as f32), lanes), u);
            let ty = _mm256_add_ps(yf, v);
            let (cx, cy) = (clamp(tx, xmax), clamp(ty, ymax));
            let (x0, y0) = (_mm256_cvttps_epi32(cx), _mm256_cvttps_epi32(cy));
            let x1 = _mm256_min_epi32(_mm256_add_epi32(x0, one), wlast);
            let y1 = _mm256_min_epi32(_mm256_add_epi32(y0, one), hlast);
            let fx = _mm256_sub_ps(cx, _mm256_cvtepi32_ps(x0));
            let fy = _mm256_sub_ps(cy, _mm256_cvtepi32_ps(y0));
            let (r0, r1) = (_mm256_mullo_epi32(y0, width), _mm256_mullo_epi32(y1, width));
            let i00 = _mm256_add_epi32(r0, x0);
            let i01 = _mm256_add_epi32(r0, x1);
            let i10 = _mm256_add_epi32(r1, x0);
            let i11 = _mm256_add_epi32(r1, x1);
            let pulled = lerp(b, i00, i01, i10, i11, fx, fy);
            // SAFETY: as the flow's, for `warped`.
            unsafe { _mm256_storeu_ps(warped.as_mut_ptr().add(i), pulled) };
            let inside = _mm256_and_ps(
                _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_GE_OQ>(tx, zero),
                    _mm256_cmp_ps::<_CMP_GE_OQ>(ty, zero),
                ),
                _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_LE_OQ>(tx, xmax),
                    _mm256_cmp_ps::<_CMP_LE_OQ>(ty, ymax),
                ),
            );
            // SAFETY: as the flow's, for `ka`.
            let here = unsafe { _mm256_loadu_ps(ka.as_ptr().add(i)) };
            let known = _mm256_and_ps(
                inside,
                _mm256_mul_ps(here, lerp(kb, i00, i01, i10, i11, fx, fy)),
            );
            // SAFETY: as the flow's, for `trust`.
            unsafe { _mm256_storeu_ps(trust.as_mut_ptr().add(i), known) };
            x += 8;
        }
        pull_run((b, kb, ka), flow, warped, trust, y, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors and single pixels give the bits of the plain per-pixel warp
    /// on flows that leave the picture, land on its edges, and hold NaN,
    /// infinities and signed zeros, for widths around the vector's.
    #[test]
    fn pulling_eight_at_a_time_has_the_bits_of_one_at_a_time() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for (w, h) in [(1, 1), (7, 3), (8, 2), (9, 5), (23, 11), (64, 9)] {
            let n = w * h;
            let mut values = |scale: f32| -> Vec<f32> {
                (0..n)
                    .map(|_| (next() % 100_000) as f32 / 100_000.0 * scale)
                    .collect()
            };
            let (b, kb, ka) = (values(1.0), values(1.0), values(1.0));
            let (mut u, mut v) = (values(3.0 * w as f32), values(3.0 * h as f32));
            for (k, (u, v)) in u.iter_mut().zip(v.iter_mut()).enumerate() {
                *u -= 1.5 * w as f32;
                *v -= 1.5 * h as f32;
                match k % 11 {
                    0 => *u = f32::NAN,
                    1 => *v = f32::INFINITY,
                    2 => *u = f32::NEG_INFINITY,
                    3 => *u = -((k % w) as f32),
                    4 => *v = (h - 1 - k / w) as f32,
                    5 => *u = -0.0 - (k % w) as f32,
                    6 => *u = (w - 1 - k % w) as f32 + 0.25,
                    _ => {}
                }
            }
            let flow = Flow {
                width: w,
                height: h,
                u,
                v,
            };
            let (mut fast, mut fast_trust) = (vec![0.0; n], vec![0.0; n]);
            pull((&b, &kb, &ka), &flow, &mut fast, &mut fast_trust);
            let (mut plain, mut plain_trust) = (vec![0.0; n], vec![0.0; n]);
            for y in 0..h {
                pull_run((&b, &kb, &ka), &flow, &mut plain, &mut plain_trust, y, 0);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&fast), bits(&plain), "warped, {w}x{h}");
            assert_eq!(bits(&fast_trust), bits(&plain_trust), "trust, {w}x{h}");
        }
    }
}
