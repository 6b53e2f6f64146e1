//! Typed text columns. `text_enum!` defines an enum stored as TEXT under the CHECK
//! constraint its migration already has: one definition gives the stored value, the label
//! people read, parsing with a clear message, a diesel column type on both engines (rows
//! hold `Stage`, not `String`), JSON as the stored value, and options for a `<select>`.

/// Defines a text-backed column enum. `$what` completes "Choose …" in the parse error.
#[macro_export]
macro_rules! text_enum {
    ($name:ident, $what:literal, { $($variant:ident => ($value:literal, $label:literal)),* $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value),* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            pub fn parse(value: &str) -> Result<$name, &'static str> {
                match value { $($value => Ok($name::$variant),)* _ => Err(concat!("Choose ", $what)) }
            }

            /// What a person meant by `text` in a spreadsheet: the stored value or the
            /// label, or one of `synonyms`, with case and punctuation ignored.
            pub fn understand(text: &str, synonyms: &[(&str, $name)]) -> Option<$name> {
                $crate::tabular::values::choose(
                    text,
                    $name::ALL.iter().map(|v| (*v, v.as_str(), v.label())),
                    synonyms,
                )
            }

            /// The stored values, for a schema's `enum`.
            pub fn values() -> Vec<&'static str> {
                $name::ALL.iter().map(|v| v.as_str()).collect()
            }

            /// For a <select>: every value with its label, the current one selected.
            pub fn options(selected: &str) -> Vec<$crate::db::enums::SelectOption> {
                $name::ALL
                    .iter()
                    .map(|v| $crate::db::enums::SelectOption {
                        value: v.as_str(),
                        label: v.label(),
                        selected: v.as_str() == selected,
                    })
                    .collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = &'static str;
            fn from_str(value: &str) -> Result<$name, &'static str> {
                $name::parse(value)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::values()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        $crate::text_column!($name);
    };
}

/// The diesel side of a text enum: TEXT on SQLite, PostgreSQL and the two-engine backend.
#[macro_export]
macro_rules! text_column {
    ($name:ident) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.as_str());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: $crate::db::enums::TextBackend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                $name::parse(&text).map_err(|_| {
                    format!(concat!("unexpected ", stringify!($name), " {:?} in the database"), text).into()
                })
            }
        }
    };
}

/// The backends a text enum reads from.
pub trait TextBackend: diesel::backend::Backend {}
impl TextBackend for diesel::sqlite::Sqlite {}
impl TextBackend for diesel::pg::Pg {}
impl TextBackend for crate::db::MultiBackend {}

/// One `<option>` of a `<select>`, as the templates read it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SelectOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}
