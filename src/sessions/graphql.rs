//! The sessions part of the schema: refresh, logout, listing and revoking
//! sessions, and a subscription that tells a client its session ended.

use crate::graphql::loader;
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt};

use super::model::SessionRow;
use super::{ops, queries};
use crate::accounts::users::graphql::AuthPayload;
use crate::accounts::users::loader::UserLoader;
use crate::auth::{RoleGuard, Viewer, require_viewer};
use crate::error::AppError;
use crate::events::Event;
use crate::graphql::context::{global, require_id, state, write};

/// A signed-in session (one per sign-in, on one device or browser).
pub struct Session {
    row: SessionRow,
    current: bool,
}

impl Session {
    /// `row` as `viewer` sees it: `current` when it is the session making the request.
    pub fn seen_by(row: SessionRow, viewer: Viewer) -> Self {
        Session {
            current: row.id == viewer.session_id,
            row,
        }
    }
}

/// A signed-in session (one per sign-in, on one device or browser).
#[Object]
impl Session {
    /// Session id.
    pub(crate) async fn id(&self) -> ID {
        global(self.row.id)
    }

    /// When the user signed in.
    async fn created_at(&self) -> DateTime {
        self.row.created_at.0.into()
    }

    /// Last sign-in, refresh or request (precise to about a minute).
    async fn last_used_at(&self) -> DateTime {
        self.row.last_used_at.0.into()
    }

    /// When the session ends unless refreshed before.
    async fn expires_at(&self) -> DateTime {
        self.row.expires_at.0.into()
    }

    /// The browser or app that signed in (`User-Agent`), when known.
    async fn user_agent(&self) -> Option<&str> {
        self.row.user_agent.as_deref()
    }

    /// The address that signed in, when known.
    async fn ip(&self) -> Option<&str> {
        self.row.ip.as_deref()
    }

    /// Is this the session making the request?
    async fn current(&self) -> bool {
        self.current
    }
}

/// Session queries.
#[derive(Default)]
pub struct SessionsQuery;

#[Object]
impl SessionsQuery {
    /// The signed-in user's live sessions, most recently used first.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let viewer = require_viewer(ctx)?;
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let rows = queries::list_live(&mut conn, viewer.user_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| Session {
                current: row.id == viewer.session_id,
                row,
            })
            .collect())
    }
}

/// Session mutations.
#[derive(Default)]
pub struct SessionsMutation;

#[Object]
impl SessionsMutation {
    /// Exchange a refresh token for a new access and refresh token. The token presented is spent; presenting it again ends the whole session. Errors: `UNAUTHENTICATED`.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let tokens = ops::refresh(state(ctx)?, &refresh_token).await?;
        let user = loader::<UserLoader>(ctx)?
            .load_one(tokens.user_id)
            .await?
            .ok_or(AppError::Unauthenticated("invalid refresh token"))?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// End this session (or, with `allSessions`, every session of the user): its access tokens stop working and its refresh token is dead.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] all_sessions: bool,
    ) -> async_graphql::Result<bool> {
        write(ctx, async |tx| ops::logout(tx, all_sessions).await).await?;
        Ok(true)
    }

    /// End one of your sessions; ending the current one is a logout (its access tokens stop working, as with `logout`). Audited as a logout. Errors: `NOT_FOUND` (no such live session of yours).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Session> {
        let viewer = require_viewer(ctx)?;
        let id = require_id(&id, "id", "session")?;
        let row = write(ctx, async |tx| ops::revoke(tx, id).await).await?;
        Ok(Session {
            current: row.id == viewer.session_id,
            row,
        })
    }
}

/// The end of a session.
#[derive(SimpleObject)]
pub struct SessionEnded {
    /// The session that ended.
    pub session_id: ID,
}

/// Session subscriptions.
#[derive(Default)]
pub struct SessionsSubscription;

#[Subscription]
impl SessionsSubscription {
    /// Emits once when the session of this connection ends (logout elsewhere, revocation, refresh-token reuse), then completes: the client should sign in again.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn session_ended(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = SessionEnded> + use<>> {
        let viewer = require_viewer(ctx)?;
        let stream = state(ctx)?
            .events
            .subscribe()
            .filter_map(move |event| {
                std::future::ready(match event {
                    Event::SessionEnded { session_id } if session_id == viewer.session_id => Some(session_id),
                    _ => None,
                })
            })
            .take(1)
            .map(|session_id| SessionEnded {
                session_id: global(session_id),
            });
        Ok(stream)
    }
}
