//! Barriers in the way of an opportunity, and how they are being dealt with: the pages.

use super::service::{self, BarrierInput};
use crate::opportunities::pages::OppPost;
use crate::web::routes::Routes;
use crate::web::Reply;

pub async fn add_barrier(post: OppPost<BarrierInput>) -> Reply {
    post.save_section(
        "barriers",
        "The barrier has been recorded",
        service::add_barrier,
    )
    .await
}

pub async fn update_barrier(post: OppPost<BarrierInput>) -> Reply {
    let barrier = post.part;
    post.save_section(
        "barriers",
        "The barrier has been updated",
        move |conn, actor, id, input| service::update_barrier(conn, actor, id, barrier, input),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/barriers", add_barrier)
        .post("/opportunities/{id}/barriers/{barrier}", update_barrier);
}
