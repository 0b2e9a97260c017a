//! Our own `DateTime` and `Upload` scalars, so that `schema.graphql` and
//! introspection say precisely what they carry (async-graphql's own say
//! little). Each is a newtype with `From` both ways, converted at the
//! schema's edge; the wire format is async-graphql's, unchanged. `Decimal`
//! lives with the money types (`money::graphql`).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::registry::{MetaType, MetaTypeId, Registry};
use async_graphql::{InputType, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::Utc;

/// An instant on the wire: the `DateTime` scalar (its format is described on its `ScalarType` impl, which is what the schema shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, as an RFC 3339 `date-time` string, e.g. `"2026-11-30T19:23:34.123456+00:00"`.
///
/// Answers are in UTC, written with the offset `+00:00`, and carry fractional seconds only when they are not zero, in 3 or 6 digits (`"2027-06-01T08:00:00+00:00"`, `"2027-06-01T08:00:00.500+00:00"`): times are kept to the microsecond.
///
/// Inputs may use any offset (`Z`, `+02:00`), converted to UTC, `T` or a space between date and time, and up to 9 fraction digits. A time without an offset (`"2027-06-01T10:00:00"`), a date alone (`"2027-06-01"`), an impossible date or time (`"2027-02-30T10:00:00Z"`, hour `24`) or anything but a string is refused with `BAD_USER_INPUT`.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(DateTime(text.parse::<chrono::DateTime<Utc>>()?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(time: chrono::DateTime<Utc>) -> Self {
        DateTime(time)
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(time: DateTime) -> Self {
        time.0
    }
}

/// The `Upload` scalar's description (see [`Upload`]).
const UPLOAD_DESCRIPTION: &str = "A file, sent as a part of a multipart request \
(the GraphQL multipart request specification): the variable holds `null` in \
`operations`, the `map` part names its path, and the file part carries the \
bytes, e.g. `-F operations='{\"query\": \"mutation($file: Upload!) { uploadAvatar(file: $file) { avatarUrl } }\", \
\"variables\": {\"file\": null}}' -F map='{\"0\": [\"variables.file\"]}' -F 0=@me.jpg`.\n\n\
An input only. The request must carry `Apollo-Require-Preflight: true` (or \
`X-Requested-With`), or it is refused with HTTP 400; a string given instead of \
a file is refused with `BAD_USER_INPUT`.";

/// A file sent as a part of a multipart request: async-graphql's `Upload`, under our description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload(pub async_graphql::Upload);

impl InputType for Upload {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        async_graphql::Upload::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_input_type::<Self, _>(MetaTypeId::Scalar, |_| MetaType::Scalar {
            name: Self::type_name().into_owned(),
            description: Some(UPLOAD_DESCRIPTION.to_owned()),
            is_valid: Some(Arc::new(|value| matches!(value, Value::String(_)))),
            visible: None,
            inaccessible: false,
            tags: Vec::new(),
            specified_by_url: Some(
                "https://github.com/jaydenseric/graphql-multipart-request-spec".to_owned(),
            ),
            directive_invocations: Vec::new(),
            requires_scopes: Vec::new(),
        })
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        async_graphql::Upload::parse(value)
            .map(Upload)
            .map_err(InputValueError::propagate)
    }

    fn to_value(&self) -> Value {
        self.0.to_value()
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}

impl From<async_graphql::Upload> for Upload {
    fn from(upload: async_graphql::Upload) -> Self {
        Upload(upload)
    }
}

impl From<Upload> for async_graphql::Upload {
    fn from(upload: Upload) -> Self {
        upload.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_are_written_as_before() {
        let cases = [
            ("2027-06-01T10:00:00.5+02:00", "2027-06-01T08:00:00.500+00:00"),
            ("2027-06-01 08:00:00Z", "2027-06-01T08:00:00+00:00"),
            ("2026-11-30T19:23:34.123456Z", "2026-11-30T19:23:34.123456+00:00"),
        ];
        for (input, output) in cases {
            let time = <DateTime as ScalarType>::parse(Value::String(input.into())).unwrap();
            let chrono: chrono::DateTime<Utc> = input.parse().unwrap();
            assert_eq!(ScalarType::to_value(&time), Value::String(chrono.to_rfc3339()));
            assert_eq!(ScalarType::to_value(&time), Value::String(output.into()));
        }
        for refused in [
            "2027-06-01T10:00:00",
            "2027-06-01",
            "2027-02-30T10:00:00Z",
            "2027-06-01T24:00:00Z",
        ] {
            assert!(
                <DateTime as ScalarType>::parse(Value::String(refused.into())).is_err(),
                "{refused}"
            );
        }
        assert!(<DateTime as ScalarType>::parse(Value::from(1)).is_err());
    }
}
