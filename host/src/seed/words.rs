//! The vocabulary of a remote patient monitoring clinic, for values a column's
//! name asks for: short lists of real-looking text, picked from by the
//! generator. People's names come from the plugin SDK's `values`, so host
//! and plugins draw from one list.

pub(crate) const TASK_TITLES: &[&str] = &[
    "Review blood pressure trend",
    "Call patient about missed readings",
    "Reconcile medication list",
    "Follow up on abnormal glucose",
    "Schedule quarterly check-in",
    "Confirm device shipment",
    "Review weight gain alert",
    "Update care plan",
    "Sign pending clinical note",
    "Verify insurance eligibility",
];

pub(crate) const SENTENCES: &[&str] = &[
    "Patient reports feeling well and taking medications as prescribed.",
    "Blood pressure readings remain above target in the evenings.",
    "Discussed low-sodium diet and daily walking for 30 minutes.",
    "No chest pain, shortness of breath or dizziness reported.",
    "Glucose readings improved since the dose adjustment last month.",
    "Patient asked to repeat readings twice daily for one week.",
    "Reviewed home monitoring technique; cuff placement corrected.",
    "Mild ankle swelling noted; advised to elevate legs and recheck weight.",
    "Patient missed two days of readings while travelling.",
    "Care team will reassess at the next scheduled visit.",
];

pub(crate) const SUBJECTIVE: &[&str] = &[
    "S: Patient reports occasional morning headaches and fatigue.",
    "S: Patient states adherence to medication, denies side effects.",
    "S: Reports improved sleep, mild knee pain after walking.",
    "S: Complains of intermittent palpitations over the past week.",
];
pub(crate) const OBJECTIVE: &[&str] = &[
    "O: BP 142/88, HR 76, SpO2 97%, weight 84.2 kg.",
    "O: BP 128/80, HR 68, glucose 132 mg/dL fasting.",
    "O: BP 136/84, HR 81, weight unchanged from last visit.",
    "O: Home readings averaged 131/83 over 14 days.",
];
pub(crate) const ASSESSMENT: &[&str] = &[
    "A: Essential hypertension, not at goal.",
    "A: Type 2 diabetes, improving control.",
    "A: Hyperlipidemia, stable on statin.",
    "A: Heart failure with preserved ejection fraction, compensated.",
];
pub(crate) const PLAN: &[&str] = &[
    "P: Increase lisinopril to 20 mg daily; recheck in 2 weeks.",
    "P: Continue current regimen; RPM readings twice daily.",
    "P: Refer to nutrition counselling; follow up in 1 month.",
    "P: Order BMP and lipid panel; telehealth visit in 4 weeks.",
];

pub(crate) const DRUGS: &[&str] = &[
    "Metformin 500 mg",
    "Lisinopril 10 mg",
    "Atorvastatin 20 mg",
    "Amlodipine 5 mg",
    "Levothyroxine 50 mcg",
    "Losartan 50 mg",
    "Metoprolol succinate 25 mg",
    "Furosemide 20 mg",
];

pub(crate) const ICD10: &[&str] = &["I10", "E11.9", "E78.5", "I50.32", "J44.9", "E66.9", "N18.3", "I48.91"];
pub(crate) const CPT: &[&str] = &["99453", "99454", "99457", "99458", "99213", "99214", "99091", "99495"];
pub(crate) const INSURERS: &[&str] =
    &["Medicare Part B", "Aetna", "Blue Cross Blue Shield", "UnitedHealthcare", "Cigna", "Humana"];
pub(crate) const CITIES: &[&str] =
    &["Boston, MA", "Columbus, OH", "Denver, CO", "Austin, TX", "Portland, OR", "Raleigh, NC", "Madison, WI"];
pub(crate) const TIMEZONES: &[&str] =
    &["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "UTC"];
pub(crate) const USER_AGENTS: &[&str] = &[
    "VytalWatch/3.4.1 (iPhone; iOS 18.1)",
    "VytalWatch/3.4.0 (Android 15; Pixel 8)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36",
];
pub(crate) const REASONS: &[&str] = &[
    "Patient requested a later time",
    "Provider unavailable",
    "Resolved by phone",
    "Duplicate entry",
    "Patient hospitalised",
];
pub(crate) const WORDS: &[&str] = &[
    "hypertension",
    "diabetes",
    "follow-up",
    "telehealth",
    "vitals",
    "adherence",
    "cardiology",
    "nutrition",
    "urgent",
    "routine",
];
pub(crate) const MODELS: &[&str] = &["gpt-4o", "gpt-4", "claude-3-5-sonnet", "gpt-4o-mini"];
pub(crate) const ALGORITHMS: &[&str] = &["AES-256-GCM", "AES-256-CBC", "RSA-OAEP-256"];
pub(crate) const STORAGE: &[&str] = &["s3", "gcs", "azure-blob"];
pub(crate) const REGIONS: &[&str] = &["us-east-1", "us-west-2", "us-central1", "eastus2"];
pub(crate) const MIME: &[&str] = &["video/webm", "video/mp4", "audio/webm"];
