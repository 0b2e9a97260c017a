//! Backend-neutral write transactions spanning several domain calls.
//!
//! `AsyncConnection::transaction` hands its closure a concrete connection, so
//! functions taking `&mut Conn` could not run inside it; the transaction
//! manager is driven by hand on the enum instead.

use diesel_async::{AsyncConnection, AsyncPgConnection, TransactionManager};

use super::{Conn, SqliteConn};

fn in_transaction<C: AsyncConnection>(c: &mut C) -> bool {
    matches!(
        C::TransactionManager::transaction_manager_status_mut(c).transaction_depth(),
        Ok(Some(_))
    )
}

async fn commit<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::commit_transaction(c).await
}

async fn rollback<C: AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    C::TransactionManager::rollback_transaction(c).await
}

impl Conn {
    /// PostgreSQL: `BEGIN`; SQLite: `BEGIN IMMEDIATE`, taking the write lock up front so `busy_timeout` applies and no read-to-write upgrade can fail.
    async fn begin_write(&mut self) -> diesel::QueryResult<()> {
        match self {
            Conn::Pg(c) => {
                let c: &mut AsyncPgConnection = c;
                <AsyncPgConnection as AsyncConnection>::TransactionManager::begin_transaction(c).await
            }
            Conn::Sqlite(c) => {
                let c: &mut SqliteConn = c;
                c.spawn_blocking(|inner| {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(
                        inner,
                        "BEGIN IMMEDIATE",
                    )
                })
                .await
            }
        }
    }

    fn in_transaction(&mut self) -> bool {
        crate::with_conn!(self, |c| in_transaction(c))
    }

    /// Run `f` in one write transaction: committed when it returns `Ok`, rolled back when it returns `Err`. A call inside an open transaction joins it.
    pub async fn write_tx<R, E>(&mut self, f: impl AsyncFnOnce(&mut Conn) -> Result<R, E>) -> Result<R, E>
    where
        E: From<diesel::result::Error>,
    {
        if self.in_transaction() {
            return f(self).await;
        }
        self.begin_write().await?;
        match f(self).await {
            Ok(value) => {
                crate::with_conn!(self, |c| commit(c).await)?;
                Ok(value)
            }
            Err(err) => {
                if let Err(rollback_err) = crate::with_conn!(self, |c| rollback(c).await) {
                    tracing::error!(error = %rollback_err, "rollback failed");
                }
                Err(err)
            }
        }
    }
}
