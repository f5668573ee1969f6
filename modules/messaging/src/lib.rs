//! The `messaging` module. Secure patient-provider conversations and their messages, with read
//! receipts, attachments and replies.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `conversations` | 17 | `patientId` (users), `providerId` (users) |
//! | `messages` | 19 | `conversationId` (conversations), `replyToMessageId` (messages), `senderId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `conversations.lastMessageId` (messages) and
//! `conversations.encryptionKeyId` (encryption-keys) carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `conversations.lastMessageId` a foreign key (ON DELETE SET NULL, checked at
//! commit). `conversations.encryptionKeyId` stays without one: `encryption_keys` is standalone.

vytal_contract::module!("messaging");
