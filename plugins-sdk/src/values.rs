//! Realistic values from a deterministic generator, shared by the module plugins.
//!
//! Everything here is a pure function of the generator's state, so the same
//! seed gives the same data on every machine.

/// A small deterministic generator (SplitMix64). In a seeder, seed it from
/// the host (`Gen::from_host()`), so `vytal-host seed --seed S` decides the data.
#[derive(Debug, Clone)]
pub struct Gen(u64);

/// First names, for people in generated rows.
pub const FIRST_NAMES: &[&str] = &[
    "Amara", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isabel", "James", "Keiko", "Liam", "Maya",
    "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wei", "Yusuf", "Zoe",
];
/// Last names, for people in generated rows.
pub const LAST_NAMES: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Johnson", "Kowalski", "Lopez",
    "Murphy", "Nguyen", "Okafor", "Patel", "Quintero", "Rossi", "Smith", "Tanaka", "Usman", "Varga", "Walsh", "Young",
];

impl Gen {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Self {
        Gen(seed)
    }

    /// A generator seeded from the host's `rand` (the run's `--seed`).
    #[cfg(feature = "seeder")]
    pub fn from_host() -> Self {
        Gen(crate::seeder::vytal::plugin::rand::next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..high` (`low` when the range is empty).
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low);
        low.wrapping_add((self.next_u64() % span) as i64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.range(0, items.len() as i64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// One of `items`, each as likely as its weight: statuses as a real clinic has them.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| *w).sum();
        let mut draw = self.range(0, i64::from(total.max(1)));
        for (item, w) in items {
            draw -= i64::from(*w);
            if draw < 0 {
                return item;
            }
        }
        &items[items.len() - 1].0
    }

    /// A version-4 UUID as (high, low) 64-bit halves, the shape batches take.
    pub fn uuid(&mut self) -> (u64, u64) {
        let hi = (self.next_u64() & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let lo = (self.next_u64() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        (hi, lo)
    }

    /// A first and last name.
    pub fn name(&mut self) -> (String, String) {
        ((*self.pick(FIRST_NAMES)).to_owned(), (*self.pick(LAST_NAMES)).to_owned())
    }

    /// An address for a name, unique per `n`: `first.last.n@example.org`.
    pub fn email(&mut self, first: &str, last: &str, n: u64) -> String {
        format!("{}.{}.{n}@example.org", first.to_lowercase(), last.to_lowercase())
    }

    /// A phone number in the reserved 555-01xx range.
    pub fn phone(&mut self) -> String {
        format!("+1-{:03}-555-01{:02}", self.range(201, 990), self.range(0, 100))
    }

    /// Microseconds since 1970 somewhere in `[from, to)` (both microseconds since 1970).
    pub fn timestamp(&mut self, from: i64, to: i64) -> i64 {
        self.range(from, to)
    }

    /// An amount of money in cents, in `[low, high)` dollars.
    pub fn cents(&mut self, low: i64, high: i64) -> i64 {
        self.range(low * 100, high * 100)
    }
}

/// A uuid's text (`xxxxxxxx-xxxx-...`, hyphens optional) as the (high, low)
/// halves batches take; `None` if it is not one.
pub fn parse_uuid(text: &str) -> Option<(u64, u64)> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    Some((u64::from_str_radix(&hex[..16], 16).ok()?, u64::from_str_radix(&hex[16..], 16).ok()?))
}

/// Formats cents as a decimal amount, e.g. `1234` as `12.34`.
pub fn money(cents: i64) -> String {
    format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

/// Microseconds in an hour, and in a day.
pub const HOUR: i64 = 3_600_000_000;
/// Microseconds in a day.
pub const DAY: i64 = 24 * HOUR;

/// Microseconds since 1970 of a calendar day at midnight UTC.
pub const fn day(year: i32, month: u32, day: u32) -> i64 {
    // Days from civil (Howard Hinnant's algorithm). `as` widens losslessly; `From` is not const.
    let y = (if month <= 2 { year - 1 } else { year }) as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let (mut a, mut b) = (Gen::new(7), Gen::new(7));
        assert_eq!((a.name(), a.uuid(), a.phone()), (b.name(), b.uuid(), b.phone()));
        assert_ne!(Gen::new(7).next_u64(), Gen::new(8).next_u64());
    }

    #[test]
    fn days_and_money_read_right() {
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2000, 1, 1), 946_684_800_000_000);
        assert_eq!(money(123_456), "1234.56");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(parse_uuid("00000000-0000-4000-8000-00000000000a"), Some((0x4000, 0x8000_0000_0000_000a)));
        assert_eq!(parse_uuid("not-a-uuid"), None);
        let mut g = Gen::new(1);
        for _ in 0..1000 {
            let v = g.range(3, 9);
            assert!((3..9).contains(&v));
        }
    }
}
