//! The one place that names every module crate.
//!
//! A crate that is only listed in Cargo.toml is never linked, and its
//! `inventory` registrations vanish without a word. Naming each crate here
//! forces the link; a test checks that this list, the `modules/` folder and
//! `migrations.toml` agree.

use vytal_module_ai_conversations as _;
use vytal_module_appointments as _;
use vytal_module_audit as _;
use vytal_module_billing as _;
use vytal_module_claims as _;
use vytal_module_clinical_notes as _;
use vytal_module_consents as _;
use vytal_module_core as _;
use vytal_module_encryption_keys as _;
use vytal_module_medications as _;
use vytal_module_messaging as _;
use vytal_module_monitoring as _;
use vytal_module_notifications as _;
use vytal_module_push_notifications as _;
use vytal_module_tasks as _;
use vytal_module_webrtc as _;

/// Called by [`crate::Catalog::linked`] so this file is always part of the build.
pub(crate) fn ensure_linked() {}
