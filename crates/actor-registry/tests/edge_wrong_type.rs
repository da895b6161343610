//! Item 9 of the edge hardening, for names: calling or casting through a name held by an
//! actor of another type is a distinct error, never `NoProc` or a silent drop.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use actor_core::{Actor, Call, CallError, CallReply, Cast, Context, Flow, InitError};
use actor_registry::LocalRegistry;

struct Cat;
struct Dog;
struct Speak;

impl Actor for Cat {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Cat)
    }
}
impl Actor for Dog {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Dog)
    }
}
impl Call<Speak> for Dog {
    type Reply = &'static str;
    async fn handle_call(&mut self, _: Speak, _: &mut Context<Self>) -> CallReply<&'static str> {
        CallReply::Reply("woof")
    }
}
impl Cast<Speak> for Dog {
    async fn handle_cast(&mut self, _: Speak, _: &mut Context<Self>) -> Flow {
        Flow::Ok
    }
}

#[tokio::test]
async fn item9_a_call_through_a_name_held_by_another_type_is_wrong_type_not_noproc() {
    // Before: CallError::NoProc, as if nobody held the name.
    let names = LocalRegistry::new();
    let _cat = Cat::start(()).name(names.name("rex")).await.unwrap();
    match names.name("rex").call::<Dog, _>(Speak).await {
        Err(CallError::WrongType(Speak, e)) => {
            assert!(
                e.expected.ends_with("Dog") && e.actual.ends_with("Cat"),
                "{e}"
            );
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    // A name nobody holds is still NoProc.
    assert!(matches!(
        names.name("nobody").call::<Dog, _>(Speak).await,
        Err(CallError::NoProc(Speak))
    ));
    let dog = Dog::start(()).name(names.name("fido")).await.unwrap();
    assert_eq!(
        names.name("fido").call::<Dog, _>(Speak).await.unwrap(),
        "woof"
    );
    drop(dog);
}

#[tokio::test]
async fn item9_a_cast_through_a_name_held_by_another_type_is_an_error_not_a_silent_drop() {
    let names = LocalRegistry::new();
    let _cat = Cat::start(()).name(names.name("rex")).await.unwrap();
    let err = names.name("rex").cast::<Dog, _>(Speak).unwrap_err();
    assert!(err.actual.ends_with("Cat"));
    // OTP's silent drop stays for a name nobody holds, and a right cast is fine.
    assert!(names.name("nobody").cast::<Dog, _>(Speak).is_ok());
    let _dog = Dog::start(()).name(names.name("fido")).await.unwrap();
    assert!(names.name("fido").cast::<Dog, _>(Speak).is_ok());
}
