//! `agora seed-demo`: fill a database with realistic demo data for trying the
//! API and for benchmarks.
//!
//! Everything except the accounts is created through the domain operations
//! (`projects::ops`, `proposals::ops`, `contracts::ops`, `reviews::review`,
//! `portfolio::ops`) with plain commands, each in its own transaction as the
//! demo user ([`Actor::user`]), so the data obeys every rule the API
//! enforces. The accounts are inserted with `accounts::users::queries::insert`
//! and one shared password hash: an argon2id hash costs ~20 ms, and
//! `register` would also open a session per account. No operation used here
//! looks at the actor's session, so the viewers carry a made-up session id.
//!
//! The choices (who posts what, who bids, which bids are accepted) come from
//! a small xorshift generator seeded by a constant, one stream per project:
//! two runs make the same data, apart from ids and timestamps.

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::{StreamExt, stream};

use crate::accounts::users::model::NewUser;
use crate::accounts::users::queries as accounts;
use crate::auth::Role;
use crate::auth::Viewer;
use crate::auth::password::{self, Password};
use crate::contracts::ops as contracts;
use crate::db::now;
use crate::db::schema::users;
use crate::db::{SessionId, UserId};
use crate::error::AppError;
use crate::money::{Currency, Money};
use crate::portfolio::ops as portfolio;
use crate::projects::model::{BudgetType, Category, ExperienceLevel};
use crate::projects::ops as projects;
use crate::proposals::model::Availability;
use crate::proposals::ops as proposals;
use crate::reviews;
use crate::state::AppState;
use crate::tx::{Actor, Tx};
use crate::with_conn;

/// The demo accounts' password unless one is given.
pub const DEFAULT_PASSWORD: &str = "demo-password-123";

/// The demo accounts' email domain (`.test` is reserved: no mail leaves).
pub const EMAIL_DOMAIN: &str = "demo.agora.test";

/// Most projects one run creates.
pub const MAX_PROJECTS: usize = 1_000_000;

/// Most proposals on one project.
const MAX_PROPOSALS: usize = 6;

/// The seed of every run's pseudo-random choices.
const SEED: u64 = 0x5EED_A60A_2026_0001;

/// What to create.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Projects to post (spread over the clients).
    pub projects: usize,
    /// Client accounts (`client1@demo.agora.test`, …).
    pub clients: usize,
    /// Freelancer accounts (`freelancer1@demo.agora.test`, …).
    pub freelancers: usize,
    /// The password of every demo account (8 to 128 characters).
    pub password: String,
    /// Seed even when the database already has users.
    pub force: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            projects: 200,
            clients: 10,
            freelancers: 30,
            password: DEFAULT_PASSWORD.to_owned(),
            force: false,
        }
    }
}

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database has users already and `force` was not given.
    #[error(
        "the database already has {users} user(s); seed-demo is meant for an empty database \
         (pass --force to add the demo data anyway)"
    )]
    NotEmpty {
        /// How many.
        users: i64,
    },
    /// The options are out of range.
    #[error("{0}")]
    BadOptions(String),
    /// A domain operation failed (shown with its internal detail: the reader is an operator at the command line).
    #[error("{step}: {error}")]
    App {
        /// What was being done.
        step: String,
        /// The failure.
        error: AppError,
    },
}

impl From<diesel::result::Error> for SeedError {
    fn from(error: diesel::result::Error) -> Self {
        SeedError::App {
            step: "writing to the database".into(),
            error: error.into(),
        }
    }
}

/// Attach what was being done to a domain error.
pub(super) trait Step<T> {
    fn step(self, step: impl FnOnce() -> String) -> Result<T, SeedError>;
}

impl<T> Step<T> for Result<T, AppError> {
    fn step(self, step: impl FnOnce() -> String) -> Result<T, SeedError> {
        self.map_err(|error| SeedError::App { step: step(), error })
    }
}

/// What a run created.
#[derive(Debug, Clone, Default)]
pub struct SeedSummary {
    /// Client accounts created.
    pub clients: usize,
    /// Freelancer accounts created.
    pub freelancers: usize,
    /// Demo accounts that existed already and were used as they are (`force`).
    pub reused_accounts: usize,
    /// Projects posted.
    pub projects: usize,
    /// Of those, still `OPEN`.
    pub open_projects: usize,
    /// Of those, cancelled by their client.
    pub cancelled_projects: usize,
    /// Proposals submitted.
    pub proposals: usize,
    /// Of those, withdrawn by their freelancer.
    pub withdrawn_proposals: usize,
    /// Contracts (accepted proposals).
    pub contracts: usize,
    /// Of those, completed.
    pub completed_contracts: usize,
    /// Of those, cancelled.
    pub cancelled_contracts: usize,
    /// Reviews written.
    pub reviews: usize,
    /// Portfolio items added.
    pub portfolio_items: usize,
    /// The demo password.
    pub password: String,
    /// The first client's and first freelancer's emails.
    pub logins: Vec<String>,
    /// The services part (catalogue, professionals, requests).
    pub services: super::seed_services::ServicesSummary,
    /// The billing part (bills in every status, payments).
    pub billing: super::seed_billing::BillingSummary,
    /// How long the run took.
    pub elapsed: Duration,
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self;
        writeln!(f, "seeded in {:.1} s:", s.elapsed.as_secs_f64())?;
        writeln!(
            f,
            "  accounts   {} clients, {} freelancers created ({} existing demo accounts reused)",
            s.clients, s.freelancers, s.reused_accounts
        )?;
        writeln!(
            f,
            "  projects   {} ({} open, {} cancelled)",
            s.projects, s.open_projects, s.cancelled_projects
        )?;
        writeln!(
            f,
            "  proposals  {} ({} withdrawn)",
            s.proposals, s.withdrawn_proposals
        )?;
        writeln!(
            f,
            "  contracts  {} ({} completed, {} cancelled)",
            s.contracts, s.completed_contracts, s.cancelled_contracts
        )?;
        writeln!(f, "  reviews    {}", s.reviews)?;
        writeln!(f, "  portfolio  {} items", s.portfolio_items)?;
        write!(f, "{}", s.services)?;
        write!(f, "{}", s.billing)?;
        writeln!(f, "demo logins (password {:?}):", s.password)?;
        for login in &s.logins {
            writeln!(f, "  {login}")?;
        }
        if s.reused_accounts > 0 {
            writeln!(f, "  (reused accounts keep the password they had)")?;
        }
        Ok(())
    }
}

impl SeedSummary {
    /// Add the counts of one part of the run.
    fn add(&mut self, part: &SeedSummary) {
        self.projects += part.projects;
        self.open_projects += part.open_projects;
        self.cancelled_projects += part.cancelled_projects;
        self.proposals += part.proposals;
        self.withdrawn_proposals += part.withdrawn_proposals;
        self.contracts += part.contracts;
        self.completed_contracts += part.completed_contracts;
        self.cancelled_contracts += part.cancelled_contracts;
        self.reviews += part.reviews;
        self.portfolio_items += part.portfolio_items;
    }
}

/// A xorshift64* generator: small, fast, reproducible, and not for secrets.
pub(super) struct Rng(u64);

impl Rng {
    /// The stream for `index` (a project, a freelancer), mixed so that neighbouring indexes start far apart.
    pub(super) fn for_index(stream: u64, index: usize) -> Self {
        let mut x = SEED ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ (index as u64).wrapping_add(1);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((x ^ (x >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `0..n` (`n > 0`).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `k` distinct indexes of `0..n`, in random order.
    fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k);
        all
    }
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kenji", "Lina",
    "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wen", "Yara",
];
const LAST_NAMES: &[&str] = &[
    "Brooks",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Silva",
    "Novak",
    "Haddad",
    "Kowalski",
    "Fischer",
    "Rossi",
    "Nguyen",
    "Dubois",
    "Petrov",
    "García",
    "Schmidt",
    "Ahmed",
    "Jensen",
];
const BUSINESSES: &[&str] = &[
    "a bakery",
    "a dental clinic",
    "a bike shop",
    "a yoga studio",
    "a law firm",
    "a craft brewery",
    "a language school",
    "a non-profit",
    "a hardware start-up",
    "a family hotel",
    "an architecture office",
    "a farm shop",
];

/// Per category: things to make, and the skills they need.
struct Kind {
    category: Category,
    things: &'static [&'static str],
    skills: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        category: Category::WebDevelopment,
        things: &[
            "Online shop",
            "Booking website",
            "Customer portal",
            "Landing page",
            "Admin dashboard",
        ],
        skills: &[
            "Rust",
            "TypeScript",
            "React",
            "PostgreSQL",
            "CSS",
            "GraphQL",
            "Django",
            "Vue",
        ],
    },
    Kind {
        category: Category::MobileDevelopment,
        things: &["iOS app", "Android app", "Loyalty app", "Field-service app"],
        skills: &["Swift", "Kotlin", "Flutter", "React Native", "Firebase", "UX"],
    },
    Kind {
        category: Category::DataScience,
        things: &[
            "Sales forecast",
            "Churn analysis",
            "Recommendation model",
            "Reporting pipeline",
        ],
        skills: &[
            "Python",
            "SQL",
            "pandas",
            "scikit-learn",
            "Power BI",
            "Statistics",
        ],
    },
    Kind {
        category: Category::Design,
        things: &[
            "Logo and brand kit",
            "App interface",
            "Packaging design",
            "Website redesign",
        ],
        skills: &["Figma", "Illustrator", "Branding", "UI design", "Typography"],
    },
    Kind {
        category: Category::Writing,
        things: &[
            "Blog articles",
            "Product descriptions",
            "User manual",
            "Grant proposal",
        ],
        skills: &[
            "Copywriting",
            "Technical writing",
            "SEO writing",
            "Editing",
            "German",
            "Spanish",
        ],
    },
    Kind {
        category: Category::Marketing,
        things: &[
            "Newsletter campaign",
            "SEO audit",
            "Social media plan",
            "Ads campaign",
        ],
        skills: &["SEO", "Google Ads", "Mailchimp", "Analytics", "Content strategy"],
    },
    Kind {
        category: Category::Video,
        things: &[
            "Product video",
            "Event recap film",
            "Explainer animation",
            "Podcast editing",
        ],
        skills: &[
            "Premiere Pro",
            "After Effects",
            "Motion design",
            "Sound editing",
            "Filming",
        ],
    },
    Kind {
        category: Category::Other,
        things: &[
            "Data entry",
            "Virtual assistance",
            "Spreadsheet clean-up",
            "Translation",
        ],
        skills: &["Excel", "Research", "Customer support", "French", "Admin"],
    },
];

const LEVELS: &[ExperienceLevel] = &[
    ExperienceLevel::Entry,
    ExperienceLevel::Intermediate,
    ExperienceLevel::Intermediate,
    ExperienceLevel::Expert,
];
const AVAILABILITIES: &[Availability] = &[
    Availability::Immediate,
    Availability::Within2Weeks,
    Availability::WithinMonth,
    Availability::Flexible,
];
const PITCHES: &[&str] = &[
    "I have shipped several projects like this one and can share references.",
    "This is exactly my field; I would start with a short call to pin down the scope.",
    "I can deliver in milestones so you see progress every week.",
    "I have worked with similar businesses and know the usual pitfalls.",
    "Happy to start with a small paid trial task if you prefer.",
];
const CLIENT_REVIEWS: &[&str] = &[
    "Delivered on time and communicated clearly throughout.",
    "Great work, would hire again.",
    "Solid result, a few rounds of changes were needed.",
    "Very professional and easy to work with.",
];
const FREELANCER_REVIEWS: &[&str] = &[
    "Clear brief and quick feedback.",
    "Pleasant client, paid promptly.",
    "Good collaboration, the scope changed a little along the way.",
];

/// Who a demo account's actions are made as.
fn viewer(user_id: UserId, role: Role) -> Viewer {
    // The domain functions never look at the session; no session is created.
    Viewer {
        user_id,
        session_id: SessionId::new(),
        role,
    }
}

/// Run `operation` as `viewer`, in a transaction of its own.
async fn as_user<R>(
    state: &AppState,
    viewer: Viewer,
    operation: impl AsyncFnOnce(&mut Tx<'_>) -> Result<R, AppError>,
) -> Result<R, AppError> {
    state.write(Actor::user(viewer), operation).await
}

async fn count_users(state: &AppState) -> Result<i64, AppError> {
    let mut conn = state.pool.get().await?;
    Ok(with_conn!(&mut conn, |c| users::table
        .count()
        .get_result::<i64>(c)
        .await)?)
}

/// Create (or, with `force`, reuse) the demo accounts of one role; each with whether it is new.
async fn accounts(
    state: &AppState,
    role: Role,
    prefix: &str,
    count: usize,
    hash: &str,
    summary: &mut SeedSummary,
) -> Result<Vec<(Viewer, bool)>, SeedError> {
    let mut made = Vec::with_capacity(count);
    let mut conn = state
        .pool
        .get()
        .await
        .map_err(AppError::from)
        .step(|| "connecting".into())?;
    // One transaction: one commit instead of one per account.
    conn.write_tx(async |conn| {
        for n in 1..=count {
            let email = format!("{prefix}{n}@{EMAIL_DOMAIN}");
            if let Some(existing) = accounts::find_by_email(conn, &email)
                .await
                .step(|| email.clone())?
            {
                if existing.role != role {
                    return Err(SeedError::BadOptions(format!(
                        "{email} exists with role {}, not {}",
                        existing.role.as_str(),
                        role.as_str()
                    )));
                }
                summary.reused_accounts += 1;
                made.push((viewer(existing.id, role), false));
                continue;
            }
            let mut rng = Rng::for_index(if role == Role::Client { 1 } else { 2 }, n);
            let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
            let now = now();
            let user = accounts::insert(
                conn,
                &NewUser {
                    id: UserId::new(),
                    email: &email,
                    password_hash: hash,
                    name: &name,
                    role,
                    created_at: now,
                    updated_at: now,
                },
            )
            .await
            .step(|| format!("creating {email}"))?;
            match role {
                Role::Client => summary.clients += 1,
                Role::Freelancer => summary.freelancers += 1,
                _ => {}
            }
            made.push((viewer(user.id, role), true));
        }
        Ok::<_, SeedError>(())
    })
    .await?;
    Ok(made)
}

/// A freelancer's portfolio: 0 to 3 items of past work.
async fn portfolio_of(state: &AppState, index: usize, freelancer: Viewer) -> Result<SeedSummary, SeedError> {
    let mut summary = SeedSummary::default();
    let mut rng = Rng::for_index(10, index);
    for item in 0..rng.below(4) {
        let kind = rng.pick(KINDS);
        let thing = rng.pick(kind.things);
        let wanted = 1 + rng.below(3);
        let skills = rng
            .distinct(kind.skills.len(), wanted)
            .into_iter()
            .map(|i| kind.skills[i].to_owned())
            .collect();
        let item = portfolio::NewPortfolioItem {
            title: format!("{thing} for {}", rng.pick(BUSINESSES)),
            description: format!("{thing}, from the first sketch to the delivered result."),
            url: Some(format!(
                "https://portfolio.{EMAIL_DOMAIN}/freelancer{}/{}",
                index + 1,
                item + 1
            )),
            skills,
            completed_at: Some(Utc::now() - TimeDelta::days(rng.range(20, 900))),
        };
        as_user(state, freelancer, async |tx| portfolio::create(tx, item).await)
            .await
            .step(|| format!("adding a portfolio item for freelancer{}", index + 1))?;
        summary.portfolio_items += 1;
    }
    Ok(summary)
}

/// Post project `index` and play its story: proposals, perhaps a hire, and perhaps a completion with reviews or a cancellation.
async fn project(
    state: &AppState,
    index: usize,
    clients: &[Viewer],
    freelancers: &[Viewer],
) -> Result<SeedSummary, SeedError> {
    let mut summary = SeedSummary::default();
    let mut rng = Rng::for_index(20, index);
    let client = clients[rng.below(clients.len())];
    let kind = rng.pick(KINDS);
    let thing = rng.pick(kind.things);
    let business = rng.pick(BUSINESSES);
    let currency = if rng.chance(60) {
        Currency::EUR
    } else {
        Currency::USD
    };
    let hourly = rng.chance(25);
    // In minor units: hourly 20 to 150 an hour; fixed from 300 to 20 000, the
    // upper end up to three times the lower.
    let (min, max) = if hourly {
        let min = rng.range(20, 120) * 100;
        (min, min + rng.range(0, 30) * 100)
    } else {
        let min = rng.range(6, 400) * 50 * 100;
        (min, min + min * rng.range(0, 4) / 2 / 5000 * 5000)
    };
    let max = max.max(min);
    let wanted = 1 + rng.below(4);
    let skills = rng
        .distinct(kind.skills.len(), wanted)
        .into_iter()
        .map(|i| kind.skills[i].to_owned())
        .collect();
    let new_project = projects::NewProjectCommand {
        title: format!("{thing} for {business}"),
        description: format!(
            "We are {business} and need help with this: {thing}. Please describe similar work you have \
             done, how you would approach it, and when you could start."
        ),
        category: kind.category,
        skills,
        budget_type: if hourly {
            BudgetType::Hourly
        } else {
            BudgetType::Fixed
        },
        budget_min: Money::new(min, currency),
        budget_max: Money::new(max, currency),
        experience_level: *rng.pick(LEVELS),
        deadline: Utc::now() + TimeDelta::days(rng.range(7, 180)),
    };
    let posted = as_user(state, client, async |tx| projects::create(tx, new_project).await)
        .await
        .step(|| format!("posting project {index}"))?;
    summary.projects += 1;

    // 0 to 6 proposals by distinct freelancers.
    let wanted = rng.below(MAX_PROPOSALS + 1);
    let bidders = rng.distinct(freelancers.len(), wanted);
    let mut submitted = Vec::with_capacity(bidders.len());
    for &bidder in &bidders {
        let freelancer = freelancers[bidder];
        let bid = (min + (max - min) * rng.range(0, 10) / 10) / 100 * 100;
        let bid = proposals::NewProposalCommand {
            project_id: posted.id,
            cover_letter: rng.pick(PITCHES).to_string(),
            bid: Money::new(bid.max(100), currency),
            estimated_hours: rng.chance(70).then(|| rng.range(4, 400) as i32),
            availability: *rng.pick(AVAILABILITIES),
        };
        let proposal = as_user(state, freelancer, async |tx| proposals::submit(tx, bid).await)
            .await
            .step(|| format!("bidding on project {index}"))?;
        summary.proposals += 1;
        if rng.chance(8) {
            as_user(state, freelancer, async |tx| {
                proposals::withdraw(tx, proposal.id).await
            })
            .await
            .step(|| format!("withdrawing a proposal on project {index}"))?;
            summary.withdrawn_proposals += 1;
        } else {
            submitted.push((proposal.id, freelancer));
        }
    }

    // About 30 % of projects hire (when someone bid).
    if !submitted.is_empty() && rng.chance(30) {
        let (proposal, freelancer) = submitted[rng.below(submitted.len())];
        let contract = as_user(state, client, async |tx| contracts::hire(tx, proposal).await)
            .await
            .step(|| format!("hiring on project {index}"))?;
        summary.contracts += 1;
        let fate = rng.below(100);
        if fate < 50 {
            as_user(state, client, async |tx| {
                contracts::complete(tx, contract.id).await
            })
            .await
            .step(|| format!("completing the contract of project {index}"))?;
            summary.completed_contracts += 1;
            let rating = rng.range(3, 5) as i32;
            let comment = rng.pick::<&str>(CLIENT_REVIEWS);
            as_user(state, client, async |tx| {
                reviews::review(tx, contract.id, rating, comment).await
            })
            .await
            .step(|| format!("reviewing the freelancer of project {index}"))?;
            let rating = rng.range(4, 5) as i32;
            let comment = rng.pick::<&str>(FREELANCER_REVIEWS);
            as_user(state, freelancer, async |tx| {
                reviews::review(tx, contract.id, rating, comment).await
            })
            .await
            .step(|| format!("reviewing the client of project {index}"))?;
            summary.reviews += 2;
        } else if fate < 58 {
            // Either party ends it early; the project takes proposals again.
            let by = if rng.chance(50) { client } else { freelancer };
            as_user(state, by, async |tx| {
                contracts::cancel(tx, contract.id, "Priorities changed.").await
            })
            .await
            .step(|| format!("cancelling the contract of project {index}"))?;
            summary.cancelled_contracts += 1;
            summary.open_projects += 1;
        } else if fate < 62 {
            // The client gives up on the project altogether.
            as_user(state, client, async |tx| {
                contracts::cancel_project(tx, posted.id).await
            })
            .await
            .step(|| format!("cancelling project {index}"))?;
            summary.cancelled_contracts += 1;
            summary.cancelled_projects += 1;
        }
    } else if rng.chance(4) {
        as_user(state, client, async |tx| {
            contracts::cancel_project(tx, posted.id).await
        })
        .await
        .step(|| format!("cancelling project {index}"))?;
        summary.cancelled_projects += 1;
    } else {
        summary.open_projects += 1;
    }
    Ok(summary)
}

/// Fill the database behind `state` with demo accounts, projects, proposals, contracts, reviews and portfolio items. Refuses a database that has users unless `options.force`.
pub async fn run(state: &AppState, options: SeedOptions) -> Result<SeedSummary, SeedError> {
    let started = Instant::now();
    if options.projects > MAX_PROJECTS {
        return Err(SeedError::BadOptions(format!(
            "--projects must be at most {MAX_PROJECTS}"
        )));
    }
    if options.clients == 0 || options.freelancers == 0 {
        return Err(SeedError::BadOptions(
            "at least one client and one freelancer are needed".into(),
        ));
    }
    let password = Password::parse(options.password.clone(), "password")
        .map_err(|e| SeedError::BadOptions(format!("the demo password {}", e.message())))?;
    let users = count_users(state).await.step(|| "counting users".into())?;
    if users > 0 && !options.force {
        return Err(SeedError::NotEmpty { users });
    }
    let hash = password::hash(&password)
        .await
        .step(|| "hashing the demo password".into())?;
    let mut summary = SeedSummary {
        password: options.password.clone(),
        ..SeedSummary::default()
    };
    let clients = accounts(
        state,
        Role::Client,
        "client",
        options.clients,
        &hash,
        &mut summary,
    )
    .await?;
    let freelancers = accounts(
        state,
        Role::Freelancer,
        "freelancer",
        options.freelancers,
        &hash,
        &mut summary,
    )
    .await?;
    // Each project (and portfolio) draws from its own stream, so running
    // several at once changes the order rows are written in, not the data.
    // PostgreSQL commits in parallel; SQLite has one writer, and a second
    // one would only wait in its busy handler.
    let lanes = match state.pool.backend_name() {
        "postgres" => state.config.database_pool_size.clamp(1, 8),
        _ => 1,
    };
    // Reused accounts (`force`) keep the portfolio they have.
    let new_freelancers = freelancers.iter().enumerate().filter(|(_, (_, new))| *new);
    let mut portfolios = stream::iter(new_freelancers)
        .map(|(index, &(freelancer, _))| portfolio_of(state, index, freelancer))
        .buffer_unordered(lanes);
    while let Some(items) = portfolios.next().await {
        summary.add(&items?);
    }
    let admins = accounts(state, Role::Admin, "admin", 1, &hash, &mut summary).await?;
    let new_ones: Vec<Viewer> = freelancers
        .iter()
        .filter(|(_, new)| *new)
        .map(|&(v, _)| v)
        .collect();
    let clients: Vec<Viewer> = clients.iter().map(|&(v, _)| v).collect();
    let freelancers: Vec<Viewer> = freelancers.iter().map(|&(v, _)| v).collect();
    if let Some((admin, _)) = admins.into_iter().next() {
        // Reused freelancers (`force`) keep the profile they have.
        summary.services = super::seed_services::run(state, admin, &clients, &new_ones).await?;
        summary.billing = super::seed_billing::run(state, admin, &clients).await?;
    }
    let progress_every = (options.projects / 10).max(1000);
    let mut projects = stream::iter(0..options.projects)
        .map(|index| project(state, index, &clients, &freelancers))
        .buffer_unordered(lanes);
    let mut done = 0;
    while let Some(story) = projects.next().await {
        summary.add(&story?);
        done += 1;
        if done % progress_every == 0 {
            tracing::info!(
                projects = done,
                of = options.projects,
                seconds = started.elapsed().as_secs(),
                "seeding"
            );
        }
    }
    summary.logins = vec![
        format!("admin1@{EMAIL_DOMAIN} (ADMIN)"),
        format!("client1@{EMAIL_DOMAIN} (CLIENT, to client{})", options.clients),
        format!(
            "freelancer1@{EMAIL_DOMAIN} (FREELANCER, to freelancer{})",
            options.freelancers
        ),
    ];
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_reproducible_and_spread() {
        let a: Vec<u64> = (0..5).map(|_| Rng::for_index(20, 7).next()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut rng = Rng::for_index(20, 7);
        let mut other = Rng::for_index(20, 8);
        assert_ne!(rng.next(), other.next());
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&n| (700..1300).contains(&n)), "{seen:?}");
        for _ in 0..100 {
            let picked = rng.distinct(30, 6);
            let mut sorted = picked.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 6);
            assert!(picked.iter().all(|&i| i < 30));
            let r = rng.range(3, 5);
            assert!((3..=5).contains(&r));
        }
        assert_eq!(rng.distinct(3, 6).len(), 3);
    }
}
