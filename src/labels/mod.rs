//! The one vocabulary of regsim's human-readable output: region and programme ids with their
//! English and Korean names, and every label the charts and the report show, per language.
//!
//! Why one place: ids are the API (scenario keys, CSV columns and values stay English), names
//! are presentation; keeping both here means the model, the charts and the report cannot
//! disagree on the region list, and a translator edits two tables ([`en`], [`ko`]) instead of
//! drawing code. **Invariant:** no IO, no environment: the caller (cli/) chooses the [`Lang`].
//! **Invariant:** both tables hold the same keys (a unit test compares them), and every key
//! the code asks for exists (a test scans the sources for `label(`/`labelf(` calls).

pub mod en;
pub mod ko;

use std::fmt;

/// The language of charts and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// `"en"` or `"ko"`; anything else is `None` (the caller names the file or flag).
    pub fn parse(text: &str) -> Option<Lang> {
        match text.trim() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The code used on the command line, in scenarios and as the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::LABELS,
            Lang::Ko => ko::LABELS,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What `--lang` and `[output] lang` allow, for error messages.
pub const LANG_ALLOWED: &str = "\"en\" or \"ko\"";

/// A name in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named {
    pub id: &'static str,
    pub en: &'static str,
    pub ko: &'static str,
}

impl Named {
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Ko => self.ko,
        }
    }
}

/// Number of regions: the capital region plus the 14 non-metropolitan regions.
pub const N_REGIONS: usize = 15;

/// The regions in index order: every table, file and index in regsim uses this order.
pub const REGIONS: [Named; N_REGIONS] = [
    region("capital", "Capital region", "수도권"),
    region("busan", "Busan", "부산"),
    region("daegu", "Daegu", "대구"),
    region("gwangju", "Gwangju", "광주"),
    region("daejeon", "Daejeon", "대전"),
    region("ulsan", "Ulsan", "울산"),
    region("sejong", "Sejong", "세종"),
    region("gangwon", "Gangwon", "강원"),
    region("chungbuk", "Chungbuk", "충북"),
    region("chungnam", "Chungnam", "충남"),
    region("jeonbuk", "Jeonbuk", "전북"),
    region("jeonnam", "Jeonnam", "전남"),
    region("gyeongbuk", "Gyeongbuk", "경북"),
    region("gyeongnam", "Gyeongnam", "경남"),
    region("jeju", "Jeju", "제주"),
];

const fn region(id: &'static str, en: &'static str, ko: &'static str) -> Named {
    Named { id, en, ko }
}

/// Region ids as they appear in scenario files and outputs, in index order.
pub const REGION_IDS: [&str; N_REGIONS] = {
    let mut out = [""; N_REGIONS];
    let mut i = 0;
    while i < N_REGIONS {
        out[i] = REGIONS[i].id;
        i += 1;
    }
    out
};

/// Programmes as `programs.csv` and `compare.json` name them (the ids of
/// `policy::PROGRAM_NAMES`, plus `all` for every programme together).
pub const PROGRAMMES: [Named; 14] = [
    region("hub_cities", "Startup hub cities", "창업도시"),
    region(
        "startup_parks",
        "Startup parks and angel hubs",
        "창업공원·엔젤허브",
    ),
    region("growth_fund", "Regional growth fund", "지역성장펀드"),
    region("tips", "TIPS", "TIPS"),
    region(
        "smart_factories_advanced_ai",
        "Smart factories (advanced AI)",
        "스마트공장(AI 고도화)",
    ),
    region(
        "smart_factories_sector_specialised",
        "Smart factories (sector-specialised)",
        "스마트공장(업종 특화)",
    ),
    region(
        "smart_factories_collaborative",
        "Smart factories (collaborative)",
        "스마트공장(상생형)",
    ),
    region("jump_up", "Jump-Up", "점프업"),
    region("local_entrepreneurs", "Local entrepreneurs", "지역 창업가"),
    region("local_creators", "Local creators", "로컬 크리에이터"),
    region("one_stop", "One-stop support", "원스톱 지원"),
    region("key_industries", "Key industries", "주력산업"),
    region("ai_supply_chains", "AI supply chains", "AI 공급망"),
    region("all", "All programmes", "전체 사업"),
];

/// Regional metrics the interactive report can show, with their unit keys (columns of
/// `regions.csv`; names under the label key `metric.<id>`).
pub const MAP_METRICS: [&str; 10] = [
    "employment",
    "firms",
    "startups",
    "sales_krw",
    "value_added_krw",
    "vc_investment_krw",
    "population",
    "population_15_39",
    "net_migration",
    "wage_krw_month",
];

/// The display name of a region id; `national` and unknown ids are looked up as labels, then
/// kept as they are.
pub fn region_name(lang: Lang, id: &str) -> String {
    match REGIONS.iter().find(|r| r.id == id) {
        Some(r) => r.name(lang).to_string(),
        None if id == "national" => label(lang, "national").to_string(),
        None => id.to_string(),
    }
}

/// The display name of a programme id (unknown ids: underscores become spaces).
pub fn programme_name(lang: Lang, id: &str) -> String {
    match PROGRAMMES.iter().find(|p| p.id == id) {
        Some(p) => p.name(lang).to_string(),
        None => id.replace('_', " "),
    }
}

/// The label `key` in `lang`. A key missing from the table (a bug the source-scanning test
/// catches) shows as the key itself rather than failing a run.
pub fn label(lang: Lang, key: &str) -> &'static str {
    lang.table()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .or_else(|| en::LABELS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
        .unwrap_or("?")
}

/// The label `key` with each `{}` replaced by the next argument, in order.
pub fn labelf(lang: Lang, key: &str, args: &[&dyn fmt::Display]) -> String {
    let template = label(lang, key);
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    let mut args = args.iter();
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        if let Some(a) = args.next() {
            out.push_str(&a.to_string());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// Every text a language shows: labels, region and programme names (for the glyph test).
pub fn all_texts(lang: Lang) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = lang.table().iter().map(|(_, v)| *v).collect();
    out.extend(REGIONS.iter().map(|r| r.name(lang)));
    out.extend(PROGRAMMES.iter().map(|p| p.name(lang)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(table: &[(&str, &str)]) -> BTreeSet<String> {
        table.iter().map(|(k, _)| k.to_string()).collect()
    }

    #[test]
    fn both_languages_have_the_same_keys_once() {
        for lang in Lang::ALL {
            let table = lang.table();
            assert_eq!(
                keys(table).len(),
                table.len(),
                "{lang}: a key is listed twice"
            );
        }
        let (en, ko) = (keys(en::LABELS), keys(ko::LABELS));
        let only_en: Vec<_> = en.difference(&ko).collect();
        let only_ko: Vec<_> = ko.difference(&en).collect();
        assert!(only_en.is_empty(), "labels missing in ko.rs: {only_en:?}");
        assert!(only_ko.is_empty(), "labels missing in en.rs: {only_ko:?}");
    }

    #[test]
    fn placeholders_agree_between_languages() {
        for (key, en_text) in en::LABELS {
            let ko_text = label(Lang::Ko, key);
            assert_eq!(
                en_text.matches("{}").count(),
                ko_text.matches("{}").count(),
                "label {key}: en and ko take different numbers of arguments"
            );
        }
    }

    #[test]
    fn korean_labels_are_korean() {
        // Every Korean text has Hangul, except names that are the same in both (TIPS, units).
        let same = ["TIPS", "%", "p25–p75", "p05–p95"];
        for (key, text) in ko::LABELS {
            let hangul = text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
            assert!(
                hangul
                    || same.iter().any(|s| text.contains(s))
                    || !text.chars().any(char::is_alphabetic),
                "ko label {key} has no Hangul: {text:?}"
            );
        }
        for r in REGIONS {
            assert!(
                r.ko.chars().all(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn every_key_the_code_uses_exists() {
        // Scans the sources for `label(lang, "key"` and `labelf(lang, "key"` (any first
        // argument, any whitespace), so a typo or a key added to only one place fails here.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let here = root.join("labels"); // this module's own docs and tests quote keys
        let mut files = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.starts_with(&here) {
                    files.push(path);
                }
            }
        }
        let known = keys(en::LABELS);
        let mut used = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source is readable");
            for key in used_keys(&text) {
                used += 1;
                assert!(
                    known.contains(&key),
                    "{}: label key {key:?} is in no table",
                    file.display()
                );
            }
        }
        assert!(
            used > 50,
            "found only {used} label calls: is the scanner broken?"
        );
    }

    /// The string-literal keys passed to `label(`/`labelf(` in a source text.
    fn used_keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for pat in ["label(", "labelf("] {
            for (i, _) in text.match_indices(pat) {
                let before = text[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // e.g. `region_label(`
                }
                let rest = &text[i + pat.len()..];
                let Some(comma) = rest.find(',') else {
                    continue;
                };
                let after = rest[comma + 1..].trim_start();
                if let Some(lit) = after.strip_prefix('"')
                    && let Some(end) = lit.find('"')
                {
                    out.push(lit[..end].to_string());
                }
            }
        }
        out
    }

    #[test]
    fn scanner_finds_keys() {
        let keys =
            used_keys("x(label(lang, \"a\"), labelf(\n  l,\n  \"b\", &[]), region_label(\"c\"))");
        assert_eq!(keys, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn every_programme_of_programs_csv_has_names() {
        for id in crate::policy::PROGRAM_NAMES {
            let p = PROGRAMMES.iter().find(|p| p.id == id);
            assert!(
                p.is_some(),
                "programme {id} has no entry in labels::PROGRAMMES"
            );
        }
        assert_eq!(
            PROGRAMMES.len(),
            crate::policy::PROGRAM_NAMES.len() + 1,
            "plus `all`"
        );
    }

    #[test]
    fn region_ids_and_names() {
        assert_eq!(REGION_IDS[0], "capital");
        assert_eq!(region_name(Lang::Ko, "gyeongbuk"), "경북");
        assert_eq!(region_name(Lang::En, "capital"), "Capital region");
        assert_eq!(region_name(Lang::Ko, "national"), "전국");
        assert_eq!(programme_name(Lang::Ko, "growth_fund"), "지역성장펀드");
        assert_eq!(
            labelf(Lang::En, "median_of_n", &[&"x", &3]),
            "x: median of 3 replicates"
        );
        assert_eq!(Lang::parse("ko"), Some(Lang::Ko));
        assert_eq!(Lang::parse("kr"), None);
    }
}
