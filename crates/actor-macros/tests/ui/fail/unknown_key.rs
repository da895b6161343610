use actor_supervisor::Child;

#[derive(Child)]
#[child(restrat = "transient")]
struct Worker;

fn main() {}
