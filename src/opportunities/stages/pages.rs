//! Moving an opportunity through the pipeline, and the moves it has made: the pages.

use super::service::{self, TransitionInput};
use crate::opportunities::model::Stage;
use crate::opportunities::pages::{label, OppPost};
use crate::web::routes::Routes;
use crate::web::Reply;

pub async fn move_stage(post: OppPost<TransitionInput>) -> Reply {
    let message = format!(
        "Moved to {}",
        label(Stage::parse(&post.input.to), Stage::label)
    );
    post.save_section("pipeline", &message, service::transition)
        .await
}

pub fn routes(r: &mut Routes) {
    r.post("/opportunities/{id}/transitions", move_stage);
}
