use actor_supervisor::Child;

#[derive(Child)]
struct Plain;

fn main() {}
