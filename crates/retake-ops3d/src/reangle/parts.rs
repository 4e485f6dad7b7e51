//! The separate parts of a warped frame's hole, each filled on its own
//! crop.
//!
//! A camera move opens holes far apart (an orbit uncovers one corner
//! above the pivot and the opposite one below it); one crop around all of
//! them spans the whole frame, and the removal engine's work (the colour
//! correction's membrane, the fill) grows with the crop, not the hole.
//! Holes near each other stay together, so each crop still has the
//! context around its hole.

use retake_ops::inpaint::Rect;

use super::depth::components;

/// More parts than this are filled on one crop: each part costs a pass
/// of the engine over the frame.
const MAX_PARTS: usize = 6;

/// Rectangles, disjoint, that together hold every pixel of `hole`
/// (`w` x `h`): the bounding boxes of its connected parts, merged while
/// they come within `margin` pixels of each other.
pub fn hole_parts(hole: &[bool], w: usize, h: usize, margin: usize) -> Vec<Rect> {
    let (labels, count) = components(hole, w, h);
    let mut boxes: Vec<Option<(usize, usize, usize, usize)>> = vec![None; count];
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let (x, y) = (i % w, i / w);
        let b = &mut boxes[l as usize - 1];
        *b = Some(match *b {
            None => (x, y, x, y),
            Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
        });
    }
    let mut rects: Vec<(usize, usize, usize, usize)> = boxes.into_iter().flatten().collect();
    // Merge boxes that come within `margin` of each other until none do
    // (first in labelling order, so the result is a function of the hole).
    let near = |a: &(usize, usize, usize, usize), b: &(usize, usize, usize, usize)| {
        a.0 <= b.2 + margin && b.0 <= a.2 + margin && a.1 <= b.3 + margin && b.1 <= a.3 + margin
    };
    loop {
        let mut merged = false;
        let mut i = 0;
        while i < rects.len() {
            let mut j = i + 1;
            while j < rects.len() {
                if near(&rects[i], &rects[j]) {
                    let b = rects.swap_remove(j);
                    let a = &mut rects[i];
                    *a = (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3));
                    merged = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
        if !merged {
            break;
        }
    }
    if rects.len() > MAX_PARTS {
        let all = rects.iter().fold(rects[0], |a, b| {
            (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))
        });
        rects = vec![all];
    }
    rects
        .into_iter()
        .map(|(x0, y0, x1, y1)| Rect {
            x: x0,
            y: y0,
            width: x1 - x0 + 1,
            height: y1 - y0 + 1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_holes_are_separate_parts_and_near_ones_one() {
        let (w, h) = (100, 60);
        let mut hole = vec![false; w * h];
        let mut paint = |x0: usize, y0: usize, x1: usize, y1: usize| {
            for y in y0..y1 {
                for x in x0..x1 {
                    hole[y * w + x] = true;
                }
            }
        };
        paint(0, 0, 10, 20); // top-left
        paint(85, 45, 100, 60); // bottom-right, far
        paint(14, 5, 16, 8); // a speck 4 px right of the first
        let parts = hole_parts(&hole, w, h, 8);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts.contains(&Rect {
            x: 0,
            y: 0,
            width: 16,
            height: 20
        }));
        assert!(parts.contains(&Rect {
            x: 85,
            y: 45,
            width: 15,
            height: 15
        }));
        // Every hole pixel lies in exactly one part.
        for (i, _) in hole.iter().enumerate().filter(|(_, v)| **v) {
            let (x, y) = (i % w, i / w);
            let n = parts
                .iter()
                .filter(|r| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
                .count();
            assert_eq!(n, 1);
        }
        assert!(hole_parts(&vec![false; w * h], w, h, 8).is_empty());
    }
}
