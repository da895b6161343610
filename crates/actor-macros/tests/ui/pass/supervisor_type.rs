use actor_supervisor::{Child, ChildType, Restart, Shutdown, Supervise, SupervisorFlags, SupervisorSpec};

/// A module-based supervisor: its derived spec is of type supervisor, shutdown infinity.
#[derive(Child)]
#[child(type = "supervisor")]
struct Tree;

impl Supervise for Tree {
    type Args = u32;
    fn init(_: u32) -> Option<SupervisorSpec> {
        Some(SupervisorSpec::new(SupervisorFlags::default()))
    }
}

fn main() {
    let s = Tree::child_spec(3);
    assert_eq!(s.id().as_str(), "Tree");
    assert_eq!(s.get_child_type(), ChildType::Supervisor);
    assert_eq!(s.get_shutdown(), Shutdown::Infinity);
    assert_eq!(s.get_restart(), Restart::Permanent);
}
