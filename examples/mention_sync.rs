//! Seed 002, "Background processes synchronization with GenServer and DynamicSupervisor":
//! one mention-sync actor per client, a temporary child of a `DynamicSupervisor`, named via a
//! `Registry` keyed by the client's id. It monitors its client and stops normally when the
//! client goes DOWN; it refreshes with `send_after`; it pages through pull requests and their
//! comments over real HTTP against a GitHub-shaped server on loopback, and sends new mentions
//! to the client as it finds them.
//!
//! Run it with:
//!
//! ```text
//! cargo run --example mention_sync
//! ```
//!
//! It prints a transcript and exits non-zero if a behaviour the article promises is missing.

use std::time::Duration;

use actor_core::{Actor, ExitReason};
use otp_actors::check;
use otp_actors::mentions::{GitHubServer, Mentions, MentionsView, WaitMentions};

#[tokio::main]
async fn main() {
    let github = GitHubServer::start("acme/widgets", "gh-token")
        .await
        .expect("the API listens");
    // Seven pull requests with a few comments each; page size 2 forces several pages of both.
    for pr in 1..=7u64 {
        let title = format!("Change #{pr}");
        github.add_comment(pr, &title, "alice", "looks fine to me");
        if pr % 2 == 1 {
            github.add_comment(pr, &title, "bob", &format!("@dave please review #{pr}"));
        }
        github.add_comment(pr, &title, "carol", "ship it");
    }
    println!("GitHub-shaped API at {}", github.repo_url());

    let mentions = Mentions::start()
        .await
        .expect("registry and supervisor start");
    let view = MentionsView::start("LiveView 1".to_owned())
        .await
        .expect("the client starts");
    println!("\nMentions.get_mentions(repo, \"dave\", token, lv_pid)");
    let sync = mentions
        .get_mentions(
            &github.repo_url(),
            "dave",
            "gh-token",
            &view,
            Duration::from_millis(300),
            2,
        )
        .await
        .expect("the sync starts");
    check(
        mentions.sync_of(&view.pid()) == Some(sync.clone()),
        "the sync is named via {Registry, lv_pid}",
    );
    let found = view.call(WaitMentions(4)).await.expect("mentions arrive");
    check(found.len() == 4, "four mentions found across every page");
    check(
        // 4 pages of pulls; 2 pages of comments for each of the 4 PRs with 3 comments, 1 for the others.
        github.requests() >= 4 + 4 * 2 + 3,
        "fetched page by page (pulls and comments)",
    );

    println!("\na new comment mentions dave; the next send_after refresh finds it");
    github.add_comment(6, "Change #6", "erin", "@dave one more thing");
    let found = view
        .call(WaitMentions(5))
        .await
        .expect("the refresh delivers");
    check(
        found.len() == 5 && found[4].pr == 6 && found[4].comment.user.login == "erin",
        "only the new mention is sent; earlier ones are not repeated",
    );

    println!("\na second client syncs the same repository for bob");
    let other = MentionsView::start("LiveView 2".to_owned())
        .await
        .expect("client 2");
    github.add_comment(2, "Change #2", "dave", "thanks @bob");
    mentions
        .get_mentions(
            &github.repo_url(),
            "bob",
            "gh-token",
            &other,
            Duration::from_secs(60),
            2,
        )
        .await
        .expect("sync 2");
    check(
        other.call(WaitMentions(1)).await.map(|m| m.len()).ok() == Some(1),
        "client 2 got bob's mention",
    );
    check(
        active_syncs(&mentions).await == Some(2),
        "one sync per client",
    );

    println!("\nthe first client closes its page (the LiveView process ends)");
    view.stop(ExitReason::Shutdown).await.expect("view stops");
    check(
        sync.exited().await == ExitReason::Normal,
        "its sync saw DOWN and stopped normally",
    );
    check(
        mentions.sync_of(&view.pid()).is_none(),
        "the registry entry is gone",
    );
    check(
        active_syncs(&mentions).await == Some(1),
        "a temporary child is not restarted",
    );

    mentions
        .supervisor()
        .stop(ExitReason::Shutdown)
        .await
        .expect("stop");
    println!("mention_sync complete");
}

/// How many syncs the dynamic supervisor runs.
async fn active_syncs(mentions: &Mentions) -> Option<usize> {
    mentions
        .supervisor()
        .count_children()
        .await
        .map(|c| c.active)
        .ok()
}
