//! Verification documents: private files a professional sends, kept in
//! object storage under `documents/` (a prefix `GET /files/` never serves)
//! and handed out only as signed links that expire.
//!
//! Write order as for avatars: the object is stored first under a new
//! unguessable key, then one transaction records it (after taking the
//! profile row, so concurrent uploads count one after the other); a failed
//! transaction deletes the object it stored. Deleting a document (or the
//! account) deletes its object after the commit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::model::{DocumentKind, DocumentRow};
use super::policy;
use super::queries;
use crate::config::Config;
use crate::db::schema::verification_documents;
use crate::db::{Conn, TypedId, UserId, VerificationDocumentId, now};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tx::{Actor, Effect, Tx};
use crate::uploads::Upload;
use crate::with_conn;

/// The input field upload errors name.
const FIELD: &str = "file";
/// Longest file name kept, in characters.
const MAX_FILE_NAME: usize = 100;

/// What a document is, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    /// `%PDF-`.
    Pdf,
    /// The PNG signature.
    Png,
    /// A JPEG start-of-image marker.
    Jpeg,
}

impl DocumentType {
    /// Sniff `bytes`; `None` for anything but PDF, PNG or JPEG.
    pub fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// The extension its keys end with.
    fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }
}

/// The file name to keep: the last segment of what the client sent, without control characters or quotes, at most 100 characters; `document.<ext>` when nothing is left.
pub fn clean_file_name(sent: &str, kind: DocumentType) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(MAX_FILE_NAME)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        format!("document.{}", kind.extension())
    } else {
        cleaned.to_owned()
    }
}

/// Store `file` as one of the viewer's verification documents (FREELANCER accounts). Errors: `FORBIDDEN`, `PAYLOAD_TOO_LARGE` on `file` (past `MAX_DOCUMENT_BYTES`), `BAD_USER_INPUT` on `file` (not a PDF, PNG or JPEG, or `MAX_DOCUMENTS_PER_PROFESSIONAL` reached).
pub async fn upload(
    state: &AppState,
    actor: Actor,
    file: Upload,
    kind: DocumentKind,
) -> AppResult<DocumentRow> {
    let viewer = policy::may_keep_profile(actor.viewer)?;
    let max = state.config.documents.max_bytes;
    file.check_size(max, FIELD)?;
    let name = file.name.clone();
    let bytes = tokio::task::spawn_blocking(move || file.read(max))
        .await
        .map_err(AppError::internal)??;
    let doc_type =
        DocumentType::of(&bytes).ok_or(AppError::bad_input(FIELD, "send a PDF, PNG or JPEG file"))?;
    let id = VerificationDocumentId::new();
    let row = DocumentRow {
        id,
        user_id: viewer.user_id,
        kind,
        file_name: clean_file_name(&name, doc_type),
        content_type: doc_type.content_type().to_owned(),
        size_bytes: i64::try_from(bytes.len()).map_err(AppError::internal)?,
        object_key: format!(
            "documents/{}/{}.{}",
            viewer.user_id,
            uuid::Uuid::new_v4().simple(),
            doc_type.extension()
        ),
        created_at: now(),
    };
    state.storage.put(&row.object_key, bytes.into()).await?;
    match state.write(actor, async |tx| record(tx, &row).await).await {
        Ok(row) => Ok(row),
        Err(err) => {
            // Compensation, not an effect: nothing refers to the object.
            state.storage.discard(&row.object_key).await;
            Err(err)
        }
    }
}

async fn record(tx: &mut Tx<'_>, row: &DocumentRow) -> AppResult<DocumentRow> {
    queries::take(tx, row.user_id, now()).await?;
    let max = tx.state().config.documents.max_per_professional;
    if count(tx, row.user_id).await? >= i64::try_from(max).unwrap_or(i64::MAX) {
        return Err(AppError::bad_input(
            FIELD,
            format!("keep at most {max} documents: delete one first"),
        ));
    }
    Ok(with_conn!(&mut **tx, |c| {
        diesel::insert_into(verification_documents::table)
            .values(row)
            .returning(DocumentRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// Delete one of the viewer's documents, unless they are `VERIFIED`; the file is deleted after the commit. Someone else's document is `NOT_FOUND`.
pub async fn delete(tx: &mut Tx<'_>, id: VerificationDocumentId) -> AppResult<VerificationDocumentId> {
    let viewer = policy::may_keep_profile(tx.actor().viewer)?;
    let profile = queries::take(tx, viewer.user_id, now()).await?;
    let key: Option<String> = with_conn!(&mut **tx, |c| {
        verification_documents::table
            .filter(verification_documents::id.eq(id))
            .filter(verification_documents::user_id.eq(viewer.user_id))
            .select(verification_documents::object_key)
            .first(c)
            .await
            .optional()
    })?;
    let key = key.ok_or(AppError::NotFound("document"))?;
    profile.verification_status.check_documents_removable()?;
    with_conn!(&mut **tx, |c| {
        diesel::delete(verification_documents::table.find(id))
            .execute(c)
            .await
    })?;
    tx.after_commit(Effect::DiscardFile(key));
    Ok(id)
}

/// How many documents `user` keeps.
pub async fn count(conn: &mut Conn, user: UserId) -> AppResult<i64> {
    Ok(with_conn!(conn, |c| {
        verification_documents::table
            .filter(verification_documents::user_id.eq(user))
            .select(count_star())
            .get_result(c)
            .await
    })?)
}

/// The documents of these professionals, oldest first.
pub async fn of_users(conn: &mut Conn, users: &[UserId]) -> AppResult<Vec<DocumentRow>> {
    Ok(with_conn!(conn, |c| {
        verification_documents::table
            .filter(verification_documents::user_id.eq_any(users))
            .order((verification_documents::created_at, verification_documents::id))
            .select(DocumentRow::as_select())
            .load(c)
            .await
    })?)
}

/// The document `id`, whoever it belongs to (behind a checked link).
pub async fn find(conn: &mut Conn, id: VerificationDocumentId) -> AppResult<Option<DocumentRow>> {
    Ok(with_conn!(conn, |c| {
        verification_documents::table
            .find(id)
            .select(DocumentRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

fn signature(config: &Config, id: VerificationDocumentId, expires: i64) -> AppResult<Vec<u8>> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(config.jwt_secret.expose().as_bytes()).map_err(AppError::internal)?;
    mac.update(format!("verification-document:{}:{expires}", id.uuid()).as_bytes());
    Ok(mac.finalize().into_bytes().to_vec())
}

/// A signed link to download document `id`, valid `DOCUMENT_LINK_TTL` from now: `{API_URL}/documents/{id}?expires={unix seconds}&signature=…`.
pub fn link(config: &Config, id: VerificationDocumentId) -> AppResult<String> {
    let ttl = i64::try_from(config.documents.link_ttl.as_secs()).map_err(AppError::internal)?;
    let expires = now().0.timestamp().saturating_add(ttl);
    let signature = URL_SAFE_NO_PAD.encode(signature(config, id, expires)?);
    Ok(format!(
        "{}/documents/{}?expires={expires}&signature={signature}",
        config.api_url,
        id.to_global()
    ))
}

/// The document a link names, if its signature is right and it has not expired (the comparison takes constant time).
pub fn check_link(
    config: &Config,
    id: &str,
    expires: i64,
    signature_text: &str,
) -> Option<VerificationDocumentId> {
    let id = crate::db::GlobalId::parse(id)?.as_id::<VerificationDocumentId>()?;
    if expires < now().0.timestamp() {
        return None;
    }
    let sent = URL_SAFE_NO_PAD.decode(signature_text).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(config.jwt_secret.expose().as_bytes()).ok()?;
    mac.update(format!("verification-document:{}:{expires}", id.uuid()).as_bytes());
    mac.verify_slice(&sent).ok().map(|()| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(DocumentType::of(b"%PDF-1.7\n..."), Some(DocumentType::Pdf));
        assert_eq!(
            DocumentType::of(b"\x89PNG\r\n\x1a\n...."),
            Some(DocumentType::Png)
        );
        assert_eq!(
            DocumentType::of(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(DocumentType::Jpeg)
        );
        for other in [&b"<html>"[..], b"GIF89a", b"", b"%PD"] {
            assert_eq!(DocumentType::of(other), None);
        }
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name("C:\\scans\\id card.pdf", DocumentType::Pdf),
            "id card.pdf"
        );
        assert_eq!(clean_file_name("../../etc/passwd", DocumentType::Pdf), "passwd");
        assert_eq!(clean_file_name("a\"b;\r\nc.png", DocumentType::Png), "abc.png");
        assert_eq!(clean_file_name("..", DocumentType::Jpeg), "document.jpg");
        assert_eq!(clean_file_name("", DocumentType::Pdf), "document.pdf");
    }

    #[test]
    fn links_are_signed_and_expire() {
        let config = config();
        let id = VerificationDocumentId::new();
        let link = link(&config, id).unwrap_or_default();
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let mut expires = 0;
        let mut sig = "";
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("expires", v)) => expires = v.parse().unwrap_or_default(),
                Some(("signature", v)) => sig = v,
                _ => {}
            }
        }
        let global = id.to_global();
        assert_eq!(check_link(&config, &global, expires, sig), Some(id));
        assert_eq!(
            check_link(&config, &global, expires + 1, sig),
            None,
            "another expiry"
        );
        let other = VerificationDocumentId::new().to_global();
        assert_eq!(
            check_link(&config, &other, expires, sig),
            None,
            "another document"
        );
        let past = now().0.timestamp() - 1;
        let old = URL_SAFE_NO_PAD.encode(signature(&config, id, past).unwrap_or_default());
        assert_eq!(check_link(&config, &global, past, &old), None, "expired");
    }
}
