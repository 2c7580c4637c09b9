// The campaign editor on /campaigns/new and /campaigns/{id}/edit: shows the chosen segment's size,
// previews the template for a few of its customers (errors beside the textarea), inserts fields,
// switches between sending now and scheduling, and starts the time zone at the browser's own.
// Text from the server or the user goes in with textContent only.
"use strict";

(() => {
    const form = document.getElementById("campaign-form");
    if (!form) {
        return;
    }
    const token = form.querySelector("input[name='__RequestVerificationToken']").value;
    const segment = form.querySelector("select[name='Input.SegmentId']");
    const segmentSize = document.getElementById("segment-size");
    const template = form.querySelector("textarea[name='Input.Template']");
    const templateErrors = document.getElementById("template-errors");
    const previewButton = document.getElementById("preview-template");
    const previewBox = document.getElementById("template-preview");
    const previewStatus = document.getElementById("template-preview-status");
    const previewList = document.getElementById("template-preview-messages");
    const scheduleFields = document.getElementById("schedule-fields");
    const sendButton = document.getElementById("send-campaign");
    const zone = form.querySelector("select[name='Input.TimeZone']");

    const el = Crm.el;

    // --- Delivery: now or at a time in a zone.

    function showDelivery() {
        const later = form.querySelector("input[name='Input.Delivery']:checked")?.value === "later";
        scheduleFields.classList.toggle("d-none", !later);
        sendButton.textContent = later ? sendButton.dataset.laterLabel : sendButton.dataset.nowLabel;
    }
    form.addEventListener("change", (event) => {
        if (event.target.name === "Input.Delivery") {
            showDelivery();
        }
    });
    showDelivery();

    if (zone && zone.dataset.browserDefault === "true") {
        const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (browserZone) {
            if (![...zone.options].some((o) => o.value === browserZone)) {
                zone.add(new Option(browserZone, browserZone));
            }
            zone.value = browserZone;
        }
    }

    // --- The chosen segment's size: one count per choice.

    let sizeRequest = 0;
    async function showSegmentSize() {
        if (!segment) {
            return;
        }
        const mine = ++sizeRequest;
        segmentSize.textContent = "";
        if (segment.value === "") {
            return;
        }
        segmentSize.textContent = "Counting…";
        try {
            const url = `${form.dataset.segmentSizeUrl}&segmentId=${encodeURIComponent(segment.value)}`;
            const answer = await Crm.getJson(url);
            if (mine === sizeRequest) {
                segmentSize.textContent = answer.text;
            }
        } catch {
            if (mine === sizeRequest) {
                segmentSize.textContent = "";
            }
        }
    }
    segment?.addEventListener("change", showSegmentSize);
    showSegmentSize();

    // --- Fields inserted at the cursor.

    document.getElementById("template-fields")?.addEventListener("click", (event) => {
        const button = event.target.closest("[data-insert-field]");
        if (!button) {
            return;
        }
        const text = `{{ ${button.dataset.insertField} }}`;
        const start = template.selectionStart ?? template.value.length;
        const end = template.selectionEnd ?? start;
        template.setRangeText(text, start, end, "end");
        template.focus();
    });

    // --- Preview.

    function showErrors(errors) {
        templateErrors.replaceChildren(...(errors.template || []).map((message) => el("div", "", message)));
        template.classList.toggle("is-invalid", (errors.template || []).length > 0);
        const segmentErrors = errors.segmentId || [];
        if (segment) {
            segment.classList.toggle("is-invalid", segmentErrors.length > 0);
        }
        if (segmentErrors.length > 0) {
            previewStatus.textContent = segmentErrors.join(" ");
        }
    }

    async function preview() {
        previewBox.setAttribute("aria-busy", "true");
        previewButton.disabled = true;
        previewStatus.textContent = "Rendering…";
        previewList.replaceChildren();
        let answer;
        try {
            const body = new FormData();
            body.append("Input.Template", template.value);
            body.append("Input.SegmentId", segment ? segment.value : "");
            answer = await Crm.postJson(form.dataset.previewUrl, body, token);
        } catch (failure) {
            previewStatus.textContent = `No preview: ${failure.message}`;
            return;
        } finally {
            previewBox.removeAttribute("aria-busy");
            previewButton.disabled = false;
        }
        if (answer.template !== null) {
            template.value = answer.template;
        }
        previewStatus.textContent = "";
        showErrors(answer.errors);
        if (Object.keys(answer.errors).length > 0) {
            if (!answer.errors.segmentId) {
                previewStatus.textContent = "Fix the message to see it rendered.";
            }
            return;
        }
        if (answer.messages.length === 0) {
            previewStatus.textContent = "No customer is in this segment now, so there is nobody to preview for.";
            return;
        }
        previewStatus.textContent = answer.template !== null
            ? "Placeholders turned into Liquid. As these customers will get it:"
            : "As these customers will get it:";
        for (const message of answer.messages) {
            const item = el("li", "border rounded p-2 mb-2 template-preview-message");
            const who = el("a", "small fw-semibold d-block mb-1", message.customerName);
            who.href = message.profileUrl;
            item.append(who, el("p", "preview-message mb-0", message.message));
            previewList.append(item);
        }
    }
    previewButton.addEventListener("click", preview);
})();
