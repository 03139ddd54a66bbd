//! The one table markup the pages share: a scrollable, keyboard-reachable frame, a header row of
//! labelled columns, and the body the page gives.
use leptos::prelude::*;

/// A heading cell's classes; the last one goes without the right padding.
const CELL: &str = "py-2 pr-4";

/// One column heading.
#[derive(Clone, Copy)]
pub struct Column {
    label: &'static str,
    /// Said by screen readers only (a column of buttons needs no visible heading).
    unseen: bool,
    /// Hidden at phone width, where the page shows the value inside another cell.
    wide_only: bool,
}

/// A column headed `label`.
pub const fn col(label: &'static str) -> Column {
    Column {
        label,
        unseen: false,
        wide_only: false,
    }
}

impl Column {
    pub const fn unseen(self) -> Self {
        Self {
            unseen: true,
            ..self
        }
    }

    pub const fn wide_only(self) -> Self {
        Self {
            wide_only: true,
            ..self
        }
    }
}

#[component]
pub fn DataTable(
    /// The table's `id`, which tests and links use.
    #[prop(optional)]
    id: &'static str,
    columns: Vec<Column>,
    /// Classes for the frame around the table (its margin on the page).
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let last = columns.len().saturating_sub(1);
    let headings = columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let mut class = String::from(if index == last { "py-2" } else { CELL });
            if column.wide_only {
                class.push_str(" max-sm:hidden");
            }
            let label = if column.unseen {
                view! { <span class="sr-only">{column.label}</span> }.into_any()
            } else {
                column.label.into_any()
            };
            view! {
                <th scope="col" class=class>
                    {label}
                </th>
            }
        })
        .collect_view();
    view! {
        <div class=format!("relative overflow-x-auto {class}") tabindex="0">
            <table id=(!id.is_empty()).then_some(id) class="w-full text-left text-sm">
                <thead>
                    <tr class="border-b border-slate-200 dark:border-slate-700">{headings}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
