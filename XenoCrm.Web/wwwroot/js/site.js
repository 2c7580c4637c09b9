// Progressive enhancements only: every page works without this file.
"use strict";

// <button data-copy-from="#id">: copies that input's value, falling back to selecting it.
document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-from]");
    if (!button) {
        return;
    }
    const source = document.querySelector(button.dataset.copyFrom);
    if (!source) {
        return;
    }
    source.focus();
    source.select();
    const original = button.textContent;
    try {
        await navigator.clipboard.writeText(source.value);
        button.textContent = "Copied";
    } catch {
        // No clipboard API (plain http away from localhost): the text is selected for Ctrl+C.
        button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = original; }, 2000);
});

// <select data-autosubmit>: applies a choice (page size) without a separate button press.
document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) {
        select.form.requestSubmit();
    }
});
