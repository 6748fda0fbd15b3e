//! The commands that look after accounts: `user add`, `user passwd` and `token create`. Each
//! opens the store, makes its change with an audit entry (actor `(command line)`), and closes
//! it before it prints what it did.

use parley::config::Config;
use parley::domain::{AuditKind, Role};
use parley::store::Store;

use super::CliResult;

type Failure = Box<dyn std::error::Error>;

/// Opens the store, runs `change` on it, and closes it (every write on disk) whatever
/// `change` returned, before handing that back.
async fn in_store<T>(
    config: &Config,
    change: impl AsyncFnOnce(&Store) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let (store, writer) = parley::open_store(config)?;
    let result = change(&store).await;
    drop(store);
    writer.join().ok();
    result
}

/// One line of standard input, or a new random password.
fn password_from(stdin: bool) -> std::io::Result<String> {
    if stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    } else {
        Ok(parley::passwords::random_password())
    }
}

pub async fn user_passwd(config: Config, username: &str, password_stdin: bool) -> CliResult {
    let password = password_from(password_stdin)?;
    let user = in_store(&config, async |store| {
        let user = parley::bootstrap::set_password(store, username, &password).await?;
        parley::bootstrap::audit_command_line(store, AuditKind::PasswordReset, &user.username, "")
            .await?;
        Ok(user)
    })
    .await?;
    println!(
        "Set the password of {} \"{}\"; their sessions have ended.",
        user.role.as_str(),
        user.username
    );
    if !password_stdin {
        println!("Password (shown only now): {password}");
    }
    Ok(())
}

pub async fn user_add(
    config: Config,
    username: &str,
    role: Role,
    name: &str,
    password_stdin: bool,
) -> CliResult {
    let password = password_from(password_stdin)?;
    let user = in_store(&config, async |store| {
        let user = parley::bootstrap::add_user(store, username, name, role, &password).await?;
        parley::bootstrap::audit_command_line(
            store,
            AuditKind::UserCreated,
            &user.username,
            user.role.as_str(),
        )
        .await?;
        Ok(user)
    })
    .await?;
    println!(
        "Added {} \"{}\" ({}).",
        user.role.as_str(),
        user.username,
        user.display_name
    );
    if !password_stdin {
        println!("Password (shown only now): {password}");
    }
    Ok(())
}

pub async fn token_create(config: Config, username: &str, label: &str) -> CliResult {
    let (user, token) = in_store(&config, async |store| {
        let name = username.to_owned();
        let user = store
            .read(move |txn| parley::store::user_by_name(txn, &name))
            .await?
            .ok_or_else(|| format!("there is no user \"{username}\""))?;
        let token =
            parley::web::auth::create_api_token(store, user.id, label, chrono::Utc::now()).await?;
        parley::bootstrap::audit_command_line(
            store,
            AuditKind::TokenCreated,
            &user.username,
            label,
        )
        .await?;
        Ok((user, token))
    })
    .await?;
    println!(
        "API token for {} \"{}\" (shown only now; send it as `Authorization: Bearer <token>`):",
        user.role.as_str(),
        user.username
    );
    println!("{token}");
    Ok(())
}
