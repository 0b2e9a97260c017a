//! Enums stored as text (with a CHECK constraint) and exposed as GraphQL
//! enums, with the same SCREAMING_CASE spelling in both places. Rows carry
//! the enum: it converts itself to and from the `TEXT` column on both
//! backends.

/// Declare a text-backed enum: a GraphQL enum that is also a diesel `Text` value; `as_str()` gives the stored text.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
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
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            /// The CHECK constraint keeps the text valid; anything else is a deserialization error.
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                match text.as_str() {
                    $( $text => Ok($name::$variant), )+
                    other => Err(format!("unknown {} {other:?} in database", stringify!($name)).into()),
                }
            }
        }
    };
}
