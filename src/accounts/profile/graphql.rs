//! The profile in the schema: `updateProfile` and its inputs.

use async_graphql::{Context, InputObject, MaybeUndefined, Object};

use crate::accounts::profile::{self, Address, ProfileChanges};
use crate::accounts::users::graphql::User;
use crate::auth::RoleGuard;
use crate::graphql::context::write;

/// Changes to the signed-in user's profile. An omitted field stays as it is; `null` clears it (`name` cannot be cleared). Text is trimmed; send `null`, not an empty string, to clear a field.
#[derive(InputObject, Default)]
pub struct UpdateProfileInput {
    /// Display name, 1 to 100 characters; `null` is refused (`BAD_USER_INPUT`, field `name`).
    pub name: MaybeUndefined<String>,
    /// Given name, 1 to 100 characters (public); `null` clears it.
    pub first_name: MaybeUndefined<String>,
    /// Family name, 1 to 100 characters (private); `null` clears it.
    pub last_name: MaybeUndefined<String>,
    /// Phone number in E.164 form (`+` and 7 to 15 digits, like `+14155550123`; spaces, dots, hyphens and parentheses are dropped) (private); `null` clears it.
    pub phone: MaybeUndefined<String>,
    /// Postal address, replacing the whole previous one (private); `null` clears it.
    pub address: MaybeUndefined<AddressInput>,
    /// A few words about the user, 1 to 2000 characters (public); `null` clears it.
    pub bio: MaybeUndefined<String>,
}

impl UpdateProfileInput {
    fn changes(self) -> ProfileChanges {
        let address: Option<Option<AddressInput>> = self.address.into();
        ProfileChanges {
            name: self.name.into(),
            first_name: self.first_name.into(),
            last_name: self.last_name.into(),
            phone: self.phone.into(),
            address: address.map(|a| a.map(AddressInput::parts)),
            bio: self.bio.into(),
        }
    }
}

/// A postal address. Errors name the part, like `address.country`.
#[derive(InputObject, Clone)]
pub struct AddressInput {
    /// Street and number, 1 to 200 characters.
    pub line1: String,
    /// Apartment, floor, building, at most 200 characters; blank means none.
    pub line2: Option<String>,
    /// City or town, 1 to 100 characters.
    pub city: String,
    /// State, province or region, at most 100 characters; blank means none.
    pub region: Option<String>,
    /// Postal code, at most 20 characters; blank means none.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`DE`, `US`), any case; stored upper-case.
    pub country: String,
}

impl AddressInput {
    pub fn parts(self) -> Address {
        Address {
            line1: self.line1,
            line2: self.line2,
            city: self.city,
            region: self.region,
            postal_code: self.postal_code,
            country: self.country,
        }
    }
}

/// Mutations on the signed-in user's profile.
#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Change your profile: omitted fields stay as they are, `null` clears a field (`name` cannot be cleared), `address` is replaced as a whole. Errors: `BAD_USER_INPUT` (field `name`, `firstName`, `lastName`, `phone`, `bio`, or `address.line1`, `address.line2`, `address.city`, `address.region`, `address.postalCode`, `address.country`).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> async_graphql::Result<User> {
        let changes = input.changes();
        let row = write(ctx, async |tx| profile::update(tx, changes).await).await?;
        Ok(User::from(row))
    }
}
