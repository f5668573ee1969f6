//! clinical-notes' seed plugin: notes whose sections agree. Each note is
//! about one condition: its SOAP content, structured data, ICD-10 code and
//! title say the same thing; a signed note has a signature and time; a
//! locked one was signed first. It writes only those columns: the host
//! fills the rest, keys, patients and providers included.

use vytal_plugins_sdk::values::{DAY, Gen, HOUR, day};
use vytal_plugins_sdk::{Batch, Info, Seed, write};

/// Notes per patient.
const PER_PATIENT: u32 = 3;
/// Rows per batch: memory stays flat whatever the count.
const PAGE: u32 = 1000;

/// A condition: name, ICD-10 code, and S, O, A, P lines that go with it.
struct Condition {
    name: &'static str,
    icd: &'static str,
    s: &'static str,
    o: &'static str,
    a: &'static str,
    p: &'static str,
}

const CONDITIONS: &[Condition] = &[
    Condition {
        name: "Hypertension",
        icd: "I10",
        s: "Reports occasional morning headaches; taking lisinopril daily.",
        o: "Home BP average 146/91 over 14 days; clinic BP 142/88, HR 76.",
        a: "Essential hypertension, not at goal.",
        p: "Increase lisinopril to 20 mg daily; continue twice-daily readings; recheck in 2 weeks.",
    },
    Condition {
        name: "Type 2 diabetes",
        icd: "E11.9",
        s: "Denies hypoglycemia; diet adherence improved.",
        o: "Fasting glucose average 131 mg/dL; weight 88.4 kg, down 1.2 kg.",
        a: "Type 2 diabetes mellitus without complications, improving control.",
        p: "Continue metformin 500 mg twice daily; HbA1c in 6 weeks.",
    },
    Condition {
        name: "Heart failure",
        icd: "I50.32",
        s: "Mild ankle swelling in the evenings; no orthopnea.",
        o: "Weight up 1.4 kg in 5 days; SpO2 96%; BP 128/78.",
        a: "Chronic diastolic heart failure, mild fluid gain.",
        p: "Furosemide 20 mg for 3 days; daily weights; call if gain over 1 kg a day.",
    },
    Condition {
        name: "COPD",
        icd: "J44.9",
        s: "Increased use of rescue inhaler during cold weather.",
        o: "SpO2 93-95% at rest; RR 18; no fever.",
        a: "COPD, stable without exacerbation.",
        p: "Continue maintenance inhaler; review inhaler technique; pulmonary rehab referral.",
    },
];

struct Notes;

struct Note {
    c: &'static Condition,
    note_type: &'static str,
    encounter: &'static str,
    status: &'static str,
    at: i64,
    minutes: i64,
}

impl Seed for Notes {
    fn info() -> Info {
        Info::new("clinical-notes-seed", env!("CARGO_PKG_VERSION"), "clinical-notes").writes(&["clinical_notes"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let mut g = Gen::from_host();
        let total = count.saturating_mul(PER_PATIENT);
        let mut done = 0;
        while done < total {
            let n = PAGE.min(total - done);
            let notes: Vec<Note> = (0..n).map(|_| note(&mut g)).collect();
            write(batch(&notes))?;
            done += n;
        }
        Ok(())
    }
}

fn note(g: &mut Gen) -> Note {
    let c = g.pick(CONDITIONS);
    let (note_type, encounter) =
        *g.weighted(&[(("rpm_review", "rpm_monitoring"), 40), (("soap", "telehealth"), 25), (("progress", "in_person"), 15), (("follow_up", "phone"), 15), (("initial_assessment", "in_person"), 5)]);
    let status = *g.weighted(&[("signed", 55), ("locked", 20), ("pending_signature", 10), ("draft", 10), ("amended", 5)]);
    let at = g.range(day(2024, 1, 1), day(2026, 6, 1)) / DAY * DAY + 9 * HOUR + g.range(0, 32) * HOUR / 4;
    Note { c, note_type, encounter, status, at, minutes: *g.pick(&[10, 15, 20, 25, 30]) }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn batch(n: &[Note]) -> Batch {
    let text = |f: &dyn Fn(&Note) -> Option<String>| n.iter().map(f).collect::<Vec<_>>();
    let signed = |x: &Note| matches!(x.status, "signed" | "locked" | "amended");
    let signed_at = |x: &Note| x.at + (x.minutes + 30) * 60_000_000;
    Batch::new("clinical_notes")
        .text("noteType", text(&|x| Some(x.note_type.to_owned())))
        .text("encounterType", text(&|x| Some(x.encounter.to_owned())))
        .text("status", text(&|x| Some(x.status.to_owned())))
        .timestamp("encounterDate", n.iter().map(|x| Some(x.at)))
        .integer("encounterDuration", n.iter().map(|x| Some(x.minutes)))
        .text("title", text(&|x| Some(format!("{}: {}", x.c.name, x.note_type.replace('_', " ")))))
        .text("content", text(&|x| Some(format!("S: {}\nO: {}\nA: {}\nP: {}", x.c.s, x.c.o, x.c.a, x.c.p))))
        .json(
            "structuredData",
            text(&|x| {
                Some(format!(
                    r#"{{"subjective":"{}","objective":"{}","assessment":"{}","plan":"{}","icd10":["{}"]}}"#,
                    escape(x.c.s),
                    escape(x.c.o),
                    escape(x.c.a),
                    escape(x.c.p),
                    x.c.icd
                ))
            }),
        )
        .text("icdCodes", text(&|x| Some(x.c.icd.to_owned())))
        .text("cptCodes", text(&|x| Some(if x.note_type == "rpm_review" { "99457" } else { "99213" }.to_owned())))
        .boolean("isSigned", n.iter().map(|x| Some(signed(x))))
        .timestamp("signedAt", n.iter().map(|x| signed(x).then_some(signed_at(x))))
        .json("signature", text(&|x| signed(x).then(|| format!(r#"{{"method":"electronic","signedAt":{}}}"#, signed_at(x) / 1000))))
        .boolean("isLocked", n.iter().map(|x| Some(x.status == "locked")))
        .timestamp("lockedAt", n.iter().map(|x| (x.status == "locked").then_some(signed_at(x) + 7 * DAY)))
        .boolean("isAmended", n.iter().map(|x| Some(x.status == "amended")))
        .timestamp("createdAt", n.iter().map(|x| Some(x.at)))
        .timestamp("updatedAt", n.iter().map(|x| Some(if signed(x) { signed_at(x) } else { x.at })))
}

vytal_plugins_sdk::export_seeder!(Notes);
