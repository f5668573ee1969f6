//! medications' seed plugin: for each patient, a few real medications with
//! dosages, routes and frequencies that go together, and a schedule for
//! each, so `vytal-host verify` (every active medication has a schedule)
//! stays clean. Patients come from `users` (the core module's table, read,
//! never written); the same `--seed` gives the same rows, keys included.

use vytal_plugins_sdk::values::{Gen, day};
use vytal_plugins_sdk::{Batch, Info, Level, Seed, log, users, users_by_page, write};

/// A drug as prescribed: the values go together.
struct Drug {
    name: &'static str,
    generic: &'static str,
    dosage: &'static str,
    strength: &'static str,
    kind: &'static str,
    route: &'static str,
    frequency: &'static str,
    doses_a_day: i64,
}

const fn drug(
    name: &'static str,
    generic: &'static str,
    dosage: &'static str,
    strength: &'static str,
    kind: &'static str,
    route: &'static str,
    frequency: &'static str,
    doses_a_day: i64,
) -> Drug {
    Drug { name, generic, dosage, strength, kind, route, frequency, doses_a_day }
}

const DRUGS: &[Drug] = &[
    drug("Metformin", "metformin", "500 mg", "500 mg", "tablet", "oral", "twice_daily", 2),
    drug("Lisinopril", "lisinopril", "10 mg", "10 mg", "tablet", "oral", "once_daily", 1),
    drug("Atorvastatin", "atorvastatin", "20 mg", "20 mg", "tablet", "oral", "bedtime", 1),
    drug("Levothyroxine", "levothyroxine", "50 mcg", "50 mcg", "tablet", "oral", "morning", 1),
    drug("Amlodipine", "amlodipine", "5 mg", "5 mg", "tablet", "oral", "once_daily", 1),
    drug("Albuterol", "albuterol", "2 puffs", "90 mcg/actuation", "inhaler", "inhalation", "as_needed", 1),
    drug("Insulin glargine", "insulin glargine", "20 units", "100 units/mL", "injection", "subcutaneous", "bedtime", 1),
    drug("Omeprazole", "omeprazole", "20 mg", "20 mg", "capsule", "oral", "once_daily", 1),
    drug("Sertraline", "sertraline", "50 mg", "50 mg", "tablet", "oral", "once_daily", 1),
    drug("Amoxicillin", "amoxicillin", "500 mg", "500 mg", "capsule", "oral", "three_times_daily", 3),
];

struct Medications;

impl Seed for Medications {
    fn info() -> Info {
        Info::new("medications-seed", env!("CARGO_PKG_VERSION"), "medications")
            .reads(&["users"])
            .writes(&["medications", "medication_schedules"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let prescribers = users("provider")?;
        let mut g = Gen::from_host();
        // A page of patients at a time, written as it is made: memory stays
        // the same whatever the count.
        let seen = users_by_page("patient", count, PAGE, |patients| {
            let (mut meds, mut schedules) = (Meds::default(), Schedules::default());
            for &patient in patients {
                let prescriber = if prescribers.is_empty() { patient } else { *g.pick(&prescribers) };
                for _ in 0..g.range(1, 4) {
                    let d = g.pick(DRUGS);
                    let id = g.uuid();
                    let start = g.timestamp(day(2025, 1, 1), day(2026, 6, 1));
                    meds.push(id, d, patient, prescriber, start);
                    for dose in 0..d.doses_a_day {
                        schedules.push(g.uuid(), id, patient, start + (8 + 6 * dose) * 3_600_000_000);
                    }
                }
            }
            write(meds.batch())?;
            write(schedules.batch())?;
            Ok(())
        })?;
        if seen == 0 {
            log(Level::Warning, "no patients in users: nothing to seed for medications");
        }
        Ok(())
    }
}

/// Patients per page.
const PAGE: u32 = 1000;

type Uuid = (u64, u64);

#[derive(Default)]
struct Meds {
    id: Vec<Uuid>,
    drug: Vec<&'static Drug>,
    patient: Vec<Uuid>,
    prescriber: Vec<Uuid>,
    start: Vec<i64>,
}

impl Meds {
    fn push(&mut self, id: Uuid, d: &'static Drug, patient: Uuid, prescriber: Uuid, start: i64) {
        self.id.push(id);
        self.drug.push(d);
        self.patient.push(patient);
        self.prescriber.push(prescriber);
        self.start.push(start);
    }

    fn batch(&self) -> Batch {
        let text = |f: fn(&Drug) -> &str| self.drug.iter().map(|d| Some(f(d).to_owned())).collect::<Vec<_>>();
        Batch::new("medications")
            .uuid("id", self.id.iter().copied().map(Some))
            .text("name", text(|d| d.name))
            .text("genericName", text(|d| d.generic))
            .text("dosage", text(|d| d.dosage))
            .text("strength", text(|d| d.strength))
            .text("type", text(|d| d.kind))
            .text("route", text(|d| d.route))
            .text("frequency", text(|d| d.frequency))
            .uuid("patientId", self.patient.iter().copied().map(Some))
            .uuid("prescribedBy", self.prescriber.iter().copied().map(Some))
            .timestamp("startDate", self.start.iter().copied().map(Some))
            // Set, not defaulted to now(): the same seed gives the same rows.
            .timestamp("createdAt", self.start.iter().copied().map(Some))
            .timestamp("updatedAt", self.start.iter().copied().map(Some))
    }
}

#[derive(Default)]
struct Schedules {
    id: Vec<Uuid>,
    medication: Vec<Uuid>,
    patient: Vec<Uuid>,
    at: Vec<i64>,
}

impl Schedules {
    fn push(&mut self, id: Uuid, medication: Uuid, patient: Uuid, at: i64) {
        self.id.push(id);
        self.medication.push(medication);
        self.patient.push(patient);
        self.at.push(at);
    }

    fn batch(&self) -> Batch {
        Batch::new("medication_schedules")
            .uuid("id", self.id.iter().copied().map(Some))
            .uuid("medicationId", self.medication.iter().copied().map(Some))
            .uuid("patientId", self.patient.iter().copied().map(Some))
            .timestamp("scheduledTime", self.at.iter().copied().map(Some))
            .boolean("isRecurring", self.id.iter().map(|_| Some(true)))
            .timestamp("createdAt", self.at.iter().copied().map(Some))
            .timestamp("updatedAt", self.at.iter().copied().map(Some))
    }
}


vytal_plugins_sdk::export_seeder!(Medications);
