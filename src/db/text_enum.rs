//! Enums stored as text (with a CHECK constraint) and exposed as GraphQL
//! enums, with the same SCREAMING_CASE spelling in both places.

/// Declare a text-backed enum: `as_str()` for writing, `from_db()` for reading.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* #[graphql(name = $text)] $variant ),+
        }

        impl $name {
            /// The stored text (the GraphQL enum value).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// Read the stored text; the CHECK constraint keeps it valid.
            pub fn from_db(s: &str) -> $crate::error::AppResult<Self> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    other => Err($crate::error::AppError::internal(format!(
                        "unknown {} {other:?} in database",
                        stringify!($name)
                    ))),
                }
            }
        }
    };
}
