//! Savings recorded against an opportunity: estimated, validated and realised: the pages.

use super::service::{self, SavingInput};
use crate::opportunities::pages::OppPost;
use crate::web::routes::Routes;
use crate::web::Reply;

pub async fn add_saving(post: OppPost<SavingInput>) -> Reply {
    post.save_section("savings", "The saving has been added", service::add_saving)
        .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/savings", add_saving);
}
