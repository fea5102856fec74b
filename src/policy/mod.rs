//! Programme flags carried by agents. The levers that set them arrive with the policy work;
//! the names are fixed here so outputs can already list them.

/// Bit names, in bit order.
pub const PROGRAMS: [&str; 8] = [
    "hub_city",
    "growth_fund",
    "tips",
    "smart_factory",
    "jump_up",
    "local_entrepreneur",
    "one_stop",
    "ai_supply_chain",
];

/// `|`-separated names of the set bits (empty when none).
pub fn flag_names(flags: u16) -> String {
    PROGRAMS
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("|")
}

#[cfg(test)]
mod tests {
    #[test]
    fn flag_names_list_set_bits() {
        assert_eq!(super::flag_names(0), "");
        assert_eq!(super::flag_names(0b101), "hub_city|tips");
    }
}
