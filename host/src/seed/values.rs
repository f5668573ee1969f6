//! Values by a column's name and type: what `email`, `scheduledAt`,
//! `totalCharge` or `metadata` should hold in a clinic's database.
//!
//! [`semantic`] decides once per column, when the seed is planned;
//! [`Sem::value`] then makes one value from a generator seeded for that row
//! and column, so every value is a pure function of (seed, table, column,
//! row) and the same seed gives the same data.

use vytal_plugins_sdk::values::{DAY, FIRST_NAMES, Gen, HOUR, LAST_NAMES, day, money};

use super::types::Type;
use super::words;

/// What a column holds, beyond its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sem {
    /// `users.role`: patient, staff or administrator by row.
    Role,
    /// A status or kind: labels weighted as a clinic's would be.
    Enum,
    /// A boolean, true this often (percent).
    Flag(u8),
    Email,
    FirstName,
    LastName,
    FullName,
    Phone,
    /// The row's moment: creation.
    Created,
    /// Some time after creation.
    Updated,
    /// Rarely set: soft deletion.
    Deleted,
    /// When the thing starts (scheduled, started, encounter).
    Start,
    /// When it ends: start plus the row's duration.
    End,
    /// Some months ahead (expiry, due dates).
    Future,
    /// Some time after the row's moment.
    After,
    /// A date of birth.
    Birth,
    /// The row's duration, in minutes or seconds.
    Duration {
        minutes: bool,
    },
    /// An integer in a range.
    Range(i64, i64),
    /// The row's number, from 1: unique.
    RowNumber,
    /// Money in whole units, in a range.
    Money(i64, i64),
    Title,
    Sentence,
    /// A clinical note in SOAP sections.
    Soap,
    Reason,
    Drug,
    /// A code unique per row: prefix, then the row number.
    Serial(&'static str),
    /// Hexadecimal of this many digits.
    Hex(usize),
    Url,
    FileName,
    Ip,
    /// One of a list.
    OneOf(&'static [&'static str]),
    /// A comma-separated list of some of a list (TypeORM's simple-array).
    SomeOf(&'static [&'static str]),
    /// A JSON object shaped by the column's name.
    Object(&'static str),
    /// A JSON array of codes from a list.
    Codes(&'static [&'static str]),
    /// A JSON array of small objects (or, for `jsonb[]`, documents).
    Entries(&'static str),
    /// A random uuid.
    Uuid,
    /// One of a few uuids shared by many rows (an organization).
    Pool,
    /// A uuid naming a row of another table, without a foreign key (resolved when planning).
    LooseRef(String),
    /// By type alone.
    Plain,
}

/// FNV-1a: a stable 64-bit hash of names, mixed into every value.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A generator for one cell (or one row, with `column` 0).
pub(crate) fn cell_gen(seed: u64, salt: u64, column: u64, row: u64) -> Gen {
    let mut g =
        Gen::new(seed ^ salt.rotate_left(17) ^ column.rotate_left(41) ^ row.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    g.next_u64();
    g
}

/// The uuid of row `row` of a table: version-4 shaped, and unique per row of
/// the table by construction (the low half is a bijection of the row number).
pub(crate) fn key(seed: u64, salt: u64, row: u64) -> (u64, u64) {
    const MASK: u64 = (1 << 62) - 1;
    let mut g = cell_gen(seed, salt, 0x006b_6579, row);
    let hi = (g.next_u64() & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let mut x = (row ^ (seed ^ salt)) & MASK;
    x = (x ^ (x >> 29)) & MASK;
    x = x.wrapping_mul(0x5851_f42d_4c95_7f2d) & MASK;
    x = (x ^ (x >> 31)) & MASK;
    (hi, x | 0x8000_0000_0000_0000)
}

/// A row's moments: when it was created, when the thing it records starts, and how long it lasts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moment {
    pub created: i64,
    pub start: i64,
    pub minutes: i64,
}

impl Moment {
    /// A moment for a row; `after` is its parent row's creation, if it has one.
    pub(crate) fn new(g: &mut Gen, after: Option<i64>) -> Moment {
        let created = match after {
            Some(t) => t + g.range(HOUR, 14 * DAY),
            None => g.range(day(2024, 1, 1), day(2026, 6, 1)),
        };
        // Business hours, on the quarter hour, one to three weeks on.
        let day_start = (created + g.range(DAY, 21 * DAY)) / DAY * DAY;
        let start = day_start + 8 * HOUR + g.range(0, 36) * (HOUR / 4);
        let minutes = *g.pick(&[15, 20, 30, 30, 30, 45, 60]);
        Moment { created, start, minutes }
    }
}

/// One value, before it goes into a column vector.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Uuid((u64, u64)),
    Time(i64),
    Date(i32),
    Json(String),
    Texts(Vec<String>),
    Uuids(Vec<(u64, u64)>),
}

/// Decides what a column holds from its table, name, type and default.
pub(crate) fn semantic(table: &str, column: &str, ty: &Type, default: Option<&str>, unique: bool) -> Sem {
    let n = column.to_ascii_lowercase();
    let has = |w: &str| n.contains(w);
    match ty {
        Type::Enum(_) | Type::EnumArray(_) if table == "users" && n == "role" => Sem::Role,
        Type::Enum(_) | Type::EnumArray(_) => Sem::Enum,
        Type::Bool => {
            Sem::Flag(if has("deleted") || has("archived") || has("locked") || has("phi") || has("exception") {
                5
            } else if n == "enabled"
                || has("active")
                || has("hipaa")
                || has("compliant")
                || has("encrypted")
                || has("track")
            {
                90
            } else if has("consent") || has("confirmed") || has("signed") || has("sent") {
                70
            } else {
                30
            })
        }
        Type::Timestamp | Type::Date => {
            if has("birth") {
                Sem::Birth
            } else if n == "createdat" || n == "recordedat" || n == "invitedat" {
                Sem::Created
            } else if n == "updatedat" || has("lastedited") || has("lastmodified") || has("lastused") {
                Sem::Updated
            } else if has("deleted") {
                Sem::Deleted
            } else if has("expire") || has("due") || has("recurrenceend") || has("nextrefill") {
                Sem::Future
            } else if has("end") || has("stopped") || has("completed") || has("leftat") || has("finished") {
                Sem::End
            } else if has("scheduled") || has("start") || has("encounter") || has("service") || has("joined") {
                Sem::Start
            } else {
                Sem::After
            }
        }
        Type::Int { .. } if unique => Sem::RowNumber,
        Type::Int { .. } => {
            if has("duration") {
                let minutes = has("encounter") || has("minute") || default.is_some_and(|d| d.parse::<i64>().is_ok());
                Sem::Duration { minutes }
            } else if has("responsetime") {
                Sem::Range(200, 8000)
            } else if has("tokens") {
                Sem::Range(20, 4000)
            } else if has("version") {
                Sem::Range(1, 4)
            } else if has("progress") {
                Sem::Range(0, 101)
            } else if has("size") {
                Sem::Range(1 << 20, 500 << 20)
            } else if has("minutesbefore") {
                Sem::Range(15, 61)
            } else if has("retention") {
                Sem::Range(2190, 2191)
            } else if has("count") || has("attempts") || has("used") || has("refill") || has("interval") {
                Sem::Range(0, 6)
            } else {
                Sem::Range(0, 100)
            }
        }
        Type::Numeric { .. } | Type::Float => {
            if has("cost") && !has("total") {
                Sem::Money(0, 3)
            } else if has("charge") || has("cost") || has("amount") || has("price") || has("responsibility") {
                Sem::Money(40, 450)
            } else {
                Sem::Range(0, 100)
            }
        }
        Type::Uuid | Type::UuidArray => {
            if n == "organizationid" {
                Sem::Pool
            } else if n.ends_with("by") || has("patient") || n == "userid" || has("sender") || has("provider") {
                Sem::LooseRef("users".to_owned())
            } else if let Some(stem) = n.strip_suffix("ids").or_else(|| n.strip_suffix("id")) {
                Sem::LooseRef(table_named(stem))
            } else {
                Sem::Uuid
            }
        }
        Type::Json | Type::JsonArray => {
            if has("codes") {
                Sem::Codes(if has("cpt") { words::CPT } else { words::ICD10 })
            } else if matches!(ty, Type::JsonArray)
                || n.ends_with('s') && !has("settings") && !has("preferences") && !has("details") && !has("metrics")
            {
                Sem::Entries(shape_of(&n))
            } else {
                Sem::Object(shape_of(&n))
            }
        }
        Type::Text { .. } | Type::TextArray { .. } => text_semantic(table, &n, unique),
        Type::Bytes | Type::Other(_) => Sem::Plain,
    }
}

/// `appointment` -> `appointments`, `clinicalnote` -> `clinical_notes` (the tables' naming).
fn table_named(stem: &str) -> String {
    let stem = stem.trim_start_matches("last").trim_start_matches("parent").trim_start_matches("original");
    let stem = stem.trim_start_matches("previous").trim_start_matches("billing");
    match stem {
        "clinicalnote" | "note" => "clinical_notes".to_owned(),
        "appointment" => "appointments".to_owned(),
        "medication" => "medications".to_owned(),
        "claim" => "claims".to_owned(),
        "task" => "tasks".to_owned(),
        "message" => "messages".to_owned(),
        "call" => "calls".to_owned(),
        "conversation" => "conversations".to_owned(),
        "schedule" => "medication_schedules".to_owned(),
        other => format!("{other}s"),
    }
}

fn shape_of(n: &str) -> &'static str {
    const SHAPES: &[&str] = &[
        "values",
        "prescriptions",
        "attachments",
        "documents",
        "location",
        "deviceinfo",
        "quality",
        "signature",
        "recurrence",
        "structured",
        "settings",
        "preferences",
        "call",
        "amendments",
        "auditlog",
        "consent",
        "derivation",
        "transcription",
    ];
    SHAPES.iter().find(|s| n.contains(*s)).copied().unwrap_or("metadata")
}

fn text_semantic(table: &str, n: &str, unique: bool) -> Sem {
    let has = |w: &str| n.contains(w);
    if n.ends_with("encryptionkeyid") {
        // Names a key by its id, without a foreign key (the keys' table is standalone).
        Sem::LooseRef("encryption_keys".to_owned())
    } else if has("email") {
        Sem::Email
    } else if n == "firstname" {
        Sem::FirstName
    } else if n == "lastname" {
        Sem::LastName
    } else if has("phone") {
        Sem::Phone
    } else if has("witnessname") || n == "fullname" || n == "displayname" {
        Sem::FullName
    } else if has("insurancename") {
        Sem::OneOf(words::INSURERS)
    } else if has("filename") {
        Sem::FileName
    } else if table == "medications" && (n == "name" || has("genericname") || has("brandname")) {
        Sem::Drug
    } else if has("ndc") {
        Sem::OneOf(&["0093-7214-01", "0071-0155-23", "0378-0018-01", "68180-0513-01"])
    } else if has("number") {
        Sem::Serial(if has("claim") {
            "CLM"
        } else if has("prescription") {
            "RX"
        } else if has("group") {
            "GRP"
        } else if has("room") {
            "RM"
        } else {
            "NO"
        })
    } else if has("url") || has("path") || has("location") && has("backup") {
        Sem::Url
    } else if has("ipaddress") {
        Sem::Ip
    } else if has("useragent") {
        Sem::OneOf(words::USER_AGENTS)
    } else if has("token") || has("encryptedkey") || has("encryptioncontent") || has("signaturedata") {
        Sem::Hex(64)
    } else if n == "iv" || has("authtag") || has("password") {
        Sem::Hex(24)
    } else if n.ends_with("id") || unique || has("key") && !has("keytype") {
        Sem::Serial(match n {
            _ if has("room") => "room",
            _ if has("session") => "sess",
            _ if has("socket") => "sock",
            _ if has("peer") => "peer",
            _ if has("meeting") => "mtg",
            _ if has("insurance") => "MBR",
            _ if has("key") => "key",
            _ => "id",
        })
    } else if has("timezone") {
        Sem::OneOf(words::TIMEZONES)
    } else if has("location") || has("address") || has("pharmacy") {
        Sem::OneOf(words::CITIES)
    } else if n == "unit" {
        Sem::OneOf(&["mmHg", "mg/dL", "%", "kg", "bpm", "°C"])
    } else if has("algorithm") {
        Sem::OneOf(words::ALGORITHMS)
    } else if n == "model" {
        Sem::OneOf(words::MODELS)
    } else if has("storageprovider") || has("kmsprovider") {
        Sem::OneOf(words::STORAGE)
    } else if has("region") {
        Sem::OneOf(words::REGIONS)
    } else if has("mimetype") {
        Sem::OneOf(words::MIME)
    } else if has("bucket") {
        Sem::OneOf(&["vytal-recordings", "vytal-archive"])
    } else if has("method") {
        Sem::OneOf(&["electronic", "manual", "mobile-app", "clearinghouse"])
    } else if n == "status" {
        Sem::OneOf(&["active", "active", "active", "completed", "discontinued"])
    } else if has("outcome") {
        Sem::OneOf(&["approved", "denied", "partially-approved"])
    } else if has("version") {
        Sem::OneOf(&["1.0", "1.1", "2.0"])
    } else if has("recurrencepattern") {
        Sem::OneOf(&["daily", "weekly", "monthly"])
    } else if has("dosage") || has("strength") {
        Sem::OneOf(&["5 mg", "10 mg", "20 mg", "500 mg", "1 tablet", "2 puffs"])
    } else if has("icdcodes") {
        Sem::SomeOf(words::ICD10)
    } else if has("cptcodes") {
        Sem::SomeOf(words::CPT)
    } else if has("purpose") || has("diagnosis") {
        Sem::OneOf(&["Hypertension", "Type 2 diabetes", "Hyperlipidemia", "Heart failure", "COPD"])
    } else if has("title") || has("subject") || has("templatename") {
        Sem::Title
    } else if table == "clinical_notes" && n == "content" {
        Sem::Soap
    } else if has("reason") || has("complaint") || has("error") {
        Sem::Reason
    } else if has("servers") || has("roles") || has("services") || has("types") || has("tags") || n == "accessibleto" {
        Sem::SomeOf(words::WORDS)
    } else if n.ends_with("ids") || has("participants") || has("sharedwith") {
        Sem::SomeOf(&["a1", "b2", "c3"])
    } else {
        Sem::Sentence
    }
}

/// How often a nullable column is filled, in percent.
pub(crate) fn filled_percent(sem: &Sem) -> u64 {
    match sem {
        Sem::Deleted => 3,
        Sem::Reason => 15,
        Sem::Entries(_) | Sem::Object(_) | Sem::Codes(_) => 50,
        Sem::End | Sem::After => 55,
        _ => 70,
    }
}

/// The enum label for a draw: statuses as a clinic has them (most done or
/// ongoing, few cancelled or failed), other kinds evenly.
pub(crate) fn weighted_label<'a>(g: &mut Gen, labels: &'a [String]) -> &'a str {
    let weight = |l: &str| -> i64 {
        let l = l.to_ascii_lowercase();
        if ["completed", "active", "sent", "delivered", "read", "taken", "signed", "granted", "paid", "approved"]
            .iter()
            .any(|w| l == *w)
        {
            30
        } else if ["scheduled", "pending", "confirmed", "in_progress", "submitted", "draft", "invited", "joined"]
            .iter()
            .any(|w| l == *w)
        {
            15
        } else if ["cancelled", "canceled", "no_show", "failed", "missed", "denied", "rejected", "revoked", "expired"]
            .iter()
            .any(|w| l.contains(w))
        {
            3
        } else {
            8
        }
    };
    let total: i64 = labels.iter().map(|l| weight(l)).sum();
    let mut draw = g.range(0, total.max(1));
    for l in labels {
        draw -= weight(l);
        if draw < 0 {
            return l;
        }
    }
    labels.first().map_or("", String::as_str)
}

/// A person's name for a row: the same row always gives the same person.
pub(crate) fn person(seed: u64, salt: u64, row: u64) -> (&'static str, &'static str) {
    let mut g = cell_gen(seed, salt, 0x7065_7273_6f6e, row);
    (*g.pick(FIRST_NAMES), *g.pick(LAST_NAMES))
}

/// What a row's context gives a value.
pub(crate) struct Row {
    pub seed: u64,
    pub salt: u64,
    pub row: u64,
    pub moment: Moment,
}

impl Sem {
    /// What the column gets, for `--dry-run`.
    pub(crate) fn describe(&self) -> String {
        let list = |l: &[&str]| {
            let mut s = l.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            if l.len() > 3 {
                s.push_str(", ...");
            }
            s
        };
        match self {
            Sem::Role => "patients, then clinicians, then administrators".to_owned(),
            Sem::Enum => "a label, weighted as a clinic's statuses are".to_owned(),
            Sem::Flag(p) => format!("true {p}% of the time"),
            Sem::Duration { minutes: true } => "the row's duration in minutes".to_owned(),
            Sem::Duration { minutes: false } => "the row's duration in seconds".to_owned(),
            Sem::Range(lo, hi) => format!("{lo} to {}", hi - 1),
            Sem::RowNumber => "the row number, unique".to_owned(),
            Sem::Money(lo, hi) => format!("an amount from {lo} to {hi}"),
            Sem::Serial(p) => format!("{p}-..., unique per row"),
            Sem::Hex(n) => format!("{n} hex digits, unique per row"),
            Sem::OneOf(l) => format!("one of {}", list(l)),
            Sem::SomeOf(l) => format!("some of {}", list(l)),
            Sem::Object(shape) => format!("a JSON object ({shape})"),
            Sem::Entries(shape) => format!("a JSON array of {shape}"),
            Sem::Codes(l) => format!("a JSON array of codes ({})", list(l)),
            Sem::LooseRef(t) => format!("a {t} id"),
            Sem::Created => "the row's moment, 2024 to mid-2026".to_owned(),
            Sem::Start => "a business-hours start after the row's moment".to_owned(),
            Sem::End => "the start plus the row's duration".to_owned(),
            other => format!("{other:?}").to_lowercase(),
        }
    }

    /// One value of this kind for `ty`, drawn from `g` in the context of `r`.
    pub(crate) fn value(&self, g: &mut Gen, ty: &Type, r: &Row) -> Value {
        let m = r.moment;
        let text = |s: String| Value::Text(s);
        match self {
            Sem::Role | Sem::Enum => match ty {
                Type::Enum(labels) => text(weighted_label(g, labels).to_owned()),
                Type::EnumArray(labels) => Value::Texts(vec![weighted_label(g, labels).to_owned()]),
                _ => Value::Null,
            },
            Sem::Flag(p) => Value::Bool(g.range(0, 100) < i64::from(*p)),
            Sem::Email => {
                let (f, l) = person(r.seed, r.salt, r.row);
                text(format!("{}.{}.{}@example.org", f.to_lowercase(), l.to_lowercase(), r.row))
            }
            Sem::FirstName => text(person(r.seed, r.salt, r.row).0.to_owned()),
            Sem::LastName => text(person(r.seed, r.salt, r.row).1.to_owned()),
            Sem::FullName => text(format!("{} {}", g.pick(FIRST_NAMES), g.pick(LAST_NAMES))),
            Sem::Phone => text(format!("+1-{:03}-555-01{:02}", g.range(201, 990), g.range(0, 100))),
            Sem::Created => time(ty, m.created),
            Sem::Updated => time(ty, m.created + g.range(0, 30 * DAY)),
            Sem::Deleted => time(ty, m.created + g.range(DAY, 120 * DAY)),
            Sem::Start => time(ty, m.start),
            Sem::End => time(ty, m.start + m.minutes * 60_000_000),
            Sem::Future => time(ty, m.created + g.range(30 * DAY, 400 * DAY)),
            Sem::After => time(ty, m.created + g.range(0, 60 * DAY)),
            Sem::Birth => time(ty, g.range(day(1938, 1, 1), day(2006, 1, 1)) / DAY * DAY),
            Sem::Duration { minutes } => Value::Int(if *minutes { m.minutes } else { m.minutes * 60 }),
            Sem::Range(lo, hi) => number(ty, g.range(*lo, *hi), 0),
            Sem::RowNumber => number(ty, i64::try_from(r.row).unwrap_or(i64::MAX).saturating_add(1), 0),
            Sem::Money(lo, hi) => number(ty, g.range(lo * 100, hi * 100), 2),
            Sem::Title => text((*g.pick(words::TASK_TITLES)).to_owned()),
            Sem::Sentence => text((*g.pick(words::SENTENCES)).to_owned()),
            Sem::Soap => text(format!(
                "{}\n{}\n{}\n{}",
                g.pick(words::SUBJECTIVE),
                g.pick(words::OBJECTIVE),
                g.pick(words::ASSESSMENT),
                g.pick(words::PLAN)
            )),
            Sem::Reason => text((*g.pick(words::REASONS)).to_owned()),
            Sem::Drug => text((*g.pick(words::DRUGS)).to_owned()),
            Sem::Serial(prefix) => match *prefix {
                "CLM" | "RX" => text(format!("{prefix}-{}-{:07}", 2024 + g.range(0, 3), r.row + 1)),
                p => text(format!("{p}-{:08x}-{}", g.next_u64() as u32, r.row + 1)),
            },
            Sem::Hex(n) => {
                let mut s = String::with_capacity(*n);
                while s.len() < *n {
                    s.push_str(&format!("{:016x}", g.next_u64()));
                }
                s.truncate(*n);
                text(format!("{s}{}", r.row))
            }
            Sem::Url => text(format!("https://files.vytalwatch.example/{:x}/{}", r.salt as u32, r.row)),
            Sem::FileName => text(format!("recording-{}.webm", r.row + 1)),
            Sem::Ip => text(format!("10.{}.{}.{}", g.range(0, 256), g.range(0, 256), g.range(1, 255))),
            Sem::OneOf(list) => match ty {
                Type::TextArray { .. } => Value::Texts(vec![(*g.pick(list)).to_owned()]),
                _ => text((*g.pick(list)).to_owned()),
            },
            Sem::SomeOf(list) => {
                let n = g.range(1, 4) as usize;
                let mut items: Vec<String> = (0..n).map(|_| (*g.pick(list)).to_owned()).collect();
                items.dedup();
                match ty {
                    Type::TextArray { .. } => Value::Texts(items),
                    _ => text(items.join(",")),
                }
            }
            Sem::Object(shape) => Value::Json(object(g, shape, m)),
            Sem::Codes(list) => {
                let n = g.range(1, 4) as usize;
                let items: Vec<String> = (0..n).map(|_| format!("\"{}\"", g.pick(list))).collect();
                match ty {
                    Type::JsonArray => Value::Texts(items),
                    _ => Value::Json(format!("[{}]", items.join(","))),
                }
            }
            Sem::Entries(shape) => {
                let n = g.range(0, 3) as usize;
                let items: Vec<String> = (0..n).map(|_| object(g, shape, m)).collect();
                match ty {
                    Type::JsonArray => Value::Texts(items),
                    _ => Value::Json(format!("[{}]", items.join(","))),
                }
            }
            Sem::Uuid | Sem::LooseRef(_) => match ty {
                Type::UuidArray => Value::Uuids(Vec::new()),
                _ => Value::Uuid(vytal_uuid(g)),
            },
            Sem::Pool => {
                let mut p = cell_gen(r.seed, 0x006f_7267, 0, g.range(0, 3) as u64);
                Value::Uuid(vytal_uuid(&mut p))
            }
            Sem::Plain => plain(g, ty),
        }
    }
}

fn vytal_uuid(g: &mut Gen) -> (u64, u64) {
    g.uuid()
}

fn time(ty: &Type, micros: i64) -> Value {
    match ty {
        Type::Date => Value::Date(i32::try_from(micros.div_euclid(DAY)).unwrap_or(0)),
        _ => Value::Time(micros),
    }
}

/// An integer for an integer column, or a decimal with `scale` places for a numeric one.
fn number(ty: &Type, n: i64, places: u32) -> Value {
    match ty {
        Type::Int { bits } => {
            let max = match bits {
                16 => i64::from(i16::MAX),
                32 => i64::from(i32::MAX),
                _ => i64::MAX,
            };
            Value::Int(if places == 2 { n / 100 } else { n }.min(max))
        }
        Type::Float => Value::Float(if places == 2 { n as f64 / 100.0 } else { n as f64 }),
        Type::Numeric { scale, int_digits } => {
            let text = if places == 2 { money(n) } else { n.to_string() };
            let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
            let int = if int.trim_start_matches('-').len() > *int_digits as usize {
                "9".repeat(*int_digits as usize)
            } else {
                int.to_owned()
            };
            let mut frac = frac.to_owned();
            frac.truncate(*scale as usize);
            Value::Text(if frac.is_empty() { int } else { format!("{int}.{frac}") })
        }
        Type::Text { .. } => Value::Text(n.to_string()),
        _ => Value::Null,
    }
}

/// A value by type alone.
fn plain(g: &mut Gen, ty: &Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(g.chance(0.5)),
        Type::Int { .. } | Type::Numeric { .. } | Type::Float => number(ty, g.range(0, 100), 0),
        Type::Text { .. } => Value::Text((*g.pick(words::WORDS)).to_owned()),
        Type::Uuid => Value::Uuid(g.uuid()),
        Type::Json => Value::Json("{}".to_owned()),
        Type::Bytes => Value::Text(format!("{:016x}", g.next_u64())),
        _ => Value::Null,
    }
}

/// A JSON object of a shape its column's name promises.
fn object(g: &mut Gen, shape: &str, m: Moment) -> String {
    match shape {
        "prescriptions" => {
            format!(r#"{{"drug":"{}","sig":"once daily","refills":{}}}"#, g.pick(words::DRUGS), g.range(0, 4))
        }
        "attachments" | "documents" => {
            format!(
                r#"{{"name":"document-{}.pdf","size":{},"mimeType":"application/pdf"}}"#,
                g.range(1, 999),
                g.range(20_000, 900_000)
            )
        }
        "location" => format!(
            r#"{{"lat":{:.4},"lng":{:.4}}}"#,
            30.0 + g.range(0, 1500) as f64 / 100.0,
            -120.0 + g.range(0, 4500) as f64 / 100.0
        ),
        "deviceinfo" => format!(
            r#"{{"model":"{}","os":"{}","appVersion":"3.4.{}"}}"#,
            g.pick(&["iPhone 15", "Pixel 8", "Galaxy S24"]),
            g.pick(&["iOS 18.1", "Android 15"]),
            g.range(0, 3)
        ),
        "quality" => format!(
            r#"{{"packetLoss":{:.2},"jitterMs":{},"bitrateKbps":{}}}"#,
            g.range(0, 300) as f64 / 100.0,
            g.range(2, 40),
            g.range(300, 2500)
        ),
        "signature" => format!(r#"{{"method":"electronic","signedAt":{}}}"#, m.created / 1000),
        "recurrence" => format!(r#"{{"freq":"{}","interval":{}}}"#, g.pick(&["DAILY", "WEEKLY"]), g.range(1, 3)),
        "structured" => format!(r#"{{"assessment":"{}","plan":"{}"}}"#, g.pick(words::ASSESSMENT), g.pick(words::PLAN)),
        "settings" | "preferences" => {
            format!(r#"{{"notifications":{},"language":"en-US","quietHours":"22:00-07:00"}}"#, g.chance(0.8))
        }
        "call" => r#"{"name":"get_recent_vitals","arguments":{"days":7}}"#.to_owned(),
        "amendments" | "auditlog" => format!(
            r#"{{"at":{},"action":"{}","reason":"{}"}}"#,
            m.created / 1000 + g.range(0, 86_400_000),
            g.pick(&["created", "rotated", "amended", "accessed"]),
            g.pick(words::REASONS)
        ),
        "consent" => format!(r#"{{"method":"verbal","recordedBy":"staff","participants":{}}}"#, g.range(2, 4)),
        "derivation" => r#"{"kdf":"HKDF-SHA256","info":"vytal-phi"}"#.to_owned(),
        "transcription" => format!(r#"{{"language":"en-US","confidence":{:.2}}}"#, 0.8 + g.range(0, 19) as f64 / 100.0),
        _ => format!(
            r#"{{"source":"{}","appVersion":"3.4.{}"}}"#,
            g.pick(&["mobile", "web", "device-sync"]),
            g.range(0, 3)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_per_row_and_differ_by_seed() {
        let mut seen = std::collections::HashSet::new();
        for row in 0..100_000 {
            assert!(seen.insert(key(7, 99, row)), "row {row} repeats a key");
        }
        assert_ne!(key(7, 99, 0), key(8, 99, 0));
        let (hi, lo) = key(7, 99, 5);
        assert_eq!((hi >> 12) & 0xf, 4, "version 4");
        assert_eq!(lo >> 62, 0b10, "RFC 4122 variant");
    }

    #[test]
    fn statuses_lean_to_the_common_ones() {
        let labels: Vec<String> =
            ["scheduled", "completed", "cancelled", "no_show"].iter().map(|s| (*s).to_owned()).collect();
        let mut g = Gen::new(1);
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..10_000 {
            *counts.entry(weighted_label(&mut g, &labels)).or_insert(0) += 1;
        }
        assert!(counts["completed"] > counts["scheduled"]);
        assert!(counts["scheduled"] > counts["cancelled"] * 3);
        assert!(counts["no_show"] > 0);
    }

    #[test]
    fn names_decide_what_a_column_holds() {
        let text = Type::Text { max: None };
        assert_eq!(semantic("users", "email", &text, None, true), Sem::Email);
        assert_eq!(semantic("claims", "claimNumber", &text, None, true), Sem::Serial("CLM"));
        assert_eq!(semantic("calls", "endedAt", &Type::Timestamp, None, false), Sem::End);
        assert_eq!(semantic("appointments", "scheduledAt", &Type::Timestamp, None, false), Sem::Start);
        assert_eq!(
            semantic("appointments", "duration", &Type::Int { bits: 32 }, Some("30"), false),
            Sem::Duration { minutes: true }
        );
        assert_eq!(
            semantic("calls", "duration", &Type::Int { bits: 32 }, None, false),
            Sem::Duration { minutes: false }
        );
        assert_eq!(
            semantic("tasks", "appointmentId", &Type::Uuid, None, false),
            Sem::LooseRef("appointments".to_owned())
        );
        assert_eq!(
            semantic("calls", "clinicalNoteId", &Type::Uuid, None, false),
            Sem::LooseRef("clinical_notes".to_owned())
        );
        assert_eq!(
            semantic("call_recordings", "encryptionKeyId", &Type::Text { max: None }, None, false),
            Sem::LooseRef("encryption_keys".to_owned())
        );
    }

    #[test]
    fn numbers_fit_their_columns() {
        let cost = Type::Numeric { scale: 6, int_digits: 4 };
        assert_eq!(number(&cost, 12_345, 2), Value::Text("123.45".to_owned()));
        let small = Type::Numeric { scale: 2, int_digits: 2 };
        assert_eq!(number(&small, 123_456, 2), Value::Text("99.56".to_owned()));
        assert_eq!(number(&Type::Int { bits: 16 }, 1 << 40, 0), Value::Int(i64::from(i16::MAX)));
    }
}
