//! Prefetching for a page of bills (see `graphql::prefetch`).

use async_graphql::Context;
use futures_util::try_join;

use super::loader::{BillLinesLoader, BillPaymentsLoader};
use super::model::BillRow;
use crate::contracts::loader::VisibleContractLoader;
use crate::db::{BillId, ContractId, ServiceRequestId, UserId};
use crate::graphql::prefetch::{Prefetched, load, users};
use crate::service_requests::loader::VisibleRequestLoader;

/// Load, for every row of a page, the relations the query selects.
pub async fn bills(ctx: &Context<'_>, rows: &[BillRow]) -> Prefetched {
    if rows.is_empty() {
        return Ok(());
    }
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<BillId> = rows.iter().map(|r| r.id).collect();
    let contracts: Vec<ContractId> = rows.iter().filter_map(|r| r.contract_id).collect();
    let requests: Vec<ServiceRequestId> = rows.iter().filter_map(|r| r.service_request_id).collect();
    let people = async {
        let payer = node.field("payer");
        let issuer = node.field("issuer");
        let mut wanted: Vec<UserId> = Vec::new();
        if payer.exists() {
            wanted.extend(rows.iter().map(|r| r.payer_id));
        }
        if issuer.exists() {
            wanted.extend(rows.iter().filter_map(|r| r.issuer_id));
        }
        for selection in payer
            .selection_fields()
            .into_iter()
            .chain(issuer.selection_fields())
        {
            users(ctx, &selection, &wanted).await?;
        }
        Prefetched::Ok(())
    };
    let subject = node.field("subject").exists();
    try_join!(
        people,
        load::<BillLinesLoader, _>(ctx, node.field("lines").exists(), &ids),
        load::<BillPaymentsLoader, _>(ctx, node.field("payments").exists(), &ids),
        load::<VisibleContractLoader, _>(ctx, subject, &contracts),
        load::<VisibleRequestLoader, _>(ctx, subject, &requests),
    )?;
    Ok(())
}
