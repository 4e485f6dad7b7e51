//! Range checks of parameter values, shared by relight and reangle: the
//! same message for a value or a keyframe outside its range.

use retake_core::error::{Error, Result};
use retake_imageops::keyframes::Keyframes;

/// Check one value against a range, naming the parameter and its unit.
pub(crate) fn check_value(
    name: &str,
    v: f32,
    range: std::ops::RangeInclusive<f32>,
    unit: &str,
) -> Result<()> {
    if range.contains(&v) {
        Ok(())
    } else {
        Err(Error::parameter(
            name,
            format!(
                "{v}{unit} is outside {}..{}{unit}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// Check every key of a keyframed value against a range: with linear
/// interpolation, the frames between keys stay within it too.
pub(crate) fn check_keys(
    name: &str,
    k: &Option<Keyframes>,
    range: std::ops::RangeInclusive<f32>,
    unit: &str,
) -> Result<()> {
    match k {
        Some(k) => k
            .values()
            .try_for_each(|v| check_value(name, v, range.clone(), unit)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relight's former check, kept here to prove the shared one gives the
    /// same answer and message.
    fn old_check_keys(
        name: &str,
        k: &Option<Keyframes>,
        range: std::ops::RangeInclusive<f32>,
        unit: &str,
    ) -> Result<()> {
        if let Some(k) = k {
            for v in k.values() {
                if !range.contains(&v) {
                    return Err(Error::parameter(
                        name,
                        format!(
                            "{v}{unit} is outside {}..{}{unit}",
                            range.start(),
                            range.end()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn shared_check_matches_relights_former_check() {
        let mut s = 0x2545_f491u32;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        for _ in 0..2000 {
            let n = 1 + next() as usize % 4;
            let keys: Vec<(i64, f32)> = (0..n)
                .map(|i| (i as i64 * 10, (next() % 400) as f32 - 200.0))
                .collect();
            let k = Some(Keyframes::new(keys).unwrap());
            let (new, old) = (
                check_keys("yaw", &k, -60.0..=60.0, "°"),
                old_check_keys("yaw", &k, -60.0..=60.0, "°"),
            );
            assert_eq!(new.is_ok(), old.is_ok());
            if let (Err(a), Err(b)) = (new, old) {
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        assert!(check_keys("yaw", &None, -60.0..=60.0, "°").is_ok());
    }
}
