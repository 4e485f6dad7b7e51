//! Transfer functions and colour tags. Everything inside Retake is
//! scene-linear float; these curves are applied once at each edge
//! (decode, encode) and nowhere else.

use retake_imageops::luma::REC709_LUMA;
use serde::{Deserialize, Serialize};

/// BT.709 OETF constants to full precision (the rounded 1.099 / 0.018 of
/// the standard leave a visible kink and break exact inversion).
const BT709_ALPHA: f32 = 1.099_296_8;
const BT709_BETA: f32 = 0.018_053_97;

/// Transfer characteristic (opto-electronic curve) of stored pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transfer {
    /// Already scene-linear (EXR, float TIFF).
    Linear,
    /// IEC 61966-2-1 piecewise sRGB curve.
    Srgb,
    /// ITU-R BT.709 / BT.601 / BT.2020 camera OETF (inverted on decode, as
    /// compositing apps do for "rec709" footage).
    Bt709,
    /// BT.1886 display EOTF: a pure 2.4 power.
    Bt1886,
    /// Pure 2.2 power.
    Gamma22,
}

impl Transfer {
    pub const ALL: [Transfer; 5] = [
        Transfer::Linear,
        Transfer::Srgb,
        Transfer::Bt709,
        Transfer::Bt1886,
        Transfer::Gamma22,
    ];

    /// Stored (non-linear, 0..1) value to scene-linear.
    pub fn to_linear(self, v: f32) -> f32 {
        match self {
            Transfer::Linear => v,
            Transfer::Srgb => {
                if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            }
            Transfer::Bt709 => {
                if v < 4.5 * BT709_BETA {
                    v / 4.5
                } else {
                    ((v + BT709_ALPHA - 1.0) / BT709_ALPHA).powf(1.0 / 0.45)
                }
            }
            Transfer::Bt1886 => v.max(0.0).powf(2.4),
            Transfer::Gamma22 => v.max(0.0).powf(2.2),
        }
    }

    /// Scene-linear to stored (non-linear) value; the exact inverse of
    /// [`Transfer::to_linear`] on 0..1.
    pub fn from_linear(self, l: f32) -> f32 {
        match self {
            Transfer::Linear => l,
            Transfer::Srgb => {
                if l <= 0.003_130_8 {
                    l * 12.92
                } else {
                    1.055 * l.powf(1.0 / 2.4) - 0.055
                }
            }
            Transfer::Bt709 => {
                if l < BT709_BETA {
                    l * 4.5
                } else {
                    BT709_ALPHA * l.powf(0.45) - (BT709_ALPHA - 1.0)
                }
            }
            Transfer::Bt1886 => l.max(0.0).powf(1.0 / 2.4),
            Transfer::Gamma22 => l.max(0.0).powf(1.0 / 2.2),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Transfer::Linear => "linear",
            Transfer::Srgb => "srgb",
            Transfer::Bt709 => "bt709",
            Transfer::Bt1886 => "bt1886",
            Transfer::Gamma22 => "gamma22",
        }
    }

    /// Parse a user-facing name (`--transfer srgb`).
    pub fn parse(s: &str) -> Option<Transfer> {
        let s = s.to_ascii_lowercase();
        Transfer::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .or(match s.as_str() {
                "rec709" | "bt.709" => Some(Transfer::Bt709),
                "gamma24" | "bt.1886" => Some(Transfer::Bt1886),
                "lin" | "scene-linear" => Some(Transfer::Linear),
                _ => None,
            })
    }

    /// Table that turns `bits`-bit integer codes into linear values.
    pub fn decode_table(self, bits: u32) -> Vec<f32> {
        let max = ((1u32 << bits) - 1) as f32;
        (0..(1u32 << bits))
            .map(|c| self.to_linear(c as f32 / max))
            .collect()
    }
}

/// Fast linear -> stored conversion for the encode edge: a table over the
/// float bit pattern with linear interpolation, accurate to about 2e-6
/// relative, which is well below one 16-bit code.
pub struct EncodeTable {
    transfer: Transfer,
    table: Vec<f32>,
}

const TABLE_SHIFT: u32 = 15;
/// Smallest tabulated input: 2^-24; below that the curve is treated as its
/// tangent at zero (all supported curves are linear or flat there).
const TABLE_MIN_BITS: u32 = 103 << 23;
/// Largest tabulated input: 2^8 (stored values above 1 are clipped anyway).
const TABLE_MAX_BITS: u32 = 135 << 23;

impl EncodeTable {
    pub fn new(transfer: Transfer) -> Self {
        let n = ((TABLE_MAX_BITS - TABLE_MIN_BITS) >> TABLE_SHIFT) as usize + 2;
        let table = (0..n)
            .map(|i| {
                let bits = TABLE_MIN_BITS + ((i as u32) << TABLE_SHIFT);
                transfer.from_linear(f32::from_bits(bits))
            })
            .collect();
        EncodeTable { transfer, table }
    }

    pub fn transfer(&self) -> Transfer {
        self.transfer
    }

    /// Scene-linear to stored value (not clamped).
    #[inline]
    pub fn encode(&self, l: f32) -> f32 {
        if self.transfer == Transfer::Linear {
            return if l.is_nan() { 0.0 } else { l };
        }
        let bits = l.to_bits();
        if !(TABLE_MIN_BITS..TABLE_MAX_BITS).contains(&bits) {
            // Negative, tiny, huge or NaN: exact path (rare).
            if l.is_nan() {
                return 0.0;
            }
            return self.transfer.from_linear(l.max(0.0));
        }
        let off = bits - TABLE_MIN_BITS;
        let i = (off >> TABLE_SHIFT) as usize;
        let frac = (off & ((1 << TABLE_SHIFT) - 1)) as f32 / (1u32 << TABLE_SHIFT) as f32;
        let a = self.table[i];
        let b = self.table[i + 1];
        a + (b - a) * frac
    }
}

/// YCbCr matrix coefficients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matrix {
    /// Stored as RGB, no matrix.
    Rgb,
    Bt709,
    Bt601,
    Bt2020,
}

impl Matrix {
    /// Luma weights (Kr, Kb).
    pub fn kr_kb(self) -> (f32, f32) {
        match self {
            Matrix::Rgb | Matrix::Bt709 => (REC709_LUMA[0], REC709_LUMA[2]),
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt2020 => (0.2627, 0.0593),
        }
    }
}

/// Colour primaries of the stored RGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Primaries {
    Bt709,
    Bt601,
    Bt2020,
    Unknown,
}

/// Everything needed to turn stored pixels into scene-linear RGB and back,
/// and to tag an output so other tools read it the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourTags {
    pub transfer: Transfer,
    pub matrix: Matrix,
    pub primaries: Primaries,
    /// Full (0-255) rather than limited (16-235) code range.
    pub full_range: bool,
    /// True when any of the above came from a default instead of the file.
    pub guessed: bool,
}

impl ColourTags {
    /// What untagged video is assumed to be: BT.709 for HD, BT.601 for SD.
    pub fn untagged_video(height: usize) -> Self {
        let hd = height >= 720;
        ColourTags {
            transfer: Transfer::Bt709,
            matrix: if hd { Matrix::Bt709 } else { Matrix::Bt601 },
            primaries: if hd {
                Primaries::Bt709
            } else {
                Primaries::Bt601
            },
            full_range: false,
            guessed: true,
        }
    }

    /// Scene-linear float images (EXR).
    pub fn linear() -> Self {
        ColourTags {
            transfer: Transfer::Linear,
            matrix: Matrix::Rgb,
            primaries: Primaries::Bt709,
            full_range: true,
            guessed: false,
        }
    }

    /// Integer RGB images (PNG, TIFF) are sRGB unless told otherwise.
    pub fn srgb_image() -> Self {
        ColourTags {
            transfer: Transfer::Srgb,
            matrix: Matrix::Rgb,
            primaries: Primaries::Bt709,
            full_range: true,
            guessed: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_invert() {
        for t in Transfer::ALL {
            for i in 0..=1000 {
                let v = i as f32 / 1000.0;
                let back = t.from_linear(t.to_linear(v));
                assert!((back - v).abs() < 2e-6, "{t:?} at {v}: {back}");
            }
        }
    }

    #[test]
    fn encode_table_matches_exact_curve() {
        for t in Transfer::ALL {
            let table = EncodeTable::new(t);
            for i in 0..=100_000 {
                let l = (i as f32 / 100_000.0).powi(3) * 1.5;
                let exact = t.from_linear(l);
                let fast = table.encode(l);
                assert!(
                    (exact - fast).abs() <= 1e-5 * exact.abs().max(1e-3),
                    "{t:?} at {l}: {exact} vs {fast}"
                );
            }
            if t != Transfer::Linear {
                assert_eq!(table.encode(-1.0), t.from_linear(0.0));
            }
            assert_eq!(table.encode(f32::NAN), 0.0);
        }
    }
}
