//! Stable identifiers: the enums behind diagnostic codes and rule ids (cargo-deny's `diag.rs`
//! style), declared once here so that every crate's codes behave alike.

/// Declares a stable-id enum: each variant with its kebab-case text, `ALL`, `as_str`, and
/// `Display`, `Serialize`, `Deserialize` and `PartialEq<&str>` through the text.
#[macro_export]
macro_rules! stable_ids {
    ($(#[doc = $edoc:literal])* $name:ident {
        $($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*
    }) => {
        $(#[doc = $edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[doc = $doc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The kebab-case text as printed and serialized.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text: std::borrow::Cow<'de, str> = $crate::__serde::Deserialize::deserialize(d)?;
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == text)
                    .ok_or_else(|| {
                        <D::Error as $crate::__serde::de::Error>::unknown_variant(&text, &[])
                    })
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
