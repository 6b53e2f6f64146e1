//! Comments on an opportunity, which may propose a move: the pages.

use super::service::{self, CommentInput};
use crate::opportunities::pages::OppPost;
use crate::web::routes::Routes;
use crate::web::Reply;

pub async fn comment(post: OppPost<CommentInput>) -> Reply {
    post.save_section("comments", "Your comment has been added", service::comment)
        .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/comments", comment);
}
