//! The fixed geography and sector list: 15 regions and 4 sector groups.
//!
//! Region ids and names live in `labels` (one vocabulary table); this file adds what the
//! model needs: coordinates and sector ids.
//!
//! These are not scenario data: every table, file and index in regsim uses this order, so a
//! region or sector is a `u8` index everywhere in the hot loop and a name only at the edges.

/// Number of regions: the capital region plus the 14 non-metropolitan regions.
pub const N_REGIONS: usize = crate::labels::N_REGIONS;
/// Number of sector groups.
pub const N_SECTORS: usize = 4;

/// Index of the capital region (Seoul + Incheon + Gyeonggi).
pub const CAPITAL: usize = 0;

/// Region ids as they appear in scenario files and outputs, in index order (the one list
/// lives in [`crate::labels::REGIONS`], with the regions' English and Korean names).
pub const REGION_IDS: [&str; N_REGIONS] = crate::labels::REGION_IDS;

/// Approximate centroid (latitude, longitude in degrees) of each region's main city, used for
/// investor distance and migration distance. The capital region uses Seoul.
pub const REGION_COORDS: [(f64, f64); N_REGIONS] = [
    (37.57, 126.98), // capital (Seoul)
    (35.18, 129.08), // busan
    (35.87, 128.60), // daegu
    (35.16, 126.85), // gwangju
    (36.35, 127.38), // daejeon
    (35.54, 129.31), // ulsan
    (36.48, 127.29), // sejong
    (37.88, 127.73), // gangwon (Chuncheon)
    (36.64, 127.49), // chungbuk (Cheongju)
    (36.66, 126.67), // chungnam (Hongseong)
    (35.82, 127.15), // jeonbuk (Jeonju)
    (34.82, 126.46), // jeonnam (Muan)
    (36.58, 128.73), // gyeongbuk (Andong)
    (35.23, 128.69), // gyeongnam (Changwon)
    (33.50, 126.53), // jeju
];

/// Sector ids as they appear in scenario files and outputs, in index order.
pub const SECTOR_IDS: [&str; N_SECTORS] =
    ["traditional_mfg", "future_industry", "k_beauty", "services"];

/// Index of a region id, if it is one.
pub fn region_index(id: &str) -> Option<usize> {
    REGION_IDS.iter().position(|r| *r == id)
}

/// Index of a sector id, if it is one.
pub fn sector_index(id: &str) -> Option<usize> {
    SECTOR_IDS.iter().position(|s| *s == id)
}

/// Great-circle distance in km between two regions' centroids (haversine, R = 6371 km).
pub fn distance_km(a: usize, b: usize) -> f64 {
    let (lat1, lon1) = REGION_COORDS[a];
    let (lat2, lon2) = REGION_COORDS[b];
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The full distance matrix in km.
pub fn distance_matrix() -> [[f64; N_REGIONS]; N_REGIONS] {
    let mut d = [[0.0; N_REGIONS]; N_REGIONS];
    for (a, row) in d.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate() {
            *cell = distance_km(a, b);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for (i, id) in REGION_IDS.iter().enumerate() {
            assert_eq!(region_index(id), Some(i));
        }
        for (i, id) in SECTOR_IDS.iter().enumerate() {
            assert_eq!(sector_index(id), Some(i));
        }
        assert_eq!(region_index("seoul"), None);
    }

    #[test]
    fn distances_are_plausible() {
        // Seoul-Busan is about 325 km as the crow flies.
        let d = distance_km(CAPITAL, 1);
        assert!((300.0..350.0).contains(&d), "{d}");
        assert_eq!(distance_km(3, 3), 0.0);
        assert!((distance_km(2, 5) - distance_km(5, 2)).abs() < 1e-9);
    }
}
