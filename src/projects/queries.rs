//! Reads and single-statement writes on projects, scoped to what the viewer may see.

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::model::{Category, NewProject, ProjectRow, ProjectStatus};
use super::policy::visible_to;
use crate::accounts::users::model::UserRow;
use crate::auth::Viewer;
use crate::db::keyset::PageArgs;
use crate::db::schema::{contracts, project_skills, projects, proposals, users};
use crate::db::{Conn, contains_pattern, lower};
use crate::db::{ProjectId, UserId};
use crate::error::AppResult;
use crate::money::{Currency, Money};
use crate::with_conn;

/// What a list of projects is narrowed to (all optional).
#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    /// Only this status.
    pub status: Option<ProjectStatus>,
    /// Only this category.
    pub category: Option<Category>,
    /// Title or description contains this, ignoring case.
    pub search: Option<String>,
    /// Has any of these skills, ignoring case.
    pub skills: Vec<String>,
    /// Budget in this currency.
    pub currency: Option<Currency>,
    /// Budget in this amount's currency, reaching at least this amount.
    pub budget_min: Option<Money>,
    /// Budget in this amount's currency, starting at most at this amount.
    pub budget_max: Option<Money>,
    /// Posted by this client.
    pub client_id: Option<UserId>,
}

/// What a list is sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectOrderField {
    /// When posted.
    #[default]
    CreatedAt,
    /// The budget's upper bound.
    Budget,
    /// When the work is due.
    Deadline,
}

/// Sort direction.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// A sort order; ties are broken by id, so pages are stable.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectOrder {
    /// Sort key.
    pub field: ProjectOrderField,
    /// Direction.
    pub direction: Direction,
}

impl ProjectOrder {
    /// The tag a cursor carries, e.g. `CREATED_AT_DESC`.
    pub fn tag(self) -> &'static str {
        use Direction::*;
        use ProjectOrderField::*;
        match (self.field, self.direction) {
            (CreatedAt, Asc) => "CREATED_AT_ASC",
            (CreatedAt, Desc) => "CREATED_AT_DESC",
            (Budget, Asc) => "BUDGET_ASC",
            (Budget, Desc) => "BUDGET_DESC",
            (Deadline, Asc) => "DEADLINE_ASC",
            (Deadline, Desc) => "DEADLINE_DESC",
        }
    }

    /// A row's sort key, as its cursor stores it.
    pub fn key(self, row: &ProjectRow) -> (i64, ProjectId) {
        let key = match self.field {
            ProjectOrderField::CreatedAt => row.created_at.micros(),
            ProjectOrderField::Budget => row.budget_max_minor,
            ProjectOrderField::Deadline => row.deadline.micros(),
        };
        (key, row.id)
    }
}

/// Apply a keyset page in one direction on one column.
macro_rules! keyset {
    ($query:expr, $column:expr, $after:expr, Asc) => {{
        let query = $query.order(($column.asc(), projects::id.asc()));
        match $after {
            Some((key, id)) => query.filter($column.gt(key).or($column.eq(key).and(projects::id.gt(id)))),
            None => query,
        }
    }};
    ($query:expr, $column:expr, $after:expr, Desc) => {{
        let query = $query.order(($column.desc(), projects::id.desc()));
        match $after {
            Some((key, id)) => query.filter($column.lt(key).or($column.eq(key).and(projects::id.lt(id)))),
            None => query,
        }
    }};
}

/// What a page of projects is loaded with, besides its rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListWith {
    /// The number of projects the filter matches (`totalCount`).
    pub total: bool,
    /// Each row's client and proposal count, in the page's own statement (what a list of projects usually shows).
    pub relations: bool,
}

/// A page of projects, and what [`ListWith`] asked for.
#[derive(Debug, Default)]
pub struct Listed {
    /// The rows, in the page's order (one more than the page when there is a next one).
    pub rows: Vec<ProjectRow>,
    /// The client of each row, in the same order (with `relations`; otherwise empty).
    pub clients: Vec<UserRow>,
    /// The number of proposals of each row, in the same order (with `relations`; otherwise empty).
    pub proposal_counts: Vec<i64>,
    /// The total (with `total`; otherwise 0).
    pub total: i64,
}

/// A page of the projects the viewer may see: one statement for the page (with its rows' clients and proposal counts when asked), one more for the total when asked.
pub async fn list(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    filter: &ProjectFilter,
    order: ProjectOrder,
    args: &PageArgs,
    with: ListWith,
) -> AppResult<Listed> {
    let after_int = args.after_int::<ProjectId>();
    let after_time = args.after_time::<ProjectId>()?;
    let search = filter.search.as_deref().map(contains_pattern);
    let skills: Vec<String> = filter.skills.iter().map(|s| s.to_lowercase()).collect();
    // The filter, on `projects` alone (the total) or joined with the clients (the page).
    macro_rules! filtered {
        ($source:expr) => {{
            let mut q = visible_to!($source.into_boxed(), viewer);
            if let Some(status) = filter.status {
                q = q.filter(projects::status.eq(status));
            }
            if let Some(category) = filter.category {
                q = q.filter(projects::category.eq(category));
            }
            if let Some(pattern) = &search {
                q = q.filter(
                    lower(projects::title)
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower(projects::description).like(pattern.clone()).escape('\\')),
                );
            }
            if !skills.is_empty() {
                q = q.filter(
                    projects::id.eq_any(
                        project_skills::table
                            .filter(lower(project_skills::skill).eq_any(skills.clone()))
                            .select(project_skills::project_id),
                    ),
                );
            }
            if let Some(currency) = filter.currency {
                q = q.filter(projects::currency.eq(currency.code()));
            }
            if let Some(min) = filter.budget_min {
                q = q
                    .filter(projects::budget_max_minor.ge(min.minor()))
                    .filter(projects::currency.eq(min.currency().code()));
            }
            if let Some(max) = filter.budget_max {
                q = q
                    .filter(projects::budget_min_minor.le(max.minor()))
                    .filter(projects::currency.eq(max.currency().code()));
            }
            if let Some(client) = filter.client_id {
                q = q.filter(projects::client_id.eq(client));
            }
            q
        }};
    }
    // The page of a filtered query, in `order`.
    macro_rules! page {
        ($query:expr) => {{
            let query = match (order.field, order.direction) {
                (ProjectOrderField::CreatedAt, Direction::Asc) => {
                    keyset!($query, projects::created_at, after_time, Asc)
                }
                (ProjectOrderField::CreatedAt, Direction::Desc) => {
                    keyset!($query, projects::created_at, after_time, Desc)
                }
                (ProjectOrderField::Budget, Direction::Asc) => {
                    keyset!($query, projects::budget_max_minor, after_int, Asc)
                }
                (ProjectOrderField::Budget, Direction::Desc) => {
                    keyset!($query, projects::budget_max_minor, after_int, Desc)
                }
                (ProjectOrderField::Deadline, Direction::Asc) => {
                    keyset!($query, projects::deadline, after_time, Asc)
                }
                (ProjectOrderField::Deadline, Direction::Desc) => {
                    keyset!($query, projects::deadline, after_time, Desc)
                }
            };
            query.limit(args.fetch())
        }};
    }
    Ok(with_conn!(conn, |c| {
        let mut listed = Listed::default();
        if with.total {
            listed.total = filtered!(projects::table).count().get_result(c).await?;
        }
        if with.relations {
            let proposal_count = proposals::table
                .filter(proposals::project_id.eq(projects::id))
                .count()
                .single_value()
                .assume_not_null();
            let found: Vec<(ProjectRow, UserRow, i64)> =
                page!(filtered!(projects::table.inner_join(users::table)))
                    .select((ProjectRow::as_select(), UserRow::as_select(), proposal_count))
                    .load(c)
                    .await?;
            for (row, client, count) in found {
                listed.rows.push(row);
                listed.clients.push(client);
                listed.proposal_counts.push(count);
            }
        } else {
            listed.rows = page!(filtered!(projects::table))
                .select(ProjectRow::as_select())
                .load(c)
                .await?;
        }
        Ok::<_, diesel::result::Error>(listed)
    })?)
}

/// The project, if the viewer may see it.
pub async fn find_visible(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    id: ProjectId,
) -> AppResult<Option<ProjectRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(projects::table.into_boxed(), viewer)
            .filter(projects::id.eq(id))
            .select(ProjectRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// The project, if the viewer may see it, with its client: one statement where [`find_visible`] and a user lookup would be two.
pub async fn find_visible_with_client(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    id: ProjectId,
) -> AppResult<Option<(ProjectRow, UserRow)>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(projects::table.inner_join(users::table).into_boxed(), viewer)
            .filter(projects::id.eq(id))
            .select((ProjectRow::as_select(), UserRow::as_select()))
            .first(c)
            .await
            .optional()
    })?)
}

/// Projects by id, unscoped (for loaders behind an already-authorized parent).
pub async fn find_by_ids(conn: &mut Conn, ids: &[ProjectId]) -> AppResult<Vec<ProjectRow>> {
    Ok(with_conn!(conn, |c| {
        projects::table
            .filter(projects::id.eq_any(ids))
            .select(ProjectRow::as_select())
            .load(c)
            .await
    })?)
}

/// The skills of these projects, in their stated order.
pub async fn skills_of(conn: &mut Conn, ids: &[ProjectId]) -> AppResult<Vec<(ProjectId, String)>> {
    Ok(with_conn!(conn, |c| {
        project_skills::table
            .filter(project_skills::project_id.eq_any(ids))
            .order((project_skills::project_id, project_skills::position))
            .select((project_skills::project_id, project_skills::skill))
            .load(c)
            .await
    })?)
}

/// Insert a project row.
pub async fn insert(conn: &mut Conn, new: &NewProject<'_>) -> AppResult<ProjectRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(projects::table)
            .values(new)
            .returning(ProjectRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// A `project_skills` row.
#[derive(Insertable)]
#[diesel(table_name = project_skills)]
struct NewSkill<'a> {
    project_id: ProjectId,
    skill: &'a str,
    position: i32,
}

/// Replace a project's skills.
pub async fn set_skills(conn: &mut Conn, id: ProjectId, skills: &[String]) -> AppResult<()> {
    let rows: Vec<NewSkill<'_>> = skills
        .iter()
        .enumerate()
        .map(|(i, skill)| NewSkill {
            project_id: id,
            skill,
            position: i32::try_from(i).unwrap_or(i32::MAX),
        })
        .collect();
    with_conn!(conn, |c| {
        diesel::delete(project_skills::table.filter(project_skills::project_id.eq(id)))
            .execute(c)
            .await
    })?;
    // One row at a time: diesel's multi-row insert has no SQLite form through
    // diesel-async (and a project has at most 20 skills).
    for row in &rows {
        with_conn!(conn, |c| diesel::insert_into(project_skills::table)
            .values(row)
            .execute(c)
            .await)?;
    }
    Ok(())
}

/// Move a project from `from` to `to`; `false` when its status changed meanwhile.
pub async fn set_status(
    conn: &mut Conn,
    id: ProjectId,
    from: ProjectStatus,
    to: ProjectStatus,
) -> AppResult<bool> {
    let now = crate::db::now();
    let changed = with_conn!(conn, |c| {
        diesel::update(
            projects::table
                .filter(projects::id.eq(id))
                .filter(projects::status.eq(from)),
        )
        .set((projects::status.eq(to), projects::updated_at.eq(now)))
        .execute(c)
        .await
    })?;
    Ok(changed == 1)
}

/// Has any proposal of this project ever been accepted (is there a contract)?
pub async fn has_contract(conn: &mut Conn, id: ProjectId) -> AppResult<bool> {
    Ok(with_conn!(conn, |c| {
        diesel::select(exists(contracts::table.filter(contracts::project_id.eq(id))))
            .get_result(c)
            .await
    })?)
}

/// Apply a changeset; returns the new row.
pub async fn update(
    conn: &mut Conn,
    id: ProjectId,
    changes: &super::model::ProjectChangeset,
) -> AppResult<ProjectRow> {
    Ok(with_conn!(conn, |c| {
        diesel::update(projects::table.find(id))
            .set(changes)
            .returning(ProjectRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Delete a project (its skills and proposals go with it).
pub async fn delete(conn: &mut Conn, id: ProjectId) -> AppResult<()> {
    with_conn!(conn, |c| diesel::delete(projects::table.find(id))
        .execute(c)
        .await)?;
    Ok(())
}

/// The projects among `ids` the viewer may see, in one statement (for `nodes`); ids of invisible or unknown projects are left out.
pub async fn find_visible_many(
    conn: &mut Conn,
    viewer: Option<Viewer>,
    ids: &[ProjectId],
) -> AppResult<Vec<ProjectRow>> {
    Ok(with_conn!(conn, |c| {
        visible_to!(projects::table.into_boxed(), viewer)
            .filter(projects::id.eq_any(ids))
            .select(ProjectRow::as_select())
            .load(c)
            .await
    })?)
}
