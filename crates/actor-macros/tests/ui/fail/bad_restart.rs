use actor_supervisor::Child;

#[derive(Child)]
#[child(restart = "sometimes")]
struct Worker;

fn main() {}
