//! Reading flags and child options from configuration (`serde`): every error names the
//! field and the forms it accepts, and a struct is only read from a map.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::flags::{AutoShutdown, Strategy, SupervisorFlags};
use crate::spec::{ChildId, ChildOptions, ChildType, Restart, Shutdown};

/// Reads one of the names in `forms`; anything else is an error listing them, as `what`.
fn one_of<'de, D, T>(
    d: D,
    what: &'static str,
    forms: &'static [(&'static str, T)],
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Copy,
{
    struct Names<T: 'static> {
        what: &'static str,
        forms: &'static [(&'static str, T)],
    }

    impl<T: 'static> Names<T> {
        fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}: one of ", self.what)?;
            for (i, (name, _)) in self.forms.iter().enumerate() {
                let sep = match i {
                    0 => "",
                    n if n + 1 == self.forms.len() => " or ",
                    _ => ", ",
                };
                write!(f, "{sep}\"{name}\"")?;
            }
            Ok(())
        }
    }

    impl<T: Copy + 'static> Visitor<'_> for Names<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.describe(f)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            match self.forms.iter().find(|(name, _)| *name == s) {
                Some((_, value)) => Ok(*value),
                None => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
            }
        }
    }

    d.deserialize_str(Names { what, forms })
}

/// `Deserialize` for an enum read from one of its snake_case names.
macro_rules! from_names {
    ($($ty:ident, $what:literal: [$($name:literal => $variant:ident),*];)*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                one_of(d, $what, &[$(($name, $ty::$variant)),*])
            }
        }
    )*};
}

from_names! {
    Strategy, "a strategy": [
        "one_for_one" => OneForOne, "one_for_all" => OneForAll, "rest_for_one" => RestForOne
    ];
    AutoShutdown, "an auto_shutdown": [
        "never" => Never, "any_significant" => AnySignificant, "all_significant" => AllSignificant
    ];
    Restart, "a restart type": [
        "permanent" => Permanent, "transient" => Transient, "temporary" => Temporary
    ];
    ChildType, "a child type": ["worker" => Worker, "supervisor" => Supervisor];
}

const SHUTDOWN_FORMS: &str =
    r#"a shutdown: "brutal_kill", "infinity" or a duration such as "500ms", "2s", "10m" or "1h""#;

impl<'de> Deserialize<'de> for Shutdown {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ShutdownVisitor;

        impl<'de> Visitor<'de> for ShutdownVisitor {
            type Value = Shutdown;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(SHUTDOWN_FORMS)
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Shutdown, E> {
                match s {
                    "brutal_kill" => Ok(Shutdown::BrutalKill),
                    "infinity" => Ok(Shutdown::Infinity),
                    _ => crate::duration::parse(s)
                        .map(Shutdown::Timeout)
                        .ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }
        }

        d.deserialize_any(ShutdownVisitor)
    }
}

/// Reads a `T` from a map only: a struct's derived `Deserialize` also takes a sequence
/// (`[]` read as all defaults), which a configuration never means.
fn from_map<'de, D, T>(d: D, what: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct MapOnly<T> {
        what: &'static str,
        _out: PhantomData<fn() -> T>,
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for MapOnly<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} as a map", self.what)
        }

        fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }

    d.deserialize_map(MapOnly {
        what,
        _out: PhantomData,
    })
}

/// Deserializes a field's value, naming the field in any error.
macro_rules! field {
    ($name:ident: $ty:ty, $label:literal) => {
        pub(super) fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            <$ty>::deserialize(d).map_err(|e| de::Error::custom(format_args!("{}: {e}", $label)))
        }
    };
}

mod fields {
    use super::*;

    field!(strategy: Strategy, "strategy");
    field!(intensity: u32, "intensity");
    field!(auto_shutdown: AutoShutdown, "auto_shutdown");
    field!(id: Option<ChildId>, "id");
    field!(restart: Option<Restart>, "restart");
    field!(shutdown: Option<Shutdown>, "shutdown");
    field!(child_type: Option<ChildType>, "type");
    field!(significant: Option<bool>, "significant");

    pub(super) fn period<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        crate::duration::deserialize(d).map_err(|e| de::Error::custom(format_args!("period: {e}")))
    }
}

#[derive(serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FlagsRepr {
    #[serde(deserialize_with = "fields::strategy")]
    strategy: Strategy,
    #[serde(deserialize_with = "fields::intensity")]
    intensity: u32,
    #[serde(deserialize_with = "fields::period")]
    period: Duration,
    #[serde(deserialize_with = "fields::auto_shutdown")]
    auto_shutdown: AutoShutdown,
}

impl Default for FlagsRepr {
    fn default() -> Self {
        let d = SupervisorFlags::default();
        Self {
            strategy: d.strategy,
            intensity: d.intensity,
            period: d.period,
            auto_shutdown: d.auto_shutdown,
        }
    }
}

impl<'de> Deserialize<'de> for SupervisorFlags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: FlagsRepr = from_map(
            d,
            "supervisor flags (strategy, intensity, period, auto_shutdown)",
        )?;
        Ok(SupervisorFlags::default()
            .with_strategy(r.strategy)
            .with_intensity(r.intensity, r.period)
            .with_auto_shutdown(r.auto_shutdown))
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OptionsRepr {
    #[serde(deserialize_with = "fields::id")]
    id: Option<ChildId>,
    #[serde(deserialize_with = "fields::restart")]
    restart: Option<Restart>,
    #[serde(deserialize_with = "fields::shutdown")]
    shutdown: Option<Shutdown>,
    #[serde(rename = "type", deserialize_with = "fields::child_type")]
    child_type: Option<ChildType>,
    #[serde(deserialize_with = "fields::significant")]
    significant: Option<bool>,
}

impl<'de> Deserialize<'de> for ChildOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: OptionsRepr = from_map(
            d,
            "child options (id, restart, shutdown, type, significant)",
        )?;
        Ok(ChildOptions {
            id: r.id,
            restart: r.restart,
            shutdown: r.shutdown,
            child_type: r.child_type,
            significant: r.significant,
        })
    }
}
