//! Seed 002's promises: one temporary sync per client, named via the registry, paging over
//! HTTP, refreshing with `send_after`, and stopping normally when its client dies.
#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::time::Duration;

use actor_core::{Actor, ActorRef, ExitReason};
use otp_actors::mentions::{GitHubServer, Mentions, MentionsView, WaitMentions};

async fn setup() -> (GitHubServer, Mentions, ActorRef<MentionsView>) {
    let github = GitHubServer::start("o/r", "tok").await.unwrap();
    for pr in 1..=5 {
        github.add_comment(pr, "t", "x", "no mention");
        github.add_comment(pr, "t", "y", &format!("@me see {pr}"));
        github.add_comment(pr, "t", "z", "still none");
    }
    let mentions = Mentions::start().await.unwrap();
    let view = MentionsView::start("v".into()).await.unwrap();
    (github, mentions, view)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_stops_normally_when_its_client_dies() {
    let (github, mentions, view) = setup().await;
    let sync = mentions
        .get_mentions(
            &github.repo_url(),
            "me",
            "tok",
            &view,
            Duration::from_secs(60),
            2,
        )
        .await
        .unwrap();
    assert_eq!(mentions.sync_of(&view.pid()), Some(sync.clone()));
    assert_eq!(view.call(WaitMentions(5)).await.unwrap().len(), 5);

    // The client crashes (not a clean stop): the sync still ends with reason normal.
    view.pid().exit(ExitReason::msg("liveview crashed"));
    assert_eq!(sync.exited().await, ExitReason::Normal);
    assert!(mentions.sync_of(&view.pid()).is_none());
    let counts = mentions.supervisor().count_children().await.unwrap();
    assert_eq!(
        (counts.specs, counts.active),
        (0, 0),
        "temporary: never restarted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_read_and_a_refresh_sends_only_new_mentions() {
    let (github, mentions, view) = setup().await;
    mentions
        .get_mentions(
            &github.repo_url(),
            "me",
            "tok",
            &view,
            Duration::from_millis(50),
            1,
        )
        .await
        .unwrap();
    let first = view.call(WaitMentions(5)).await.unwrap();
    let mut prs: Vec<u64> = first.iter().map(|m| m.pr).collect();
    prs.sort_unstable();
    assert_eq!(
        prs,
        [1, 2, 3, 4, 5],
        "per_page 1: five pages of pulls, three of comments each"
    );
    let id = github.add_comment(3, "t", "w", "@me again");
    let all = view.call(WaitMentions(6)).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[5].comment.id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_get_mentions_for_the_same_client_reuses_its_sync() {
    let (github, mentions, view) = setup().await;
    let url = github.repo_url();
    let a = mentions
        .get_mentions(&url, "me", "tok", &view, Duration::from_secs(60), 30)
        .await
        .unwrap();
    let b = mentions
        .get_mentions(&url, "me", "tok", &view, Duration::from_secs(60), 30)
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(
        mentions.supervisor().count_children().await.unwrap().active,
        1
    );
    assert_eq!(
        view.call(WaitMentions(5)).await.unwrap().len(),
        5,
        "no mention sent twice"
    );
}
