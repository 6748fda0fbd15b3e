//! Changes to a user's account: disable and enable, a new role, a new password. Each one that
//! takes something away ends the user's sessions and live streams at once; disabling also
//! hands their offers and active workitems to other agents. The last enabled admin can be
//! neither disabled nor demoted.

use crate::domain::{Role, User, UserId};
use crate::state::AppState;
use crate::store::{self, StoreError, UserChange};

pub enum AccountChange {
    Disable,
    Enable,
    Role(Role),
    /// An argon2id hash of the new password.
    Password(String),
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("There is no such user.")]
    NoSuchUser,
    #[error(
        "{0} is the last enabled admin: make another user an admin first, or nobody could \
         administer Parley."
    )]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies `change` to `user`; `by` names who did it, for the workitems' events.
pub async fn change_account(
    state: &AppState,
    user: UserId,
    change: AccountChange,
    by: &str,
) -> Result<User, AccountError> {
    let outcome = state
        .store
        .write(move |txn| {
            store::change_user(txn, user, |u| match change {
                AccountChange::Disable => u.disabled = true,
                AccountChange::Enable => u.disabled = false,
                AccountChange::Role(role) => u.role = role,
                AccountChange::Password(hash) => u.password_hash = hash,
            })
        })
        .await?;
    let (before, after) = match outcome {
        UserChange::Changed { before, after } => (before, after),
        UserChange::NoSuchUser => return Err(AccountError::NoSuchUser),
        UserChange::LastAdmin(name) => return Err(AccountError::LastAdmin(name)),
    };
    let ends_sessions = (after.disabled && !before.disabled)
        || after.role != before.role
        || after.password_hash != before.password_hash;
    if ends_sessions {
        super::sessions::end_all_of(state, user).await?;
    }
    if after.disabled && !before.disabled {
        state
            .acd
            .release(user, format!("{} was disabled by {by}", after.display_name));
    }
    Ok(after)
}
