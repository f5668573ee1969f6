//! appointments' seed plugin: visits whose type, title, status and times go
//! together (a completed visit started and ended; a cancelled one says when
//! and why; nothing in the future is completed). It writes only those
//! columns: the host fills the rest, keys, patients and providers included.

use vytal_plugins_sdk::values::{DAY, Gen, HOUR, day};
use vytal_plugins_sdk::{Batch, Info, Seed, write};

/// Visits per patient.
const PER_PATIENT: u32 = 3;
/// Rows per batch: memory stays flat whatever the count.
const PAGE: u32 = 2000;
/// "Today" for the data: earlier visits are past, later ones upcoming.
const NOW: i64 = day(2026, 6, 1);

const KINDS: &[((&str, &str, &str), u32)] = &[
    (("telehealth", "Monthly RPM review", "Review of home blood pressure readings"), 35),
    (("follow_up", "Blood pressure follow-up", "Readings above target at home"), 25),
    (("phone", "Medication check-in", "Side effects after a dose change"), 15),
    (("in_person", "Annual wellness visit", "Yearly physical and labs"), 12),
    (("initial_consult", "RPM enrollment", "New patient, device set-up and consent"), 10),
    (("emergency", "Urgent: abnormal readings", "Three readings above 180/110"), 3),
];

struct Appointments;

struct Visit {
    kind: &'static (&'static str, &'static str, &'static str),
    status: &'static str,
    at: i64,
    minutes: i64,
    created: i64,
    cancelled: Option<(i64, &'static str)>,
}

impl Seed for Appointments {
    fn info() -> Info {
        Info::new("appointments-seed", env!("CARGO_PKG_VERSION"), "appointments").writes(&["appointments"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let mut g = Gen::from_host();
        let total = count.saturating_mul(PER_PATIENT);
        let mut done = 0;
        while done < total {
            let n = PAGE.min(total - done);
            let visits: Vec<Visit> = (0..n).map(|_| visit(&mut g)).collect();
            write(batch(&visits))?;
            done += n;
        }
        Ok(())
    }
}

fn visit(g: &mut Gen) -> Visit {
    let kind = g.weighted(KINDS);
    let day_start = g.range(day(2024, 6, 1), day(2026, 9, 1)) / DAY * DAY;
    let at = day_start + 8 * HOUR + g.range(0, 36) * HOUR / 4;
    let minutes = if kind.0 == "initial_consult" { 60 } else { *g.pick(&[15, 20, 30, 30, 45]) };
    let past = at < NOW;
    let status = if past {
        *g.weighted(&[("completed", 78), ("no_show", 8), ("cancelled", 14)])
    } else {
        *g.weighted(&[("scheduled", 55), ("confirmed", 40), ("cancelled", 5)])
    };
    let cancelled = (status == "cancelled").then(|| {
        let reason = *g.pick(&["Patient asked to reschedule", "Provider unavailable", "Resolved by phone", "Patient admitted to hospital"]);
        (at - g.range(HOUR, 72 * HOUR), reason)
    });
    let created = at - g.range(2 * DAY, 45 * DAY);
    Visit { kind, status, at, minutes, created, cancelled }
}

fn batch(v: &[Visit]) -> Batch {
    let text = |f: &dyn Fn(&Visit) -> Option<String>| v.iter().map(f).collect::<Vec<_>>();
    let time = |f: &dyn Fn(&Visit) -> Option<i64>| v.iter().map(f).collect::<Vec<_>>();
    let done = |x: &Visit| x.status == "completed";
    Batch::new("appointments")
        .text("type", text(&|x| Some(x.kind.0.to_owned())))
        .text("status", text(&|x| Some(x.status.to_owned())))
        .text("title", text(&|x| Some(x.kind.1.to_owned())))
        .text("reasonForVisit", text(&|x| Some(x.kind.2.to_owned())))
        .timestamp("scheduledAt", time(&|x| Some(x.at)))
        .integer("duration", time(&|x| Some(x.minutes)))
        .timestamp("endTime", time(&|x| Some(x.at + x.minutes * 60_000_000)))
        .timestamp("startedAt", time(&|x| done(x).then_some(x.at + 2 * 60_000_000)))
        .timestamp("completedAt", time(&|x| done(x).then_some(x.at + (x.minutes + 2) * 60_000_000)))
        .boolean("isConfirmed", v.iter().map(|x| Some(matches!(x.status, "confirmed" | "completed"))))
        .timestamp("confirmedAt", time(&|x| matches!(x.status, "confirmed" | "completed").then_some(x.at - DAY)))
        .timestamp("cancelledAt", time(&|x| x.cancelled.map(|c| c.0)))
        .text("cancellationReason", text(&|x| x.cancelled.map(|c| c.1.to_owned())))
        .timestamp("createdAt", time(&|x| Some(x.created)))
        .timestamp("updatedAt", time(&|x| Some(x.cancelled.map_or(x.created, |c| c.0))))
}

vytal_plugins_sdk::export_seeder!(Appointments);
