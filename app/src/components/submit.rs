//! The submit button of an action form. The form is plain HTML and works without
//! JavaScript; with it, the button says what is happening ("Saving…") and cannot be pressed
//! twice while the server works.
use leptos::prelude::*;

#[island]
pub fn SubmitButton(
    #[prop(into)] label: String,
    /// Shown from the press until the next page arrives.
    #[prop(into)]
    pending: String,
    #[prop(into)] class: String,
    #[prop(optional, into)] id: Option<String>,
    /// `data-purpose`, for forms that differ only in it.
    #[prop(optional, into)]
    purpose: Option<String>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let on_click = move |_| {
        // Only a press that submits: a form the browser refuses (an empty
        // required field) stays as it is.
        #[cfg(feature = "hydrate")]
        if let Some(form) = button.get_untracked().and_then(|b| b.form()) {
            if form.check_validity() {
                // After this event: a button disabled during its own click
                // would cancel the submission.
                set_timeout(move || busy.set(true), std::time::Duration::ZERO);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = button;
    };
    view! {
        <button
            type="submit"
            node_ref=button
            id=id
            class=class
            data-purpose=purpose
            disabled=move || busy.get()
            aria-busy=move || busy.get().to_string()
            on:click=on_click
        >
            {move || if busy.get() { pending.clone() } else { label.clone() }}
        </button>
    }
}
