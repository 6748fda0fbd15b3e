//! Integration tests: the real server on an ephemeral port, a temp data dir, HTTP only.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed test should panic loudly

mod acd;
mod admin;
mod admin_campaigns;
mod api_tokens;
mod auth;
mod browser;
mod browser_contact;
mod browser_history;
mod browser_history_search;
mod browser_notes;
mod browser_search;
mod browser_survey;
mod browser_templates;
mod browser_workspace_tools;
mod common;
mod compliance;
mod contacts;
mod core_loop;
mod crash;
mod demo;
mod history;
mod history_search;
mod insights_tab;
mod notes;
mod outbox;
mod outbox_crash;
mod outbound_sms;
mod search;
mod search_page;
mod search_rebuild;
mod segments_stored;
mod surveys;
mod tabs;
mod templates;
mod webhooks;
