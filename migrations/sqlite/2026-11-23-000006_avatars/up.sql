-- A user's avatar: the key of its thumbnail in object storage (STORAGE_URL),
-- at most one per user. Every upload writes a new object under a new key
-- (so served files never change) and the old object is deleted after the
-- commit; deleting the account deletes the row and then the object.
CREATE TABLE user_avatars (
    user_id      text        NOT NULL PRIMARY KEY REFERENCES users (id),
    object_key   text        NOT NULL,
    content_type text        NOT NULL,
    updated_at   text        NOT NULL,
    CONSTRAINT user_avatars_content_type_check CHECK (content_type IN ('image/jpeg', 'image/png'))
);
