//! Pinterest boards: the adapter lists the account's boards (paged), a Pin goes to the board
//! the person chose (else the first, as before), a board of another account is refused, and
//! the choice is stored with the post so the editor can preselect it next time.

use crate::helpers::*;
use crate::platforms_video::handle;
use crate::sources::{app_with_sandbox, connect, list, png, user, Sbx};
use covalynce::domain::{PinterestSettings, PostOptions};
use covalynce::platforms::{Board, ErrorClass, PostContent};
use covalynce::PlatformId;
use sandbox::account_for;
use serde_json::json;

/// Where the sandbox put the last Pin: `{id, board_id, account}`.
fn last_pin(sbx: &Sbx) -> serde_json::Value {
    sbx.sandbox.lock().idempotency.get("pinterest:last_pin").cloned().unwrap_or_default()
}

fn pin_to(board: Option<&str>) -> PostContent {
    PostContent {
        text: "Autumn palette".into(),
        images: vec![png()],
        options: PostOptions { pinterest: board.map(|b| PinterestSettings { board_id: b.into() }), ..Default::default() },
        ..Default::default()
    }
}

#[tokio::test]
async fn pinterest_lists_the_boards_and_pins_to_the_chosen_one() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "board_keeper", |u| u).await;
    let (pin, grant, account) = handle(&app, &uid, PlatformId::Pinterest).await;

    let boards = pin.boards(&grant, &account).await.unwrap().expect("Pinterest has boards");
    let id = account_for("pinterest", "board_keeper").id;
    let expected = [(format!("9{id}"), "Sandbox board"), (format!("9{id}-2"), "Recipes"), (format!("9{id}-3"), "Travel")];
    assert_eq!(boards, expected.iter().map(|(i, n)| Board { id: i.clone(), name: n.to_string() }).collect::<Vec<_>>());

    let chosen = boards[2].id.clone();
    let published = pin.publish(&grant, &account, &pin_to(Some(&chosen))).await.unwrap();
    let last = last_pin(&sbx);
    assert_eq!((last["id"].as_str(), last["board_id"].as_str()), (Some(published.external_id.as_str()), Some(chosen.as_str())), "{last}");

    // Without a choice the Pin goes to the first board, as before.
    pin.publish(&grant, &account, &pin_to(None)).await.unwrap();
    assert_eq!(last_pin(&sbx)["board_id"], boards[0].id.as_str());

    // Other networks have no boards.
    connect(&app, "mastodon", "tooter", |u| u).await;
    let (masto, mgrant, maccount) = handle(&app, &uid, PlatformId::Mastodon).await;
    assert_eq!(masto.boards(&mgrant, &maccount).await.unwrap(), None);
}

#[tokio::test]
async fn pinterest_refuses_a_board_of_another_account() {
    let (app, sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "mine_only", |u| u).await;
    let (pin, grant, account) = handle(&app, &uid, PlatformId::Pinterest).await;
    let theirs = format!("9{}-2", account_for("pinterest", "someone_else").id);
    let e = pin.publish(&grant, &account, &pin_to(Some(&theirs))).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Rejected, "{e:?}");
    assert!(e.message.contains("Board not found"), "Pinterest's words reach the person: {}", e.message);
    assert!(last_pin(&sbx).is_null(), "no Pin was made");
}

#[tokio::test]
async fn the_chosen_board_is_stored_with_the_post_and_remembered() {
    let (app, _sbx) = app_with_sandbox().await;
    let uid = user(&app).await;
    connect(&app, "pinterest", "rememberer", |u| u).await;
    let conn = list(&app).await.into_iter().find(|c| c["provider"] == "pinterest").unwrap()["id"].as_str().unwrap().to_string();
    let publisher = &app.state.publisher;
    assert_eq!(publisher.last_options(&uid, &conn).await.unwrap(), PostOptions::default(), "nothing chosen yet");

    let body = |pinterest: serde_json::Value| json!({"connection_ids": [conn], "text": "Autumn palette", "image_url": "https://example.com/a.jpg", "pinterest": pinterest});
    for bad in [json!({"board_id": ""}), json!({"board_id": "../boards"}), json!({"board_id": "9".repeat(65)})] {
        let (s, c, msg) = error_code(app.post_json("/api/posts/publish", body(bad)).await).await;
        assert_eq!(s, 422, "{msg}");
        assert!(c.starts_with("pinterest_board_"), "{c}: {msg}");
    }

    let board = format!("9{}-3", account_for("pinterest", "rememberer").id);
    let r = app.post_json("/api/posts/publish", body(json!({"board_id": board}))).await;
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["posts"][0]["pinterest"]["board_id"], board.as_str(), "the choice is kept with the post: {v}");

    // A later post without a choice does not erase the memory.
    let r = app.post_json("/api/posts/publish", body(json!(null))).await;
    assert_eq!(r.status(), 201);
    let last = publisher.last_options(&uid, &conn).await.unwrap();
    assert_eq!(last.pinterest, Some(PinterestSettings { board_id: board }));
    assert_eq!(publisher.last_options(&uid, "someone-elses-connection").await.unwrap(), PostOptions::default());
}
