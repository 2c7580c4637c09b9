// What the page scripts share: elements built with text only, and JSON asked of the page's own handlers.
// The layout loads it before every page script (the Content-Security-Policy allows scripts from this site only).
"use strict";

window.Crm = (() => {
    // A lapsed session is redirected to the sign-in page, which answers 200 with HTML: only JSON is an answer.
    async function readJson(response) {
        if (!response.ok) {
            throw new Error(`The server answered ${response.status}.`);
        }
        if (!(response.headers.get("Content-Type") || "").includes("json")) {
            throw new Error("The server did not answer with JSON; reload the page to sign in again.");
        }
        return response.json();
    }

    return Object.freeze({
        /** A new element with an optional class and text. Text goes in with textContent, never parsed as HTML. */
        el(tag, className, text) {
            const node = document.createElement(tag);
            if (className) {
                node.className = className;
            }
            if (text !== undefined) {
                node.textContent = text;
            }
            return node;
        },

        /** GETs url in the user's session; the parsed answer, or an Error that says what came back instead. */
        async getJson(url) {
            return readJson(await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }));
        },

        /** POSTs body (a FormData as a form, anything else as JSON) with the page's anti-forgery token; as getJson. */
        async postJson(url, body, token) {
            const isForm = body instanceof FormData;
            const headers = { Accept: "application/json", RequestVerificationToken: token };
            if (!isForm) {
                headers["Content-Type"] = "application/json";
            }
            return readJson(await fetch(url, {
                method: "POST",
                headers,
                body: isForm ? body : JSON.stringify(body),
                credentials: "same-origin",
            }));
        },
    });
})();
