//! claims' seed plugin: claims whose codes, fees and payments add up. An RPM
//! claim bills the RPM codes at their fees; a paid claim's insurer and
//! patient shares sum to the charge; a denied claim says why; claim numbers
//! are unique. It writes only those columns: the host fills the rest, keys,
//! patients and providers included.

use vytal_plugins_sdk::values::{DAY, Gen, day, money};
use vytal_plugins_sdk::{Batch, Info, Seed, write};

/// Claims per patient.
const PER_PATIENT: u32 = 2;
/// Rows per batch: memory stays flat whatever the count.
const PAGE: u32 = 2000;

/// CPT codes and their fees in cents (a national average fee schedule).
const RPM: &[(&str, i64)] = &[("99453", 1946), ("99454", 4302), ("99457", 4787), ("99458", 3849)];
const VISIT: &[(&str, i64)] = &[("99213", 9203), ("99214", 13_004)];
const TELEHEALTH: &[(&str, i64)] = &[("99213", 9203), ("99091", 5129)];
const DIAGNOSES: &[&str] = &["I10", "E11.9", "E78.5", "I50.32", "J44.9", "E66.9", "N18.3"];
const INSURERS: &[(&str, &str)] =
    &[("Medicare Part B", "MBI"), ("Aetna", "AET"), ("Blue Cross Blue Shield", "BCB"), ("UnitedHealthcare", "UHC")];

struct Claims;

struct Claim {
    number: String,
    kind: &'static str,
    status: &'static str,
    service: i64,
    codes: Vec<&'static str>,
    diagnoses: Vec<&'static str>,
    charge: i64,
    paid: i64,
    patient_share: i64,
    insurer: &'static (&'static str, &'static str),
    member: String,
    denial: Option<&'static str>,
}

impl Seed for Claims {
    fn info() -> Info {
        Info::new("claims-seed", env!("CARGO_PKG_VERSION"), "claims").writes(&["claims"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let mut g = Gen::from_host();
        let total = count.saturating_mul(PER_PATIENT);
        let mut done = 0;
        while done < total {
            let n = PAGE.min(total - done);
            let claims: Vec<Claim> = (done..done + n).map(|i| claim(&mut g, i)).collect();
            write(batch(&claims))?;
            done += n;
        }
        Ok(())
    }
}

fn claim(g: &mut Gen, i: u32) -> Claim {
    let kind = *g.weighted(&[("rpm", 60), ("telehealth", 15), ("office_visit", 20), ("diagnostic", 5)]);
    let fees = match kind {
        "rpm" => RPM,
        "telehealth" => TELEHEALTH,
        _ => VISIT,
    };
    let codes: Vec<&(&str, i64)> = match kind {
        // A month of RPM: device supply, and 20 minutes of management (sometimes 40).
        "rpm" => {
            let mut c = vec![&RPM[1], &RPM[2]];
            if g.chance(0.3) {
                c.push(&RPM[3]);
            }
            if g.chance(0.1) {
                c.insert(0, &RPM[0]);
            }
            c
        }
        _ => vec![g.pick(fees)],
    };
    let charge: i64 = codes.iter().map(|c| c.1).sum();
    let status = *g.weighted(&[
        ("paid", 40),
        ("submitted", 14),
        ("accepted", 10),
        ("partially_paid", 8),
        ("pending", 8),
        ("draft", 7),
        ("denied", 7),
        ("appealed", 4),
        ("cancelled", 2),
    ]);
    let (paid, patient_share) = match status {
        "paid" => (charge * 80 / 100, charge - charge * 80 / 100),
        "partially_paid" => (charge / 2, charge / 5),
        _ => (0, 0),
    };
    let denial = matches!(status, "denied" | "appealed").then(|| {
        *g.pick(&["CO-197: prior authorization absent", "CO-16: missing information", "CO-50: not medically necessary"])
    });
    let service = g.range(day(2024, 1, 1), day(2026, 6, 1)) / DAY * DAY;
    let year = 1970 + service / (DAY * 36525 / 100);
    let n = g.range(1, 3) as usize;
    let diagnoses = (0..n).map(|_| *g.pick(DIAGNOSES)).collect();
    let insurer = g.pick(INSURERS);
    let member = format!("{}{:09}", insurer.1, g.range(0, 1_000_000_000));
    Claim {
        number: format!("CLM-{year}-{:07}", i + 1),
        kind,
        status,
        service,
        codes: codes.iter().map(|c| c.0).collect(),
        diagnoses,
        charge,
        paid,
        patient_share,
        insurer,
        member,
        denial,
    }
}

fn json_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(","))
}

fn batch(c: &[Claim]) -> Batch {
    let text = |f: &dyn Fn(&Claim) -> Option<String>| c.iter().map(f).collect::<Vec<_>>();
    let submitted = |x: &Claim| !matches!(x.status, "draft" | "pending" | "cancelled");
    Batch::new("claims")
        .text("claimNumber", text(&|x| Some(x.number.clone())))
        .text("type", text(&|x| Some(x.kind.to_owned())))
        .text("status", text(&|x| Some(x.status.to_owned())))
        .date("serviceDate", c.iter().map(|x| i32::try_from(x.service / DAY).ok()))
        .json("cptCodes", text(&|x| Some(json_list(&x.codes))))
        .json("diagnosisCodes", text(&|x| Some(json_list(&x.diagnoses))))
        .text("totalCharge", text(&|x| Some(money(x.charge))))
        .text("paidAmount", text(&|x| Some(money(x.paid))))
        .text("adjustedAmount", text(&|x| Some(money(if x.paid > 0 { x.charge - x.paid - x.patient_share } else { 0 }))))
        .text("patientResponsibility", text(&|x| Some(money(x.patient_share))))
        .text("primaryInsuranceName", text(&|x| Some(x.insurer.0.to_owned())))
        .text("primaryInsuranceId", text(&|x| Some(x.member.clone())))
        .timestamp("submittedAt", c.iter().map(|x| submitted(x).then_some(x.service + 3 * DAY)))
        .text("submissionMethod", text(&|x| submitted(x).then(|| "clearinghouse".to_owned())))
        .timestamp("paymentReceivedAt", c.iter().map(|x| (x.paid > 0).then_some(x.service + 24 * DAY)))
        .text("denialReason", text(&|x| x.denial.map(str::to_owned)))
        .timestamp("createdAt", c.iter().map(|x| Some(x.service + DAY)))
        .timestamp("updatedAt", c.iter().map(|x| Some(x.service + 24 * DAY)))
}

vytal_plugins_sdk::export_seeder!(Claims);
