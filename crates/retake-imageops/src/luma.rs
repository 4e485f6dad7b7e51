//! Rec.709 luma: the one set of weights every grey conversion uses, so a
//! mask, a flow picture and a metric all see the same brightness.

/// Rec.709 (and sRGB) luma weights of linear R, G and B.
pub const REC709_LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

/// The same weights in double precision, for sums done in f64 (rounding
/// the f32 weights up to f64 would change those sums' bits).
pub const REC709_LUMA_F64: [f64; 3] = [0.2126, 0.7152, 0.0722];

/// Luma of a linear RGB pixel (the first three values of `p`), summed in
/// the order R, G, B so every caller gets the same bits.
#[inline]
pub fn luma(p: &[f32]) -> f32 {
    REC709_LUMA[0] * p[0] + REC709_LUMA[1] * p[1] + REC709_LUMA[2] * p[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_precisions_are_the_same_weights() {
        for (a, b) in REC709_LUMA.iter().zip(REC709_LUMA_F64) {
            assert_eq!(*a, b as f32);
        }
    }

    /// The helper must give the bits the written-out sums gave.
    #[test]
    fn luma_matches_the_written_out_sum() {
        let mut s = 0x9e37_79b9u32;
        for _ in 0..10_000 {
            let mut next = || {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 4.0 - 1.0
            };
            let p = [next(), next(), next()];
            let old = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            assert_eq!(luma(&p).to_bits(), old.to_bits());
        }
    }
}
