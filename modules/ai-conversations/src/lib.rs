//! The `ai-conversations` module. Conversations with the AI assistant and their messages, token
//! usage and model settings.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `ai_conversations` | 32 | `userId` (users) |
//! | `ai_messages` | 25 | `conversationId` (ai_conversations) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `ai_conversations.patientId`/`providerId` (users),
//! `lastMessageId` (ai_messages), `vitalReadingId` and `alertId` carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `patientId`, `providerId` (users, NO ACTION) and `lastMessageId` (ai_messages, ON
//! DELETE SET NULL, checked at commit) foreign keys; 1.1.0 gave `vitalReadingId` and `alertId` theirs.

vytal_contract::module!("ai-conversations");
