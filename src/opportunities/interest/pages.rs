//! Organisations registering interest in joining an opportunity: the pages.

use super::service::{self, InterestInput};
use crate::opportunities::pages::OppPost;
use crate::web::routes::Routes;
use crate::web::{NoFields, Reply};

pub async fn register_interest(post: OppPost<InterestInput>) -> Reply {
    post.save_section(
        "interest",
        "Your organisation's interest has been recorded",
        service::register_interest,
    )
    .await
}

pub async fn withdraw_interest(post: OppPost<NoFields>) -> Reply {
    post.save_section(
        "interest",
        "Your organisation's interest has been withdrawn",
        |conn, actor, id, _: &NoFields| service::withdraw_interest(conn, actor, id),
    )
    .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/interest", register_interest)
        .post("/opportunities/{id}/interest/withdraw", withdraw_interest);
}
