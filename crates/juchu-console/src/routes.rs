//! The console's routes and the list of them, built together: a screen adds each route with
//! `get` or `post`, which puts the handler on the axum router and records `(METHOD, path)`. There
//! is no other way to add a route, so `crate::routes()` names exactly what the router serves (the
//! console's authorisation matrix test compares it with its table of who may do what).

use crate::ctx::ConsoleState;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{self, MethodRouter};

/// A router of the console and the `(METHOD, path)` of every route on it.
#[derive(Default)]
pub struct Routes {
    pub(crate) router: Router<ConsoleState>,
    pub(crate) list: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub fn get<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, ConsoleState>,
        T: 'static,
    {
        self.add("GET", path, routing::get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, ConsoleState>,
        T: 'static,
    {
        self.add("POST", path, routing::post(handler))
    }

    /// Another screen's routes beside these.
    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }

    /// axum merges a second method on a path already routed (`GET` and `POST /login`).
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        m: MethodRouter<ConsoleState>,
    ) -> Routes {
        self.router = self.router.route(path, m);
        self.list.push((method, path));
        self
    }
}
