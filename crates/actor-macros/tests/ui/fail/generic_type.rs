use actor_supervisor::Child;

#[derive(Child)]
struct Worker<T> {
    item: T,
}

fn main() {}
