//! A JSON API call read from the request once: the application state, the request, who is
//! calling, and the path's `{slug}`, `{id}` and other id (like `{barrier}`). `Who` decides
//! who may call: anyone (`MaybeUser`, for reads) or a bearer-token caller (`ApiCaller`, 401
//! before the body is read). The slices wrap it (`WsCall`, `OppCall`) with what they do.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::auth::{Caller, Who};
use crate::error::AppError;
use crate::state::AppState;

pub struct ApiCall<W> {
    pub state: web::Data<AppState>,
    pub req: HttpRequest,
    pub caller: Option<Caller>,
    pub slug: Option<String>,
    /// The path's `{id}`; 0 where it has none.
    pub id: i64,
    /// The path's other id, like `{barrier}`; 0 where it has none.
    pub part: i64,
    who: std::marker::PhantomData<W>,
}

impl<W: Who + 'static> FromRequest for ApiCall<W> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let who = W::from_request(&req, payload);
        Box::pin(async move {
            let caller = who.await?.caller();
            let state = AppState::of(&req)?;
            let slug = req.match_info().get("slug").map(String::from);
            let (id, part) = crate::web::path_ids(&req)?;
            Ok(ApiCall {
                state,
                req,
                caller,
                slug,
                id,
                part,
                who: std::marker::PhantomData,
            })
        })
    }
}
