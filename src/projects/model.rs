//! Projects: what a client posts, its rows, and the pure rules of its status.

use diesel::prelude::*;

use crate::db::schema::projects;
use crate::db::types::Timestamp;
use crate::db::{ProjectId, UserId};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::text::{bounded, line};

crate::text_enum! {
    /// The kind of work a project is.
    pub enum Category {
        /// Websites and web applications.
        WebDevelopment = "WEB_DEVELOPMENT",
        /// Phone and tablet apps.
        MobileDevelopment = "MOBILE_DEVELOPMENT",
        /// Analysis, statistics, machine learning.
        DataScience = "DATA_SCIENCE",
        /// Graphic, product and interface design.
        Design = "DESIGN",
        /// Copy, articles, documentation.
        Writing = "WRITING",
        /// Campaigns, SEO, social media.
        Marketing = "MARKETING",
        /// Filming and editing.
        Video = "VIDEO",
        /// Anything else.
        Other = "OTHER",
    }
}

crate::text_enum! {
    /// How the work is paid.
    pub enum BudgetType {
        /// One price for the whole work.
        Fixed = "FIXED",
        /// Paid by the hour.
        Hourly = "HOURLY",
    }
}

crate::text_enum! {
    /// The experience a client asks for.
    pub enum ExperienceLevel {
        /// New to the field.
        Entry = "ENTRY",
        /// Some years of practice.
        Intermediate = "INTERMEDIATE",
        /// Seasoned specialist.
        Expert = "EXPERT",
    }
}

crate::text_enum! {
    /// Where a project stands.
    pub enum ProjectStatus {
        /// Taking proposals.
        Open = "OPEN",
        /// A proposal was accepted; a contract is active.
        InProgress = "IN_PROGRESS",
        /// The contract was completed.
        Completed = "COMPLETED",
        /// The client cancelled it.
        Cancelled = "CANCELLED",
    }
}

impl ProjectStatus {
    /// Accepting a proposal: `OPEN` → `IN_PROGRESS`.
    pub fn start(self) -> AppResult<Self> {
        self.require(&[ProjectStatus::Open], "accept a proposal on")
            .map(|_| ProjectStatus::InProgress)
    }

    /// Completing its contract: `IN_PROGRESS` → `COMPLETED`.
    pub fn complete(self) -> AppResult<Self> {
        self.require(&[ProjectStatus::InProgress], "complete")
            .map(|_| ProjectStatus::Completed)
    }

    /// Its contract was cancelled: `IN_PROGRESS` → `OPEN`, taking proposals again.
    pub fn reopen(self) -> AppResult<Self> {
        self.require(&[ProjectStatus::InProgress], "reopen")
            .map(|_| ProjectStatus::Open)
    }

    /// The client cancels: from `OPEN`, or `IN_PROGRESS` (its contract is cancelled too).
    pub fn cancel(self) -> AppResult<Self> {
        self.require(&[ProjectStatus::Open, ProjectStatus::InProgress], "cancel")
            .map(|_| ProjectStatus::Cancelled)
    }

    /// Editing is for `OPEN` projects only.
    pub fn check_editable(self) -> AppResult<()> {
        self.require(&[ProjectStatus::Open], "edit")
    }

    fn require(self, from: &[ProjectStatus], action: &str) -> AppResult<()> {
        if from.contains(&self) {
            Ok(())
        } else {
            Err(AppError::InvalidState(format!(
                "cannot {action} a project that is {}",
                self.as_str()
            )))
        }
    }
}

/// A `projects` row.
#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = projects)]
pub struct ProjectRow {
    /// Id.
    pub id: ProjectId,
    /// The client who posted it.
    pub client_id: UserId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: Category,
    /// Budget type.
    pub budget_type: BudgetType,
    /// Lowest budget, minor units.
    pub budget_min_minor: i64,
    /// Highest budget, minor units.
    pub budget_max_minor: i64,
    /// Budget currency.
    pub currency: String,
    /// Experience level.
    pub experience_level: ExperienceLevel,
    /// When the work is due.
    pub deadline: Timestamp,
    /// Status.
    pub status: ProjectStatus,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl ProjectRow {
    /// Lower end of the budget.
    pub fn budget_min(&self) -> AppResult<Money> {
        Money::stored(self.budget_min_minor, &self.currency)
    }

    /// Upper end of the budget.
    pub fn budget_max(&self) -> AppResult<Money> {
        Money::stored(self.budget_max_minor, &self.currency)
    }
}

/// A new `projects` row.
#[derive(Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject<'a> {
    /// Id.
    pub id: ProjectId,
    /// The client.
    pub client_id: UserId,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Category.
    pub category: Category,
    /// Budget type.
    pub budget_type: BudgetType,
    /// Lowest budget.
    pub budget_min_minor: i64,
    /// Highest budget.
    pub budget_max_minor: i64,
    /// Currency.
    pub currency: &'a str,
    /// Experience level.
    pub experience_level: ExperienceLevel,
    /// Due.
    pub deadline: Timestamp,
    /// Status.
    pub status: ProjectStatus,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A change to a project's fields (`None`: unchanged).
#[derive(AsChangeset, Default)]
#[diesel(table_name = projects)]
pub struct ProjectChangeset {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<Category>,
    /// Budget type.
    pub budget_type: Option<BudgetType>,
    /// Lowest budget.
    pub budget_min_minor: Option<i64>,
    /// Highest budget.
    pub budget_max_minor: Option<i64>,
    /// Currency.
    pub currency: Option<String>,
    /// Experience level.
    pub experience_level: Option<ExperienceLevel>,
    /// Due.
    pub deadline: Option<Timestamp>,
    /// Always set: now.
    pub updated_at: Option<Timestamp>,
}

/// A title: trimmed, 1 to 200 characters.
pub fn parse_title(raw: &str) -> AppResult<String> {
    line(raw, "title", 200, false)
}

/// A description: trimmed, 1 to 10 000 characters.
pub fn parse_description(raw: &str) -> AppResult<String> {
    bounded(raw, "description", 10_000, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectStatus::*;

    #[test]
    fn status_transitions() {
        assert_eq!(Open.start().ok(), Some(InProgress));
        assert!(InProgress.start().is_err());
        assert_eq!(InProgress.complete().ok(), Some(Completed));
        assert!(Open.complete().is_err());
        assert_eq!(InProgress.reopen().ok(), Some(Open));
        assert_eq!(Open.cancel().ok(), Some(Cancelled));
        assert_eq!(InProgress.cancel().ok(), Some(Cancelled));
        for done in [Completed, Cancelled] {
            assert!(done.cancel().is_err() && done.start().is_err() && done.check_editable().is_err());
        }
        assert!(matches!(Completed.cancel(), Err(AppError::InvalidState(_))));
    }
}
