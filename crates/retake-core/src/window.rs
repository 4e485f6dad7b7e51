//! The temporal window an operation sees: frame `t` with its neighbours
//! `t-k ..= t+k` (fewer at the clip's ends), each with the per-frame
//! analysis the operation made once.

use std::sync::Arc;

use crate::frame::Frame;

/// One decoded frame and what the operation's analysis step made of it.
pub struct Item<A> {
    pub frame: Arc<Frame>,
    pub analysis: A,
}

/// Frames around the one being rendered, in clip order.
pub struct Window<A> {
    items: Vec<Arc<Item<A>>>,
    centre: usize,
}

impl<A> Window<A> {
    pub fn new(items: Vec<Arc<Item<A>>>, centre: usize) -> Self {
        debug_assert!(centre < items.len());
        Window { items, centre }
    }

    /// The frame being rendered.
    pub fn centre(&self) -> &Item<A> {
        &self.items[self.centre]
    }

    /// All items with their offset from the centre.
    pub fn iter(&self) -> impl Iterator<Item = (isize, &Item<A>)> {
        let c = self.centre as isize;
        self.items
            .iter()
            .enumerate()
            .map(move |(i, it)| (i as isize - c, it.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
