//! A typed view of a picture's samples: width, height, channels and the
//! distance between rows travel together, so a building block cannot be
//! handed a width that does not belong to its data.

/// A read-only picture: `height` rows of `width` pixels of `channels`
/// interleaved f32 values, row `y` starting at `y * stride`.
#[derive(Clone, Copy, Debug)]
pub struct Plane<'a> {
    data: &'a [f32],
    width: usize,
    height: usize,
    channels: usize,
    stride: usize,
}

impl<'a> Plane<'a> {
    /// A packed picture (rows back to back).
    #[inline]
    pub fn new(data: &'a [f32], width: usize, height: usize, channels: usize) -> Self {
        Self::with_stride(data, width, height, channels, width * channels)
    }

    /// A picture whose rows are `stride` values apart (a crop of a larger
    /// picture, or a host's padded rows).
    #[inline]
    pub fn with_stride(
        data: &'a [f32],
        width: usize,
        height: usize,
        channels: usize,
        stride: usize,
    ) -> Self {
        debug_assert!(stride >= width * channels);
        debug_assert!(height == 0 || data.len() >= (height - 1) * stride + width * channels);
        Plane {
            data,
            width,
            height,
            channels,
            stride,
        }
    }

    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }

    #[inline]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Values from the start of one row to the start of the next.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The underlying values, from the first row's start.
    #[inline]
    pub fn data(&self) -> &'a [f32] {
        self.data
    }

    /// Whether rows follow each other with no gap.
    #[inline]
    pub fn is_packed(&self) -> bool {
        self.stride == self.width * self.channels
    }

    /// Index of channel `c` of pixel `(x, y)` in [`Plane::data`].
    #[inline]
    pub fn index(&self, x: usize, y: usize, c: usize) -> usize {
        y * self.stride + x * self.channels + c
    }

    /// The pixels of row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> &'a [f32] {
        let start = y * self.stride;
        &self.data[start..start + self.width * self.channels]
    }

    /// The values packed row after row: the data itself when already
    /// packed, else a copy.
    pub fn packed(&self) -> std::borrow::Cow<'a, [f32]> {
        let n = self.width * self.channels * self.height;
        if self.is_packed() {
            std::borrow::Cow::Borrowed(&self.data[..n])
        } else {
            let mut out = Vec::with_capacity(n);
            for y in 0..self.height {
                out.extend_from_slice(self.row(y));
            }
            std::borrow::Cow::Owned(out)
        }
    }
}

/// A packed picture that owns its values: what a building block returns.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaneBuf {
    pub data: Vec<f32>,
    pub width: usize,
    pub height: usize,
    pub channels: usize,
}

impl PlaneBuf {
    /// A picture of zeros.
    pub fn zeros(width: usize, height: usize, channels: usize) -> Self {
        PlaneBuf {
            data: vec![0.0; width * height * channels],
            width,
            height,
            channels,
        }
    }

    /// A view of it.
    #[inline]
    pub fn plane(&self) -> Plane<'_> {
        Plane::new(&self.data, self.width, self.height, self.channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strided_plane_reads_its_rows_and_packs_them() {
        // Two rows of three 1-channel pixels, each row padded to 5 values.
        let data = [1.0, 2.0, 3.0, -1.0, -1.0, 4.0, 5.0, 6.0, -1.0, -1.0];
        let p = Plane::with_stride(&data, 3, 2, 1, 5);
        assert!(!p.is_packed());
        assert_eq!(p.row(1), &[4.0, 5.0, 6.0]);
        assert_eq!(p.data()[p.index(2, 1, 0)], 6.0);
        assert_eq!(&*p.packed(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = PlaneBuf {
            data: p.packed().into_owned(),
            width: 3,
            height: 2,
            channels: 1,
        };
        assert!(b.plane().is_packed());
        assert_eq!(b.plane().row(0), &[1.0, 2.0, 3.0]);
    }
}
