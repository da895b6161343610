use actor_supervisor::Child;

#[derive(Child)]
#[child(shutdown = "10 seconds")]
struct Worker;

fn main() {}
