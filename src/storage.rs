//! Object storage for uploaded files (`STORAGE_URL`): a local directory by
//! default, an S3-compatible bucket in production, both through the
//! `object_store` crate so the rest of the code does not know which.
//!
//! Keys are plain relative paths (`avatars/<user>/<random>.jpg`); a key with
//! an empty, `.` or `..` segment is refused before it reaches the store.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::ConfigError;
use crate::error::{AppError, AppResult};

/// Where objects live, as `STORAGE_URL` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `file://dir`: a directory (relative paths resolved against the working directory at start).
    Local(PathBuf),
    /// `s3://bucket[/prefix]`: an S3-compatible bucket; region, endpoint and credentials come from the standard `AWS_*` variables.
    S3 {
        /// The bucket.
        bucket: String,
        /// A key prefix inside the bucket, without slashes at either end.
        prefix: Option<String>,
    },
}

impl StorageUrl {
    /// Read a `STORAGE_URL`; `cwd` resolves relative `file://` paths.
    pub fn parse(url: &str, cwd: &std::path::Path) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a directory, like file://./data/uploads".into());
            }
            return Ok(StorageUrl::Local(cwd.join(path)));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("s3:// needs a bucket, like s3://my-bucket".into());
            }
            let prefix = prefix.trim_matches('/');
            return Ok(StorageUrl::S3 {
                bucket: bucket.to_owned(),
                prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            });
        }
        Err(format!(
            "{url:?}: use file://<directory> or s3://<bucket>[/<prefix>]"
        ))
    }
}

/// The kinds of file this server writes, and so the only ones it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// `.jpg`, `image/jpeg`.
    Jpeg,
    /// `.png`, `image/png`.
    Png,
}

impl FileType {
    const ALL: [FileType; 2] = [FileType::Jpeg, FileType::Png];

    /// The extension its keys end with (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// The type of the file under `key`, from its extension.
    pub fn of_key(key: &str) -> Option<Self> {
        let (_, extension) = key.rsplit_once('.')?;
        Self::ALL.into_iter().find(|t| t.extension() == extension)
    }
}

/// The object store, shared by every request; cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    /// Open the store `url` names: create a local directory when missing, or configure the S3 client from the environment. A failure names `STORAGE_URL`.
    pub fn open(url: &StorageUrl) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError {
            name: "STORAGE_URL",
            reason,
        };
        let store: Arc<dyn ObjectStore> = match url {
            StorageUrl::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| invalid(format!("cannot create {}: {e}", dir.display())))?;
                let local = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| invalid(e.to_string()))?
                    .with_automatic_cleanup(true);
                Arc::new(local)
            }
            StorageUrl::S3 { bucket, prefix } => {
                let s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?;
                match prefix {
                    Some(prefix) => Arc::new(PrefixStore::new(s3, prefix.as_str())),
                    None => Arc::new(s3),
                }
            }
        };
        Ok(Storage { store })
    }

    /// Store `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        self.store
            .put(&path(key)?, PutPayload::from_bytes(bytes))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The object under `key`; `None` when there is none (or the key is not a valid one).
    pub async fn get(&self, key: &str) -> AppResult<Option<Bytes>> {
        let Ok(location) = path(key) else {
            return Ok(None);
        };
        let found = match self.store.get(&location).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(unavailable(err)),
        };
        found.bytes().await.map(Some).map_err(unavailable)
    }

    /// Remove the object under `key`; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// Remove an object nothing points to any more. A failure only leaves an orphan behind, so it is logged, never returned.
    pub async fn discard(&self, key: &str) {
        if let Err(err) = self.delete(key).await {
            tracing::warn!(key, error = ?err, "could not delete an unused object");
        }
    }
}

/// The store's path for `key`, refusing empty, `.` and `..` segments.
fn path(key: &str) -> AppResult<Path> {
    if key.is_empty() || key.starts_with('/') || key.contains('\\') {
        return Err(AppError::internal(format!("invalid object key {key:?}")));
    }
    Path::parse(key).map_err(AppError::internal)
}

fn unavailable(err: object_store::Error) -> AppError {
    AppError::Unavailable(format!("object storage: {err}"))
}

/// The absolute URL of the public file `key`: `FILES_URL` points at the `GET /files/…` route (`http/files.rs`), or at a CDN in front of it.
pub fn public_url(files_url: &str, key: &str) -> String {
    format!("{files_url}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_urls() {
        let cwd = std::path::Path::new("/srv/agora");
        assert_eq!(
            StorageUrl::parse("file://./data/uploads", cwd),
            Ok(StorageUrl::Local(PathBuf::from("/srv/agora/./data/uploads")))
        );
        assert_eq!(
            StorageUrl::parse("file:///var/lib/agora", cwd),
            Ok(StorageUrl::Local(PathBuf::from("/var/lib/agora")))
        );
        assert_eq!(
            StorageUrl::parse("s3://media/agora/uploads/", cwd),
            Ok(StorageUrl::S3 {
                bucket: "media".into(),
                prefix: Some("agora/uploads".into())
            })
        );
        assert_eq!(
            StorageUrl::parse("s3://media", cwd),
            Ok(StorageUrl::S3 {
                bucket: "media".into(),
                prefix: None
            })
        );
        for bad in [
            "file://",
            "s3://",
            "s3:///x",
            "./data",
            "http://example.com",
            "gs://b",
        ] {
            assert!(StorageUrl::parse(bad, cwd).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_cannot_leave_the_store() {
        for bad in [
            "",
            "/etc/passwd",
            "avatars/../x",
            "avatars/./x",
            "a//b",
            "..",
            "a\\..\\b",
        ] {
            assert!(path(bad).is_err(), "{bad}");
        }
        assert!(path("avatars/0190/abc.jpg").is_ok());
    }

    #[test]
    fn file_types_come_from_the_extension() {
        assert_eq!(FileType::of_key("avatars/u/x.jpg"), Some(FileType::Jpeg));
        assert_eq!(FileType::of_key("avatars/u/x.png"), Some(FileType::Png));
        for other in ["avatars/u/x.jpeg", "avatars/u/x.svg", "avatars/u/png", "x.PNG"] {
            assert_eq!(FileType::of_key(other), None, "{other}");
        }
    }

    #[test]
    fn s3_stores_open_without_connecting() {
        let url = StorageUrl::S3 {
            bucket: "media".into(),
            prefix: Some("agora".into()),
        };
        assert!(Storage::open(&url).is_ok());
    }

    #[tokio::test]
    async fn local_objects_round_trip() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let storage =
            Storage::open(&StorageUrl::Local(dir.path().join("new"))).unwrap_or_else(|e| panic!("{e}"));
        let key = "avatars/u/1.png";
        assert_eq!(storage.get(key).await.ok(), Some(None));
        assert!(storage.put(key, Bytes::from_static(b"png")).await.is_ok());
        assert_eq!(
            storage.get(key).await.ok(),
            Some(Some(Bytes::from_static(b"png")))
        );
        assert!(storage.delete(key).await.is_ok());
        assert!(storage.delete(key).await.is_ok(), "deleting twice is fine");
        assert_eq!(storage.get(key).await.ok(), Some(None));
        assert_eq!(storage.get("avatars/../../etc/passwd").await.ok(), Some(None));
    }
}
