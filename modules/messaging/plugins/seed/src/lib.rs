//! messaging's seed plugin: a conversation between each patient and one of
//! the clinicians, and a thread in it where the two take turns, some
//! messages reply to the one before, older ones are read, and the
//! conversation's last message, preview and unread counts match the thread.
//! Patients and clinicians come from `users` (read, never written).

use vytal_plugins_sdk::values::{Gen, HOUR, day};
use vytal_plugins_sdk::{Batch, Info, Level, Seed, log, users, users_by_page, write};

/// Patients per page: memory stays flat whatever the count.
const PAGE: u32 = 500;

/// A thread: who speaks (true: the patient), and what.
const THREADS: &[&[(bool, &str)]] = &[
    &[
        (true, "My blood pressure was 152/95 this morning. Should I be worried?"),
        (false, "Thanks for letting us know. Did you rest five minutes before measuring?"),
        (true, "I measured right after my walk."),
        (false, "Please sit for five minutes and measure again, then send me the reading."),
        (true, "It's 138/86 now."),
        (false, "That is better. Keep measuring twice a day and we'll review on Friday."),
    ],
    &[
        (true, "I'm running out of metformin. Can I get a refill?"),
        (false, "Sent to your pharmacy. It should be ready tomorrow."),
        (true, "Thank you!"),
    ],
    &[
        (false, "We noticed no readings from your scale for three days. Is everything OK?"),
        (true, "The batteries died. I replaced them today."),
        (false, "Great, your readings are coming through again."),
        (true, "Weight is 81.2 kg this morning."),
    ],
    &[
        (true, "Is it normal to feel dizzy after the new dose?"),
        (false, "Mild dizziness can happen the first week. Stand up slowly and drink water."),
        (false, "If it gets worse or you faint, call 911."),
        (true, "Understood, it's already better today."),
    ],
];

type Uuid = (u64, u64);

struct Messaging;

impl Seed for Messaging {
    fn info() -> Info {
        Info::new("messaging-seed", env!("CARGO_PKG_VERSION"), "messaging")
            .reads(&["users"])
            .writes(&["conversations", "messages"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let providers = users("provider")?;
        let mut g = Gen::from_host();
        let seen = users_by_page("patient", count, PAGE, |patients| {
            let (mut conversations, mut messages) = (Conversations::default(), Messages::default());
            for &patient in patients {
                let provider = if providers.is_empty() { patient } else { *g.pick(&providers) };
                let id = g.uuid();
                let thread = *g.pick(THREADS);
                let mut at = g.range(day(2024, 6, 1), day(2026, 5, 1));
                let opened = at;
                let read_upto = g.range(1, thread.len() as i64 + 1) as usize;
                let mut previous = None;
                let mut last = (id, String::new(), at);
                let mut unread = (0, 0);
                for (n, (by_patient, text)) in thread.iter().enumerate() {
                    let message = g.uuid();
                    let sender = if *by_patient { patient } else { provider };
                    let reply = previous.filter(|_| g.chance(0.3));
                    let status = if n < read_upto { "read" } else { "delivered" };
                    if status != "read" {
                        if *by_patient { unread.1 += 1 } else { unread.0 += 1 }
                    }
                    messages.push(message, id, sender, status, text, reply, at);
                    last = (message, (*text).to_owned(), at);
                    previous = Some(message);
                    at += g.range(HOUR / 12, 6 * HOUR);
                }
                conversations.push(id, patient, provider, opened, last, unread);
            }
            write(conversations.batch())?;
            write(messages.batch())?;
            Ok(())
        })?;
        if seen == 0 {
            log(Level::Warning, "no patients in users: nothing to seed for messaging");
        }
        Ok(())
    }
}

#[derive(Default)]
struct Conversations {
    id: Vec<Uuid>,
    patient: Vec<Uuid>,
    provider: Vec<Uuid>,
    opened: Vec<i64>,
    last: Vec<(Uuid, String, i64)>,
    unread: Vec<(i64, i64)>,
}

impl Conversations {
    fn push(
        &mut self,
        id: Uuid,
        patient: Uuid,
        provider: Uuid,
        opened: i64,
        last: (Uuid, String, i64),
        unread: (i64, i64),
    ) {
        self.id.push(id);
        self.patient.push(patient);
        self.provider.push(provider);
        self.opened.push(opened);
        self.last.push(last);
        self.unread.push(unread);
    }

    fn batch(&self) -> Batch {
        Batch::new("conversations")
            .uuid("id", self.id.iter().copied().map(Some))
            .uuid("patientId", self.patient.iter().copied().map(Some))
            .uuid("providerId", self.provider.iter().copied().map(Some))
            .uuid("lastMessageId", self.last.iter().map(|l| Some(l.0)))
            .text("lastMessagePreview", self.last.iter().map(|l| Some(l.1.chars().take(80).collect())))
            .timestamp("lastMessageAt", self.last.iter().map(|l| Some(l.2)))
            .integer("patientUnreadCount", self.unread.iter().map(|u| Some(u.0)))
            .integer("providerUnreadCount", self.unread.iter().map(|u| Some(u.1)))
            .timestamp("createdAt", self.opened.iter().copied().map(Some))
            .timestamp("updatedAt", self.last.iter().map(|l| Some(l.2)))
    }
}

#[derive(Default)]
struct Messages {
    rows: Vec<(Uuid, Uuid, Uuid, &'static str, &'static str, Option<Uuid>, i64)>,
}

impl Messages {
    fn push(
        &mut self,
        id: Uuid,
        conversation: Uuid,
        sender: Uuid,
        status: &'static str,
        text: &'static str,
        reply: Option<Uuid>,
        at: i64,
    ) {
        self.rows.push((id, conversation, sender, status, text, reply, at));
    }

    fn batch(&self) -> Batch {
        let r = &self.rows;
        Batch::new("messages")
            .uuid("id", r.iter().map(|m| Some(m.0)))
            .uuid("conversationId", r.iter().map(|m| Some(m.1)))
            .uuid("senderId", r.iter().map(|m| Some(m.2)))
            .text("type", r.iter().map(|_| Some("text".to_owned())))
            .text("status", r.iter().map(|m| Some(m.3.to_owned())))
            // Stands in for the application's ciphertext: the same text, hex-encoded.
            .text("encryptedContent", r.iter().map(|m| Some(m.4.bytes().map(|b| format!("{b:02x}")).collect())))
            .text("plainContent", r.iter().map(|m| Some(m.4.to_owned())))
            .uuid("replyToMessageId", r.iter().map(|m| m.5))
            .timestamp("deliveredAt", r.iter().map(|m| Some(m.6 + 2_000_000)))
            .timestamp("readAt", r.iter().map(|m| (m.3 == "read").then_some(m.6 + HOUR)))
            .timestamp("createdAt", r.iter().map(|m| Some(m.6)))
            .timestamp("updatedAt", r.iter().map(|m| Some(m.6)))
    }
}


vytal_plugins_sdk::export_seeder!(Messaging);
