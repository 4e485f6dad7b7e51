//! Every operation's parameter table together: the faces name a parameter
//! by its id in messages and check themselves against all tables.

use retake_core::params::{Param, Table};

/// Every operation's table, for the faces' checks and error wording.
pub fn tables() -> [&'static Table; 5] {
    [
        retake_ops::mask_params::TABLE,
        retake_ops::track_params::TABLE,
        retake_ops::remove_params::TABLE,
        crate::relight_params::TABLE,
        crate::reangle_params::TABLE,
    ]
}

/// The first parameter named `id` in any table (ids mean the same in every
/// operation that has them).
pub fn find(id: &str) -> Option<&'static Param> {
    tables()
        .into_iter()
        .find_map(|t| t.params.iter().find(|p| p.id == id))
}
