//! The top bar every signed-in page shares (`templates/page.html`): the page's title as its
//! one `h1`, the links the user's role may follow, who is signed in and Log out; on admin pages
//! also the admin menu (`templates/admin/layout.html`).

use crate::domain::Role;
use crate::state::AppState;

use super::auth::SessionInfo;

/// The top bar's links, by the `current` value that marks each as this page's.
pub const WORKSPACE: &str = "workspace";
pub const CONTACTS: &str = "contacts";
pub const SEARCH: &str = "search";
pub const SUPERVISOR: &str = "supervisor";
pub const REPORTS: &str = "reports";
pub const ADMIN: &str = "admin";
pub const SETTINGS: &str = "settings";

pub struct Nav {
    pub csrf: String,
    pub display_name: String,
    pub role: Role,
    /// The page's `h1`.
    pub title: String,
    /// The top-bar link this page belongs to (one of the constants above), or "" for none.
    pub current: &'static str,
    /// Admin pages: their entry in the admin menu (`users`, `queues`, `campaigns`, ...).
    pub admin_section: Option<&'static str>,
    /// Said on every admin page while Parley is served over plain HTTP on the network.
    pub plain_http_warning: Option<&'static str>,
}

impl Nav {
    /// The top bar of a page titled `title` under the link `current`.
    pub fn new(me: &SessionInfo, current: &'static str, title: impl Into<String>) -> Nav {
        Nav {
            csrf: me.csrf().to_owned(),
            display_name: if me.user.display_name.is_empty() {
                me.user.username.clone()
            } else {
                me.user.display_name.clone()
            },
            role: me.user.role,
            title: title.into(),
            current,
            admin_section: None,
            plain_http_warning: None,
        }
    }

    /// The top bar and admin menu of the admin page in `section`.
    pub fn admin(state: &AppState, me: &SessionInfo, section: &'static str) -> Nav {
        Nav {
            admin_section: Some(section),
            plain_http_warning: state
                .plain_http_on_lan
                .then_some(super::plain_http::WARNING),
            ..Nav::new(me, ADMIN, "Administration")
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Search and the wallboard are for supervisors and admins.
    pub fn supervises(&self) -> bool {
        self.role.at_least(Role::Supervisor)
    }

    /// Whether the admin menu entry `section` is this page's.
    pub fn in_section(&self, section: &str) -> bool {
        self.admin_section == Some(section)
    }
}
