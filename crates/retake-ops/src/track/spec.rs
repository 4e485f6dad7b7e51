//! The keyframe list a user types: `FRAME=MASK[,FRAME=MASK...]`, where MASK
//! is a picture (white = object) or `box:x,y,w,h` (pixels of the shot). A
//! box's own commas are read as its four numbers, so boxes and files mix in
//! one list: `0=dog.png,40=box:120,80,60,90,80=dog_80.png`.

use std::fmt;

use retake_core::error::{Error, Result};

/// A rectangle at a keyframe, in the shot's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBox {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

/// What is given at one keyframe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// A mask picture to read.
    File(String),
    /// A box around the object; its mask is found in the picture.
    Box(KeyBox),
}

/// One keyframe as typed: frame number (the shot's numbering) and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyframeSpec {
    pub frame: i64,
    pub shape: KeySpec,
}

impl fmt::Display for KeyframeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.shape {
            KeySpec::File(p) => write!(f, "{}={p}", self.frame),
            KeySpec::Box(b) => write!(f, "{}=box:{},{},{},{}", self.frame, b.x, b.y, b.w, b.h),
        }
    }
}

/// Whether `text` is written in the keyframe syntax (starts with
/// `FRAME=`); a mask file whose name starts that way is given as `./NAME`.
pub fn is_keyframe_list(text: &str) -> bool {
    split_frame(text.trim()).is_some()
}

/// `"12=rest"` -> `(12, "rest")`.
fn split_frame(item: &str) -> Option<(i64, &str)> {
    let (frame, rest) = item.split_once('=')?;
    let digits = frame.strip_prefix('-').unwrap_or(frame);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((frame.parse().ok()?, rest))
}

/// Parse a keyframe list; errors name `flag` and say what is expected.
/// Frames are sorted; a frame given twice is an error.
pub fn parse_keyframes(text: &str, flag: &str) -> Result<Vec<KeyframeSpec>> {
    let bad = |why: String| {
        Error::parameter(
            flag,
            format!(
                "{why}; write FRAME=MASK[,FRAME=MASK...] where MASK is a picture (white = object) \
                 or box:X,Y,W,H in pixels, e.g. 0=dog.png,40=box:120,80,60,90"
            ),
        )
    };
    let tokens: Vec<&str> = text.split(',').map(str::trim).collect();
    let mut out: Vec<KeyframeSpec> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let Some((frame, rest)) = split_frame(token) else {
            return Err(bad(if token.is_empty() {
                "an empty item".to_string()
            } else {
                format!("`{token}` does not start with a frame number and `=`")
            }));
        };
        i += 1;
        let shape = if let Some(first) = rest.strip_prefix("box:") {
            let mut numbers = vec![first];
            while numbers.len() < 4 && i < tokens.len() {
                numbers.push(tokens[i]);
                i += 1;
            }
            let values: Vec<i64> = numbers
                .iter()
                .map(|n| n.parse::<i64>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| {
                    bad(format!(
                        "the box at frame {frame} needs four whole numbers X,Y,W,H, got `{}`",
                        numbers.join(",")
                    ))
                })?;
            if values.len() != 4 {
                return Err(bad(format!(
                    "the box at frame {frame} needs four numbers X,Y,W,H, got {}",
                    values.len()
                )));
            }
            if values[2] <= 0 || values[3] <= 0 {
                return Err(bad(format!(
                    "the box at frame {frame} has width {} and height {}; both must be positive",
                    values[2], values[3]
                )));
            }
            KeySpec::Box(KeyBox {
                x: values[0],
                y: values[1],
                w: values[2],
                h: values[3],
            })
        } else {
            // A comma inside a file name: the following pieces that are not
            // keyframes of their own belong to this name.
            let mut path = rest.to_string();
            while i < tokens.len() && split_frame(tokens[i]).is_none() && !tokens[i].is_empty() {
                path.push(',');
                path.push_str(tokens[i]);
                i += 1;
            }
            if path.is_empty() {
                return Err(bad(format!("frame {frame} has no mask after `=`")));
            }
            KeySpec::File(path)
        };
        if out.iter().any(|k| k.frame == frame) {
            return Err(bad(format!("frame {frame} is given twice")));
        }
        out.push(KeyframeSpec { frame, shape });
    }
    if out.is_empty() {
        return Err(bad("no keyframes".to_string()));
    }
    out.sort_by_key(|k| k.frame);
    Ok(out)
}

/// The list written back in the syntax it was parsed from.
pub fn keyframes_text(keys: &[KeyframeSpec]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_boxes_mix() {
        let k = parse_keyframes("40=box:120,80,60,90, 0=dog.png,80=a,b.png", "keyframes").unwrap();
        assert_eq!(k.len(), 3);
        assert_eq!(k[0].shape, KeySpec::File("dog.png".into()));
        assert_eq!(
            k[1].shape,
            KeySpec::Box(KeyBox {
                x: 120,
                y: 80,
                w: 60,
                h: 90
            })
        );
        assert_eq!(k[2].shape, KeySpec::File("a,b.png".into()));
        assert_eq!(
            keyframes_text(&k),
            "0=dog.png,40=box:120,80,60,90,80=a,b.png"
        );
    }

    #[test]
    fn errors_name_the_flag_and_the_problem() {
        for (text, needle) in [
            ("dog.png", "does not start with a frame number"),
            ("0=box:1,2,3", "four numbers"),
            ("0=box:1,2,x,4", "four whole numbers"),
            ("0=box:1,2,0,4", "must be positive"),
            ("0=a.png,0=b.png", "given twice"),
            ("0=", "no mask"),
            ("0=a.png,,", "empty item"),
        ] {
            let e = parse_keyframes(text, "keyframes").unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.contains("keyframes") && msg.contains(needle),
                "{text}: {msg}"
            );
            assert!(
                matches!(e, retake_core::Error::Parameter { .. }),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn recognises_the_syntax() {
        assert!(is_keyframe_list("0=a.png"));
        assert!(is_keyframe_list("1001=box:1,2,3,4"));
        assert!(!is_keyframe_list("rig.####.png"));
        assert!(!is_keyframe_list("./0=a.png"));
        assert!(!is_keyframe_list("auto"));
    }
}
