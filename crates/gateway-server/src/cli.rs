//! The command line: `serve` (default), `migrate`, `users`, `keys`, `tokens`, `admin-token`,
//! `openapi`, `fixtures export|load`, `completions`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};
use gateway_core::{NewUser, PasswordChange, Surface, UserId, UserKind, UserStatus};

use crate::{AppState, Application, Settings, credentials, demo, dialects, startup, telemetry};

/// Multi-dialect account API gateway.
#[derive(Debug, Parser)]
#[command(name = "gateway", version, about)]
pub struct Cli {
    /// Extra TOML settings file, layered over config/default.toml and config/$GATEWAY_ENV.toml.
    #[arg(long, global = true, env = "GATEWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory holding $GATEWAY_ENV.toml.
    #[arg(long, global = true, default_value = "config")]
    pub config_dir: PathBuf,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve every dialect on one listener.
    Serve {
        /// Ensure a demo user and a demo tiered project; print credentials for every surface and
        /// a snippet per vendor SDK.
        #[arg(long)]
        demo: bool,
        /// Load this fixture file (YAML or JSON) at start and on `POST /admin/reset`; an invalid
        /// file stops the start with its path, line and problem.
        #[arg(long, value_name = "FILE")]
        fixtures: Option<PathBuf>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Issue access tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Print the admin token in effect: the configured `admin.token`, or the one generated on
    /// first start and kept in the database (generated now if no instance has started yet).
    AdminToken,
    /// Print the OpenAPI document of a dialect surface.
    Openapi {
        /// Surface name; run without it to list them.
        name: Option<String>,
    },
    /// Export the database's state as a fixture file, or load one into it.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Print a shell completion script: `source <(gateway completions bash)`.
    Completions {
        /// bash, zsh or fish (also elvish, powershell).
        shell: clap_complete::Shell,
    },
}

/// `fixtures ...`
#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Write the state (users, teams, API keys, projects) as a fixture file that loads back to the
    /// same state; secrets are written as their hashes. Fixed tokens and fault rules live in a
    /// running gateway's memory: export those with GET /admin/fixtures/export.
    Export {
        /// Write here instead of standard output (`.json` picks JSON).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// yaml or json (default: by --out's extension, else yaml).
        #[arg(long)]
        format: Option<String>,
    },
    /// Replace the database's state by a fixture file (YAML or JSON), after checking all of it.
    /// A running gateway keeps its own fixed tokens and fault rules: prefer POST /admin/fixtures
    /// while one runs.
    Load {
        /// The fixture file.
        file: PathBuf,
    },
}

/// `users ...`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user.
    Create(CreateUserArgs),
    /// List users.
    List,
    /// Show one user (by id or username).
    Show {
        /// User id or username.
        user: String,
    },
    /// Delete a user and every credential of it.
    Delete {
        /// User id or username.
        user: String,
    },
}

/// `users create` arguments.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Unique username.
    #[arg(long)]
    pub username: String,
    /// Primary email.
    #[arg(long)]
    pub email: Option<String>,
    /// Password (hashed with argon2id).
    #[arg(long)]
    pub password: Option<String>,
    /// Display name.
    #[arg(long)]
    pub display_name: Option<String>,
    /// regular, service_account or admin.
    #[arg(long, default_value = "regular")]
    pub kind: String,
}

/// `keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key (printed once).
    Create {
        /// User id or username.
        #[arg(long)]
        user: String,
        /// Surface: platform, users-me, account-profile, me, users.
        #[arg(long)]
        surface: String,
        /// Label.
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke an API key by id.
    Revoke {
        /// Key id.
        id: String,
    },
}

/// `tokens ...`
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Issue access tokens (one surface, or all of them with API keys).
    Issue {
        /// User id or username.
        #[arg(long)]
        user: String,
        /// One surface; all when absent.
        #[arg(long)]
        surface: Option<String>,
        /// Lifetime in seconds.
        #[arg(long)]
        ttl_secs: Option<i64>,
    },
}

async fn find_user(state: &AppState, user: &str) -> anyhow::Result<gateway_core::User> {
    Ok(match user.parse::<UserId>() {
        Ok(id) => state.gateway.user(id).await?,
        Err(_) => state.gateway.user_by_username(user).await?,
    })
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve {
        demo: false,
        fixtures: None,
    });
    if let Command::Completions { shell } = &command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "gateway",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    if let Command::Openapi { name } = &command {
        return match name {
            None => {
                for n in dialects::openapi_names() {
                    println!("{n}");
                }
                Ok(())
            }
            Some(n) => match dialects::openapi(n) {
                Some(doc) => {
                    println!("{doc}");
                    Ok(())
                }
                None => anyhow::bail!(
                    "unknown surface {n:?}; known: {}",
                    dialects::openapi_names().join(", ")
                ),
            },
        };
    }
    let mut settings = Settings::load(&cli.config_dir, cli.config.as_deref())?;
    if let Command::Serve {
        fixtures: Some(path),
        ..
    } = &command
    {
        settings.emulator.fixtures = path.display().to_string();
    }
    telemetry::init(&settings.log);
    match command {
        Command::Serve { demo, .. } => {
            let app = Application::build(&settings).await?;
            println!("gateway listening on {}", app.base_url());
            if let Some(summary) = crate::emulator::fixtures::current(app.state()).await {
                let c = &summary.counts;
                println!(
                    "  fixtures: {} ({} users, {} teams, {} API keys, {} tokens, {} projects, {} fault rules)",
                    summary.source, c.users, c.teams, c.api_keys, c.tokens, c.projects, c.faults
                );
            }
            println!(
                "  console:  {}/console   metrics: {}/metrics",
                app.base_url(),
                app.base_url()
            );
            println!("  database: {}", app.state().store.describe());
            if app.state().admin_token.is_empty() {
                println!("  admin:    disabled (admin.enabled = false)");
            } else if !demo {
                println!(
                    "  admin:    {}/admin, token: `gateway admin-token`",
                    app.base_url()
                );
            }
            println!(
                "  health:   {}/healthz   readiness: {}/readyz",
                app.base_url(),
                app.base_url()
            );
            if demo {
                demo::ensure_and_print(app.state(), &app.base_url()).await?;
            } else {
                println!(
                    "  credentials: `gateway users create ...` then `gateway tokens issue --user NAME`,\n               or POST {}/admin/users/{{id}}/tokens with the admin token",
                    app.base_url()
                );
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let state = startup::state(&settings).await?;
            println!("migrated {}", state.store.describe());
        }
        Command::Users(cmd) => {
            let state = startup::state(&settings).await?;
            match cmd {
                UsersCommand::Create(CreateUserArgs {
                    username,
                    email,
                    password,
                    display_name,
                    kind,
                }) => {
                    let kind: UserKind = kind.parse().map_err(anyhow::Error::msg)?;
                    let mut new = NewUser::regular(username);
                    new.fields.email = Some(email);
                    new.fields.password = Some(password.map(PasswordChange::Plain));
                    new.fields.display_name = Some(display_name);
                    new.kind = kind;
                    new.fields.status = Some(UserStatus::Active);
                    let user = state.gateway.create_user(new).await?.value;
                    print_json(&crate::admin::AdminUser::from(&user))?;
                }
                UsersCommand::List => {
                    let users = state.gateway.list_users(1000, 0).await?;
                    print_json(
                        &users
                            .iter()
                            .map(crate::admin::AdminUser::from)
                            .collect::<Vec<_>>(),
                    )?;
                }
                UsersCommand::Show { user } => {
                    print_json(&crate::admin::AdminUser::from(
                        &find_user(&state, &user).await?,
                    ))?;
                }
                UsersCommand::Delete { user } => {
                    let user = find_user(&state, &user).await?;
                    state.gateway.delete_user(user.id).await?;
                    println!("deleted {}", user.id);
                }
            }
        }
        Command::Keys(cmd) => {
            let state = startup::state(&settings).await?;
            match cmd {
                KeysCommand::Create {
                    user,
                    surface,
                    label,
                } => {
                    let user = find_user(&state, &user).await?;
                    let surface: Surface = surface.parse().map_err(anyhow::Error::msg)?;
                    let (key, generated) =
                        state.gateway.issue_api_key(user.id, surface, label).await?;
                    print_json(&serde_json::json!({
                        "id": key.id, "surface": surface.as_str(), "user_id": user.id.to_string(), "key": generated.text
                    }))?;
                }
                KeysCommand::Revoke { id } => {
                    state.gateway.revoke_api_key(&id).await?;
                    println!("revoked {id}");
                }
            }
        }
        Command::Tokens(TokensCommand::Issue {
            user,
            surface,
            ttl_secs,
        }) => {
            let state = startup::state(&settings).await?;
            let user = find_user(&state, &user).await?;
            let lifetime = ttl_secs
                .map(|secs| gateway_core::validate::ttl_secs("--ttl-secs", secs, false))
                .transpose()
                .map_err(|issue| anyhow::anyhow!("{}: {}", issue.field, issue.message))?;
            let set = match surface {
                Some(s) => {
                    let surface: Surface = s.parse().map_err(anyhow::Error::msg)?;
                    vec![
                        credentials::issue(
                            &state.gateway,
                            &state.tokens,
                            user.id,
                            surface,
                            lifetime,
                            false,
                            None,
                        )
                        .await?,
                    ]
                }
                None => {
                    credentials::issue_all(
                        &state.gateway,
                        &state.tokens,
                        user.id,
                        lifetime,
                        Some("cli".into()),
                    )
                    .await?
                }
            };
            print_json(&set)?;
        }
        Command::AdminToken => {
            let state = startup::state(&settings).await?;
            anyhow::ensure!(
                !state.admin_token.is_empty(),
                "the admin API is disabled (admin.enabled = false)"
            );
            println!("{}", state.admin_token);
        }
        Command::Fixtures(cmd) => {
            let state = startup::state(&settings).await?;
            fixtures_command(&state, cmd).await?;
        }
        Command::Openapi { .. } | Command::Completions { .. } => {}
    }
    Ok(())
}

async fn fixtures_command(state: &AppState, cmd: FixturesCommand) -> anyhow::Result<()> {
    use crate::emulator::{export, fixtures};
    match cmd {
        FixturesCommand::Export { out, format } => {
            let by_name = out
                .as_ref()
                .map(|p| p.display().to_string().to_ascii_lowercase());
            let format = match format.as_deref() {
                Some("json") => fixtures::Format::Json,
                Some("yaml" | "yml") => fixtures::Format::Yaml,
                Some(other) => anyhow::bail!("--format {other:?}: use yaml or json"),
                None if by_name.as_deref().is_some_and(|n| n.ends_with(".json")) => {
                    fixtures::Format::Json
                }
                None => fixtures::Format::Yaml,
            };
            let text = export::render(&export::snapshot(state).await?, format)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    eprintln!("exported to {} (secrets as hashes)", path.display());
                }
                None => print!("{text}"),
            }
        }
        FixturesCommand::Load { file } => {
            let summary = fixtures::load_file(state, &file).await?;
            let c = &summary.counts;
            println!(
                "loaded {}: {} users, {} teams, {} memberships, {} API keys, {} projects",
                summary.source, c.users, c.teams, c.memberships, c.api_keys, c.projects
            );
            if c.tokens > 0 || c.faults > 0 {
                println!(
                    "  note: its {} fixed tokens and {} fault rules live in a gateway's memory; load the file with `serve --fixtures` or POST /admin/fixtures to use them",
                    c.tokens, c.faults
                );
            }
        }
    }
    Ok(())
}
