use actor_supervisor::Child;

#[derive(Child)]
#[child(type = "manager")]
struct Worker;

fn main() {}
