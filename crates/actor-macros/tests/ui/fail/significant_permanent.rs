use actor_supervisor::Child;

#[derive(Child)]
#[child(significant = true)]
struct Worker;

fn main() {}
