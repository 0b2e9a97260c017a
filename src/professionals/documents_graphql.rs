//! Verification documents in the schema: the object (only ever answered to
//! its professional and admins) and the upload and delete mutations.

use async_graphql::{Context, ID, Object};

use super::documents;
use super::model::{DocumentKind, DocumentRow};
use crate::auth::RoleGuard;
use crate::graphql::context::{actor, global, require_id, state, upload, write};
use crate::graphql::scalars::DateTime;
use crate::graphql::scalars::Upload;

/// A private document a professional sent for verification. Only the professional and admins ever see one.
pub struct VerificationDocument(pub DocumentRow);

/// A private document a professional sent for verification. Only the professional and admins ever see one.
#[Object]
impl VerificationDocument {
    /// Stable id.
    async fn id(&self) -> ID {
        global(self.0.id)
    }

    /// What the document is.
    async fn kind(&self) -> DocumentKind {
        self.0.kind
    }

    /// The file name it was sent with.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// `application/pdf`, `image/png` or `image/jpeg`, told from the content.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Size in bytes.
    async fn size_bytes(&self) -> i32 {
        i32::try_from(self.0.size_bytes).unwrap_or(i32::MAX)
    }

    /// When it was sent.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.0.into()
    }

    /// A signed link that downloads the file (as an attachment), valid for `DOCUMENT_LINK_TTL` (5 minutes by default); ask again for a fresh one.
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(documents::link(&state(ctx)?.config, self.0.id)?)
    }
}

/// Verification document mutations.
#[derive(Default)]
pub struct DocumentsMutation;

#[Object]
impl DocumentsMutation {
    /// Send a document for verification (FREELANCER accounts), as a multipart request (the GraphQL multipart request spec, with the header `Apollo-Require-Preflight: true` or `X-Requested-With`). PDF, PNG or JPEG, told apart by content, up to `MAX_DOCUMENT_BYTES` (10 MiB); at most `MAX_DOCUMENTS_PER_PROFESSIONAL` (10) kept. Errors: `FORBIDDEN`, `PAYLOAD_TOO_LARGE` (field `file`), `BAD_USER_INPUT` (field `file`: not a PDF, PNG or JPEG, or too many documents).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn upload_verification_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document: a file part of the multipart request.")] file: Upload,
        #[graphql(desc = "What the document is.")] kind: DocumentKind,
    ) -> async_graphql::Result<VerificationDocument> {
        let file = upload(ctx, &file)?;
        let row = documents::upload(state(ctx)?, actor(ctx), file, kind).await?;
        Ok(VerificationDocument(row))
    }

    /// Delete one of your documents, while you are not `VERIFIED`; the file is deleted too. Answers the deleted id. Errors: `NOT_FOUND` (not one of your documents), `FORBIDDEN`, `INVALID_STATE` (`VERIFIED`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_verification_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document to delete.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let id = require_id(&id, "id", "document")?;
        let deleted = write(ctx, async |tx| documents::delete(tx, id).await).await?;
        Ok(global(deleted))
    }
}
