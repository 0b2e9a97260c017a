//! The `agora` command: serve (default), worker, migrate, schema, create-admin, seed-demo,
//! healthcheck.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use agora::accounts::users::ops::{AdminOutcome, ensure_super_admin};
use agora::cli::seed::{self, SeedOptions};
use agora::config::Config;
use agora::state::AppState;
use agora::{graphql, server};

/// Agora: a GraphQL API server for a services marketplace.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Configuration comes from environment variables (and a .env file in the working \
                  directory); every variable is listed in README.md, section Configuration."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default), with background workers (`WORKER_CONCURRENCY`).
    Serve,
    /// Run the background workers only, no HTTP (for deployments that separate them; set `WORKER_CONCURRENCY=0` on the servers then).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Exit 0 when the server at `HOST`:`PORT` (loopback for `0.0.0.0`) answers `/health/live` with 200: a container's health check.
    Healthcheck,
    /// Create a SUPER_ADMIN. The password is read from stdin, or from the environment variable named by --password-env; never from the command line.
    CreateAdmin {
        /// The admin's login email.
        #[arg(long)]
        email: String,
        /// Read the password from this environment variable instead of stdin.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Fill the database with demo data (clients, freelancers, projects, proposals, contracts, reviews, portfolio items) for trying the API. Refuses a database that already has users unless --force.
    SeedDemo {
        /// How many projects to post.
        #[arg(long, default_value_t = 200)]
        projects: usize,
        /// Read the demo accounts' password from this environment variable (default: "demo-password-123").
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Seed even though the database already has users.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    // Development defaults; variables already set win over the file.
    let _ = dotenvy::dotenv();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            for err in errors {
                eprintln!("agora: configuration error: {err}");
            }
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Healthcheck) = cli.command {
        return agora::cli::healthcheck::run(config.host, config.port);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("agora: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Inside the runtime: trace export (when configured) runs on it.
    let logging = {
        let _runtime = runtime.enter();
        server::init_logging(config.log_format, config.otel.as_ref())
    };
    let telemetry = match logging {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("agora: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config));
    // After the graceful shutdown: the last spans are exported.
    if let Some(telemetry) = telemetry {
        runtime.block_on(telemetry.shutdown());
    }
    // Logs are buffered (`log_sink`): out before the last words.
    agora::log_sink::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Printed once, in words: an input refused by the domain shows
            // its field and message, not its code.
            match err.downcast_ref::<agora::error::AppError>() {
                Some(agora::error::AppError::BadInput { field, message }) => {
                    eprintln!("agora: {field}: {message}");
                }
                Some(app) => eprintln!("agora: {}", app.message()),
                None => eprintln!("agora: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => server::serve(config).await,
        Command::Worker => server::work(config).await,
        Command::Schema | Command::Healthcheck => Ok(()),
        Command::Migrate => server::connect(&config).await.map(|pool| pool.close()),
        Command::CreateAdmin { email, password_env } => {
            let password = match password_env {
                Some(var) => std::env::var(&var).map_err(|_| anyhow::anyhow!("{var} is not set"))?,
                None => {
                    eprint!("Password for {email}: ");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let pool = server::connect(&config).await?;
            let state = AppState::new(pool, config)?;
            match ensure_super_admin(&state, &email, password).await? {
                AdminOutcome::Created => println!("created SUPER_ADMIN {email}"),
                AdminOutcome::AlreadyExists => anyhow::bail!("an account with email {email} already exists"),
            }
            Ok(())
        }
        Command::SeedDemo {
            projects,
            password_env,
            force,
        } => {
            let password = match password_env {
                Some(var) => std::env::var(&var).map_err(|_| anyhow::anyhow!("{var} is not set"))?,
                None => seed::DEFAULT_PASSWORD.to_owned(),
            };
            let pool = server::connect(&config).await?;
            let state = AppState::new(pool.clone(), config)?;
            let options = SeedOptions {
                projects,
                password,
                force,
                ..SeedOptions::default()
            };
            let seeded = seed::run(&state, options).await;
            pool.close();
            print!("{}", seeded?);
            Ok(())
        }
    }
}
