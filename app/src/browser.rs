//! Browser-only helpers the editor needs and server functions cannot give: an upload with
//! upload progress (XMLHttpRequest; `fetch` has no upload progress) and replacing the URL
//! without a navigation.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// What goes in the request body.
pub enum Body {
    Form(web_sys::FormData),
    Json(String),
}

/// Sends `body` to `url` with the CSRF header; `progress` gets 0.0–1.0 while uploading and
/// `done` gets (status, response text) or a network error message.
pub fn send(
    method: &str,
    url: &str,
    body: Body,
    csrf: &str,
    progress: impl Fn(f64) + 'static,
    done: impl FnOnce(Result<(u16, String), String>) + 'static,
) {
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
        done(Err("Your browser could not start the upload.".into()));
        return;
    };
    if xhr.open(method, url).is_err() {
        done(Err("Your browser could not start the upload.".into()));
        return;
    }
    let _ = xhr.set_request_header("x-csrf-token", csrf);
    let _ = xhr.set_request_header("accept", "application/json");
    if let Ok(upload) = xhr.upload() {
        let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(e.loaded() / e.total());
            }
        });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
    }
    // Either load or error fires once; the other closure is dropped unused.
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let (d1, d2, x1) = (done.clone(), done, xhr.clone());
    let on_load = Closure::<dyn FnMut()>::new(move || {
        if let Some(f) = d1.borrow_mut().take() {
            f(Ok((x1.status().unwrap_or(0), x1.response_text().ok().flatten().unwrap_or_default())));
        }
    });
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if let Some(f) = d2.borrow_mut().take() {
            f(Err("The connection broke. Check your network and try again.".into()));
        }
    });
    xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
    xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_load.forget();
    on_error.forget();
    // A send that throws fires `error`, so `done` still hears about it.
    let _ = match body {
        Body::Form(f) => xhr.send_with_opt_form_data(Some(&f)),
        Body::Json(s) => {
            let _ = xhr.set_request_header("content-type", "application/json");
            xhr.send_with_opt_str(Some(&s))
        }
    };
}

/// `/editor` → `/editor?draft=…` once the draft exists, without reloading the editor.
pub fn replace_url(url: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}
