//! Batched loads behind a bill's lines and payments, and a payment's bill.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::{BillLineRow, BillRow, PaymentRow};
use super::{payments, queries};
use crate::db::{BillId, Pool};
use crate::error::{AppError, SharedError};

/// The lines of each bill, in order.
pub struct BillLinesLoader(pub Pool);

impl Loader<BillId> for BillLinesLoader {
    type Value = Vec<BillLineRow>;
    type Error = SharedError;

    async fn load(&self, keys: &[BillId]) -> Result<HashMap<BillId, Vec<BillLineRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut by_bill: HashMap<BillId, Vec<BillLineRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for line in queries::lines_of(&mut conn, keys).await? {
            by_bill.entry(line.bill_id).or_default().push(line);
        }
        Ok(by_bill)
    }
}

/// The payments of each bill, newest first.
pub struct BillPaymentsLoader(pub Pool);

impl Loader<BillId> for BillPaymentsLoader {
    type Value = Vec<PaymentRow>;
    type Error = SharedError;

    async fn load(&self, keys: &[BillId]) -> Result<HashMap<BillId, Vec<PaymentRow>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut by_bill: HashMap<BillId, Vec<PaymentRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for payment in payments::of_bills(&mut conn, keys).await? {
            by_bill.entry(payment.bill_id).or_default().push(payment);
        }
        Ok(by_bill)
    }
}

/// Bills by id (behind a payment the viewer may see).
pub struct BillLoader(pub Pool);

impl Loader<BillId> for BillLoader {
    type Value = BillRow;
    type Error = SharedError;

    async fn load(&self, keys: &[BillId]) -> Result<HashMap<BillId, BillRow>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        Ok(queries::find_by_ids(&mut conn, keys)
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect())
    }
}
