//! The closest names in a config to one that is not there, so a typo's
//! error message names what was meant.

/// Up to `n` of `names` closest to `wanted`, best first: case-insensitive
/// normalised Levenshtein, with names containing the wanted text (or
/// contained in it) first.
pub fn closest(wanted: &str, names: &[String], n: usize) -> Vec<String> {
    let w = wanted.to_lowercase();
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|name| {
            let l = name.to_lowercase();
            let mut score = strsim::normalized_levenshtein(&w, &l);
            if !w.is_empty() && (l.contains(&w) || w.contains(&l)) {
                score += 1.0;
            }
            (score, name)
        })
        .filter(|(score, _)| *score >= 0.3)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, name) in scored {
        if !out.contains(name) {
            out.push(name.clone());
        }
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::closest;

    fn names() -> Vec<String> {
        ["ACEScg", "ACEScct", "ACES2065-1", "sRGB - Texture", "Raw"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_typo_suggests_what_was_meant_first() {
        assert_eq!(closest("AcesCG", &names(), 3)[0], "ACEScg");
        assert_eq!(closest("srgb", &names(), 1), ["sRGB - Texture"]);
        assert_eq!(closest("ACES cct", &names(), 1), ["ACEScct"]);
    }

    #[test]
    fn nothing_alike_suggests_nothing() {
        assert!(closest("zzzzzzzzzzzz", &names(), 3).is_empty());
    }
}
